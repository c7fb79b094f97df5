package dev.corral.samples.cli;

import dev.corral.ContainerProcess;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import sun.misc.Signal;
import sun.misc.SignalHandler;

/**
 * While {@code corral run} starts and waits for its command, the signals a user or a supervisor
 * sends to corral go to the command, as {@code docker run} and {@code podman run} do by default
 * ({@code --sig-proxy}): SIGINT, SIGTERM and SIGHUP. The command then ends as it chooses and
 * corral exits with its status, instead of corral dying and the container being killed with it.
 * A second SIGINT kills the container, since a command may ignore the first. A signal that comes
 * while the container starts is passed on once it runs; a second one then stops corral at once
 * (the container goes with it). A signal ignored by whoever started
 * corral (nohup, a background job) stays ignored, as the JVM leaves it.
 *
 * <pre>{@code
 * try (SignalProxy proxy = new SignalProxy(err); ContainerProcess p = spec.start(command)) {
 *     proxy.forwardTo(p);
 *     return p.waitFor();
 * }
 * }</pre>
 */
final class SignalProxy implements AutoCloseable {

    private static final List<String> FORWARDED = List.of("INT", "TERM", "HUP");

    private final Map<Signal, SignalHandler> previous = new LinkedHashMap<>();
    private final List<Signal> pending = new ArrayList<>();
    private final PrintWriter err;
    private ContainerProcess target;
    private int interrupts;

    /** Takes SIGINT, SIGTERM and SIGHUP from the JVM's own handling (its exit). */
    SignalProxy(PrintWriter err) {
        this.err = err;
        for (String name : FORWARDED) {
            Signal signal = new Signal(name);
            previous.put(signal, Signal.handle(signal, this::received));
        }
    }

    /** @param process the running container whose command gets the signals from now on */
    synchronized void forwardTo(ContainerProcess process) {
        target = process;
        pending.forEach(this::deliver);
        pending.clear();
    }

    private synchronized void received(Signal signal) {
        if (target == null) {
            pending.add(signal);
            if (pending.size() > 1) { /* a slow start (a large archive to unpack) stopped at once */
                err.println("corral run: a second signal (SIG" + signal.getName() + ") while the container started: "
                        + "corral stops, and the container with it");
                err.flush();
                System.exit(128 + signal.getNumber());
            }
        } else {
            deliver(signal);
        }
    }

    private void deliver(Signal signal) {
        if (signal.getName().equals("INT") && ++interrupts > 1) {
            err.println("corral run: a second SIGINT: the container is killed");
            err.flush();
            target.kill();
        } else {
            target.signal(signal.getNumber());
        }
    }

    /** Gives the signals back to the JVM's own handling. */
    @Override
    public void close() {
        previous.forEach(Signal::handle);
    }
}
