package dev.corral.samples.cli;

import dev.corral.ContainerProcess;
import dev.corral.Terminal;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Optional;

/**
 * The terminal {@code corral run -t} runs on: its size, raw mode while the container has it (so
 * every key, Ctrl-C included, goes to the container's terminal, as with {@code docker run -it}),
 * and its resizes passed on. Through {@code stty} on {@code /dev/tty}; without a terminal
 * (a pipe, CI), 80x24 and nothing to switch.
 */
final class HostTerminal implements AutoCloseable {

    private static final File TTY = new File("/dev/tty");
    private static final Terminal FALLBACK = Terminal.of(80, 24);

    private final Optional<String> saved;

    private HostTerminal(Optional<String> saved) {
        this.saved = saved;
    }

    /** @return the size of the caller's terminal, or 80x24 when there is none */
    static Terminal size() {
        return stty("size").flatMap(s -> {
            String[] rc = s.trim().split("\\s+");
            try {
                int rows = Integer.parseInt(rc[0]), columns = Integer.parseInt(rc[1]);
                return rows > 0 && columns > 0 ? Optional.of(Terminal.of(columns, rows)) : Optional.empty();
            } catch (RuntimeException e) {
                return Optional.empty();
            }
        }).orElse(FALLBACK);
    }

    /**
     * Puts the caller's terminal in raw mode, when stdin is one, until {@link #close()}.
     *
     * @param interactive whether the keys go to the container at all
     * @return the terminal, to close when the container ends
     */
    static HostTerminal raw(boolean interactive) {
        if (!interactive || System.console() == null) {
            return new HostTerminal(Optional.empty());
        }
        Optional<String> saved = stty("-g");
        saved.ifPresent(s -> stty("raw", "-echo"));
        HostTerminal t = new HostTerminal(saved.map(String::trim));
        Runtime.getRuntime().addShutdownHook(new Thread(t::close));
        return t;
    }

    /** Passes every resize of the caller's terminal on to the container's, until it ends. */
    static void followResizes(ContainerProcess p) {
        try {
            sun.misc.Signal.handle(new sun.misc.Signal("WINCH"), s -> {
                if (p.isAlive()) {
                    p.resizeTerminal(size());
                }
            });
        } catch (IllegalArgumentException e) {
            /* no SIGWINCH here: the size stays what it was */
        }
    }

    /** Copies the caller's keys into the container's terminal, on a daemon thread. */
    static void forwardKeys(InputStream from, OutputStream to) {
        Thread t = new Thread(() -> {
            byte[] b = new byte[4096];
            try (to) {
                for (int n; (n = from.read(b)) > 0; ) {
                    to.write(b, 0, n);
                    to.flush();
                }
            } catch (IOException e) {
                /* the container's terminal is gone */
            }
        }, "corral-keys");
        t.setDaemon(true);
        t.start();
    }

    @Override
    public synchronized void close() {
        saved.ifPresent(s -> stty(s));
    }

    private static Optional<String> stty(String... args) {
        if (!TTY.exists()) {
            return Optional.empty();
        }
        String[] cmd = new String[args.length + 1];
        cmd[0] = "stty";
        System.arraycopy(args, 0, cmd, 1, args.length);
        try {
            Process p = new ProcessBuilder(cmd).redirectInput(TTY).redirectError(ProcessBuilder.Redirect.DISCARD).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            return p.waitFor() == 0 ? Optional.of(out) : Optional.empty();
        } catch (IOException e) {
            return Optional.empty();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.empty();
        }
    }
}
