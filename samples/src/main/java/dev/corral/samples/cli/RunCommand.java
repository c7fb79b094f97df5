package dev.corral.samples.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.corral.CommandNotExecutableException;
import dev.corral.CommandNotFoundException;
import dev.corral.ContainerProcess;
import dev.corral.ContainerException;
import dev.corral.ContainerResult;
import dev.corral.ContainerSpec;
import dev.corral.ContainerStartException;
import dev.corral.Input;
import dev.corral.InvalidSpecException;
import dev.corral.Output;
import dev.corral.ResourceUsage;
import dev.corral.Termination;
import dev.corral.cgroups.Controller;
import dev.corral.cgroups.ControllerUnavailableException;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Model.PositionalParamSpec;

/** {@code corral run}: one command in a new container, with the terminal's stdio, like {@code docker run}. */
final class RunCommand implements Callable<Integer> {

    private static final int SIGKILL = 9;

    /**
     * Jackson only when --json asks for it: building an ObjectMapper costs a short run much of its
     * time, so without --json no result document is built at all.
     */
    private static final class Json {
        static final ObjectMapper MAPPER = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    }

    /** This command's model, set by {@link #commandLine()}. */
    CommandSpec spec;

    ContainerOptions options;
    boolean mergeStderr;
    Path json;
    boolean tty;
    boolean interactive;
    List<String> command;

    private static final String[] DESCRIPTION = {
                "Run a command in a new container and exit with its exit code.",
                "The container has its own PID, mount, UTS, IPC and network (loopback only) namespaces, "
                        + "an empty environment unless -e is given, and the terminal's stdin, stdout and stderr."};

    private static final String[] FOOTER = {
                "  corral run -- sh -c 'hostname; ps'",
                "  corral run --bind ./src:/src:rw -w /src -e PATH -- make",
                "  corral run --rootfs /srv/rootfs/alpine --tmpfs /tmp:64m --read-only -- sh",
                "  corral run --timeout 2s --json result.json -- ./solution",
                "  corral run --image ./busybox-oci:1.36 --volume cache:/cache -- sh",
                "  corral run --rootfs alpine-minirootfs.tar.gz --keep-layer -- apk add gcc",
                "",
                "  corral run --memory 256m --pids 64 --cpus 1 --cpu-time 2s --output-limit 1m --json r.json -- ./solution",
                "",
                "Limits: --memory, --memory-swap, --cpus, --cpuset, --pids and --cpu-time put the container in a "
                        + "cgroup of its own, which also meters it (--json: CPU time, peak memory, OOM kills, pids peak). "
                        + "With --output-limit, stdout and stderr are shown as they come and captured, at most SIZE "
                        + "of each; --merge-stderr sends stderr into stdout in the order written (2>&1).",
                "",
                "Exit codes: the command's own; 128+N when signal N ended it; 137 (128+SIGKILL) when corral or the "
                        + "kernel killed the container: --timeout, --cpu-time, the OOM killer under --memory, "
                        + "--output-limit (the --json status says which); "
                        + "125 when the container could not be started (also a limit whose cgroup controller is "
                        + "missing, see --allow-unenforced); 126 when the command cannot be executed; "
                        + "127 when it does not exist; 2 for a usage error (an invalid option value is named).",
                "",
                "Signals: SIGINT, SIGTERM and SIGHUP sent to corral go to the command, as docker run's --sig-proxy; "
                        + "a second SIGINT kills the container."};

    /**
     * {@code corral run}'s command line. Its model is built in code, not read from annotations:
     * reading those costs a short-lived JVM a generated proxy class per annotation type, their
     * parsing and the fields' generic signatures, on every start; {@code corral run} is what
     * scripts start over and over. The help is the same as the annotations gave
     * (HelpTextTest compares it with a copy).
     *
     * @return a command line for one parse
     */
    static picocli.CommandLine commandLine() {
        RunCommand run = new RunCommand();
        CommandSpec spec = CommandSpec.wrapWithoutInspection(run).name("run");
        spec.usageMessage().sortOptions(false).customSynopsis("corral run [OPTIONS] [--] CMD [ARG...]")
                .description(DESCRIPTION).footerHeading("%nExamples:%n").footer(FOOTER);
        spec.addPositional(PositionalParamSpec.builder().index("0..*").arity("0..*").paramLabel("CMD")
                .type(List.class).auxiliaryTypes(String.class)
                .description("The command and its arguments; with --image, the image's entrypoint and cmd when none is given.")
                .build());
        ContainerOptions.addTo(spec);
        spec.addOption(OptionSpec.builder("--merge-stderr").type(boolean.class)
                .description("Send stderr where stdout goes, in the order written (2>&1); with --output-limit, "
                        + "both count against stdout's SIZE.").build());
        spec.addOption(OptionSpec.builder("--json").paramLabel("FILE").type(Path.class)
                .description("Write the result as JSON: status (EXITED, SIGNALED, TIMED_OUT, OOM_KILLED, CPU_TIME_EXCEEDED, "
                        + "OUTPUT_LIMITED, SECCOMP_KILLED), exit_code, signal, wall/user/system/cpu times in ms, "
                        + "peak_memory_bytes and its source, oom_kills, pids_peak, output_limited, captured byte counts; "
                        + "or status START_FAILED and the error.").build());
        spec.addOption(OptionSpec.builder("-t", "--tty").type(boolean.class)
                .description("Give the command a pseudo-terminal (its controlling terminal, "
                        + "with job control), at the size of corral's terminal and following its resizes; the command's stderr "
                        + "goes to it too. Without -i nothing is typed into it.").build());
        spec.addOption(OptionSpec.builder("-i", "--interactive").type(boolean.class)
                .description("Pass corral's stdin to the command (to its terminal with "
                        + "-t, with corral's terminal in raw mode meanwhile, so Ctrl-C reaches the container). Without -t, "
                        + "stdin is passed anyway.").build());
        CorralCommand.addHelpOptions(spec);
        run.spec = spec;
        return new picocli.CommandLine(spec);
    }

    /** Takes the parsed values from the model. */
    private void readOptions() {
        options = ContainerOptions.from(spec);
        mergeStderr = ContainerOptions.flag(spec, "--merge-stderr");
        json = ContainerOptions.value(spec, "--json");
        tty = ContainerOptions.flag(spec, "--tty");
        interactive = ContainerOptions.flag(spec, "--interactive");
        List<String> cmd = spec.positionalParameters().get(0).getValue();
        command = cmd == null ? new java.util.ArrayList<>() : cmd;
    }

    @Override
    public Integer call() {
        readOptions();
        PrintWriter err = spec.commandLine().getErr();
        if (command.isEmpty() && options.image == null) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(),
                    "Missing required parameter: 'CMD' (only with --image may it be left out: the image's entrypoint and cmd run then)");
        }
        ContainerResult result;
        try {
            options.prepare(err);
            result = tty ? runOnTerminal(err) : runWithSignals(options.builder()
                    .stdin(Input.inherit())
                    .stdout(options.outputLimit == null ? Output.inherit() : Output.capture(options.outputLimit, System.out))
                    .stderr(mergeStderr ? Output.toStdout()
                            : options.outputLimit == null ? Output.inherit() : Output.capture(options.outputLimit, System.err))
                    .build(), err);
        } catch (InvalidSpecException e) {
            err.println("corral run: invalid " + e.getMessage());
            if (json != null) {
                writeJson(err, error(e));
            }
            return CorralCommand.EXIT_USAGE;
        } catch (ContainerException e) {
            err.println("corral run: " + message(e));
            if (json != null) {
                writeJson(err, error(e));
            }
            return exitCodeOf(e);
        }
        result.writableLayer().ifPresent(l -> err.println("corral run: kept the writable layer " + l.id() + " at "
                + l.directory() + " (corral commit " + l.id() + " NAME makes it an image)"));
        switch (result.termination()) {
            case TIMED_OUT -> err.println("corral run: timed out after " + human(options.timeout)
                    + "; the container was killed");
            case CPU_TIME_EXCEEDED -> err.println("corral run: the CPU-time limit of " + human(options.cpuTime)
                    + " ran out (" + human(result.usage().cpuTime()) + " used); the container was killed");
            case OOM_KILLED -> err.println("corral run: out of memory: the OOM killer ended the command"
                    + (options.memory == null ? "" : " at the memory limit of " + options.memory));
            case OUTPUT_LIMITED -> err.println("corral run: the output passed --output-limit " + options.outputLimit
                    + "; the container was killed");
            default -> { }
        }
        if (json != null && !writeJson(err, success(result, options.outputLimit != null))) {
            return CorralCommand.EXIT_START_FAILED;
        }
        return exitCodeOf(result);
    }

    /** The command with corral's stdio; the signals corral gets meanwhile go to it ({@link SignalProxy}). */
    private ContainerResult runWithSignals(ContainerSpec containerSpec, PrintWriter err) {
        try (SignalProxy proxy = new SignalProxy(err);
             ContainerProcess p = containerSpec.start(command)) {
            proxy.forwardTo(p);
            return p.waitFor();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ContainerException("interrupted while waiting for the container; it was killed", e);
        }
    }

    /** -t: the command on a terminal of its own, which corral's terminal shows and types into. */
    private ContainerResult runOnTerminal(PrintWriter err) {
        ContainerSpec containerSpec = options.builder()
                .terminal(HostTerminal.size())
                .stdin(interactive ? Input.pipe() : Input.empty())
                .stdout(options.output(Output.pipe()))
                .build();
        try (HostTerminal host = HostTerminal.raw(interactive);
             SignalProxy proxy = new SignalProxy(err);
             ContainerProcess p = containerSpec.start(command)) {
            proxy.forwardTo(p);
            HostTerminal.followResizes(p);
            if (interactive) {
                HostTerminal.forwardKeys(System.in, p.stdin());
            }
            if (options.outputLimit == null) {
                p.stdout().transferTo(System.out);
                System.out.flush();
            }
            return p.onExit().join();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /**
     * @param r a result
     * @return the exit code of the command, or 128 + the signal that ended it; 137 when the
     *         container was killed for a limit (wall time, CPU time, memory, output)
     */
    static int exitCodeOf(ContainerResult r) {
        switch (r.termination()) {
            case TIMED_OUT, CPU_TIME_EXCEEDED, OOM_KILLED, OUTPUT_LIMITED -> {
                return 128 + SIGKILL;   /* killed by corral or the kernel, even if it exited on its own meanwhile */
            }
            default -> { }
        }
        if (r.exitCode().isPresent()) {
            return r.exitCode().getAsInt();
        }
        if (r.signal().isPresent()) {
            return 128 + r.signal().getAsInt();
        }
        return CorralCommand.EXIT_START_FAILED;
    }

    /**
     * @param e why the container did not run
     * @return 127 for a missing command, 126 for one that cannot be executed, 125 otherwise
     */
    static int exitCodeOf(ContainerException e) {
        if (e instanceof CommandNotFoundException) {
            return CorralCommand.EXIT_NOT_FOUND;
        }
        if (e instanceof CommandNotExecutableException) {
            return CorralCommand.EXIT_NOT_EXECUTABLE;
        }
        return CorralCommand.EXIT_START_FAILED;
    }

    private static ObjectNode success(ContainerResult r, boolean captured) {
        ObjectNode o = Json.MAPPER.createObjectNode();
        o.put("status", r.termination().name());
        if (r.exitCode().isPresent()) {
            o.put("exit_code", r.exitCode().getAsInt());
        } else {
            o.putNull("exit_code");
        }
        if (r.signal().isPresent()) {
            o.put("signal", r.signal().getAsInt());
        } else {
            o.putNull("signal");
        }
        ResourceUsage u = r.usage();
        o.put("wall_time_ms", millis(u.wallTime()));
        o.put("user_cpu_ms", millis(u.userCpuTime()));
        o.put("system_cpu_ms", millis(u.systemCpuTime()));
        o.put("cpu_time_ms", millis(u.cpuTime()));
        o.put("peak_memory_bytes", u.peakMemory().bytes());
        o.put("peak_memory_source", u.peakMemorySource().name());
        o.put("oom_kills", u.oomKills());
        if (u.pidsPeak().isPresent()) {
            o.put("pids_peak", u.pidsPeak().getAsLong());
        } else {
            o.putNull("pids_peak");
        }
        if (u.pidsLimitHits().isPresent()) {
            o.put("pids_limit_hits", u.pidsLimitHits().getAsLong());
        } else {
            o.putNull("pids_limit_hits");
        }
        o.put("output_limited", r.termination() == Termination.OUTPUT_LIMITED);
        if (captured) {
            o.put("stdout_bytes", r.stdoutBytes().length);
            o.put("stderr_bytes", r.stderrBytes().length);
        } else {
            o.putNull("stdout_bytes");
            o.putNull("stderr_bytes");
        }
        return o;
    }

    /** @return the exception's message, with the option that lets a missing cgroup controller go */
    static String message(ContainerException e) {
        return missingController(e).map(c -> e.getMessage() + " (corral: --allow-unenforced "
                + c.name().toLowerCase(java.util.Locale.ROOT) + ")").orElse(e.getMessage());
    }

    private static java.util.Optional<Controller> missingController(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof ControllerUnavailableException c) {
                return java.util.Optional.of(c.controller());
            }
        }
        return java.util.Optional.empty();
    }

    private static ObjectNode error(ContainerException e) {
        ObjectNode o = Json.MAPPER.createObjectNode();
        o.put("status", "START_FAILED");
        o.put("exit_code", e instanceof InvalidSpecException ? CorralCommand.EXIT_USAGE : exitCodeOf(e));
        ObjectNode error = o.putObject("error");
        error.put("type", e.getClass().getSimpleName());
        error.put("message", e.getMessage());
        if (e instanceof ContainerStartException s) {
            // The step is the launcher's step name; printed, not typed, to stay on the public API.
            s.step().ifPresentOrElse(step -> error.put("step", String.valueOf(step)), () -> error.putNull("step"));
            if (s.errno().isPresent()) {
                error.put("errno", s.errnoName().orElseThrow().split(" ", 2)[0]);
                error.put("errno_number", s.errno().getAsInt());
            } else {
                error.putNull("errno");
                error.putNull("errno_number");
            }
            s.hint().ifPresentOrElse(h -> error.put("hint", h), () -> error.putNull("hint"));
        } else if (e instanceof InvalidSpecException i) {
            error.put("field", i.field());
        }
        missingController(e).ifPresent(c -> error.put("controller", c.name().toLowerCase(java.util.Locale.ROOT)));
        return o;
    }

    private boolean writeJson(PrintWriter err, ObjectNode node) {
        if (json == null) {
            return true;
        }
        try {
            Json.MAPPER.writeValue(json.toFile(), node);
            return true;
        } catch (IOException e) {
            err.println("corral run: cannot write --json " + json + ": " + e.getMessage());
            return false;
        }
    }

    private static double millis(Duration d) {
        return Math.round(d.toNanos() / 1_000.0) / 1_000.0;
    }

    private static String human(Duration d) {
        return d == null ? "?" : d.toMillis() % 1000 == 0 ? d.toSeconds() + "s" : d.toMillis() + "ms";
    }
}
