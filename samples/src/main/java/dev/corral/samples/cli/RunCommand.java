package dev.corral.samples.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.corral.CommandNotExecutableException;
import dev.corral.CommandNotFoundException;
import dev.corral.ContainerException;
import dev.corral.ContainerResult;
import dev.corral.ContainerSpec;
import dev.corral.ContainerStartException;
import dev.corral.Input;
import dev.corral.InvalidSpecException;
import dev.corral.Output;
import dev.corral.ResourceUsage;
import dev.corral.Termination;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code corral run}: one command in a new container, with the terminal's stdio, like {@code docker run}. */
@Command(name = "run", mixinStandardHelpOptions = true, sortOptions = false,
        customSynopsis = "corral run [OPTIONS] [--] CMD [ARG...]",
        description = {
                "Run a command in a new container and exit with its exit code.",
                "The container has its own PID, mount, UTS, IPC and network (loopback only) namespaces, "
                        + "an empty environment unless -e is given, and the terminal's stdin, stdout and stderr."},
        footerHeading = "%nExamples:%n",
        footer = {
                "  corral run -- sh -c 'hostname; ps'",
                "  corral run --bind ./src:/src:rw -w /src -e PATH -- make",
                "  corral run --rootfs /srv/rootfs/alpine --tmpfs /tmp:64m --read-only -- sh",
                "  corral run --timeout 2s --json result.json -- ./solution",
                "  corral run --image ./busybox-oci:1.36 --volume cache:/cache -- sh",
                "  corral run --rootfs alpine-minirootfs.tar.gz --keep-layer -- apk add gcc",
                "",
                "Exit codes: the command's own; 128+N when signal N ended it (137 after --timeout); "
                        + "125 when the container could not be started; 126 when the command cannot be executed; "
                        + "127 when it does not exist; 2 for a usage error."})
final class RunCommand implements Callable<Integer> {

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    @Spec
    CommandSpec spec;

    @Mixin
    ContainerOptions options;

    @Option(names = "--json", paramLabel = "FILE",
            description = "Write the result (status, exit code, signal, times, peak memory) or the start error as JSON.")
    Path json;

    @Parameters(index = "0..*", arity = "1..*", paramLabel = "CMD", description = "The command and its arguments.")
    List<String> command;

    @Override
    public Integer call() {
        PrintWriter err = spec.commandLine().getErr();
        ContainerResult result;
        try {
            options.prepare(err);
            ContainerSpec containerSpec = options.builder()
                    .stdin(Input.inherit())
                    .stdout(Output.inherit())
                    .stderr(Output.inherit())
                    .build();
            result = containerSpec.run(command);
        } catch (InvalidSpecException e) {
            err.println("corral run: invalid " + e.getMessage());
            writeJson(err, error(e));
            return CorralCommand.EXIT_USAGE;
        } catch (ContainerException e) {
            err.println("corral run: " + e.getMessage());
            writeJson(err, error(e));
            return exitCodeOf(e);
        }
        result.writableLayer().ifPresent(l -> err.println("corral run: kept the writable layer " + l.id() + " at "
                + l.directory() + " (corral commit " + l.id() + " NAME makes it an image)"));
        if (result.termination() == Termination.TIMED_OUT) {
            err.println("corral run: timed out after " + human(options.timeout) + "; the container was killed");
        }
        if (!writeJson(err, success(result))) {
            return CorralCommand.EXIT_START_FAILED;
        }
        return exitCodeOf(result);
    }

    /**
     * @param r a result
     * @return the exit code of the command, or 128 + the signal that ended it
     */
    static int exitCodeOf(ContainerResult r) {
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

    private static ObjectNode success(ContainerResult r) {
        ObjectNode o = JSON.createObjectNode();
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
        o.put("peak_memory_bytes", u.peakMemory().bytes());
        o.put("peak_memory_source", u.peakMemorySource().name());
        return o;
    }

    private static ObjectNode error(ContainerException e) {
        ObjectNode o = JSON.createObjectNode();
        o.put("status", "START_FAILED");
        o.put("exit_code", e instanceof InvalidSpecException ? CorralCommand.EXIT_USAGE : exitCodeOf(e));
        ObjectNode error = o.putObject("error");
        error.put("type", e.getClass().getSimpleName());
        error.put("message", e.getMessage());
        if (e instanceof ContainerStartException s) {
            // The step is the launcher's step name; printed, not typed, to stay on the public API.
            s.step().ifPresentOrElse(step -> error.put("step", String.valueOf(step)), () -> error.putNull("step"));
            if (s.errno() != 0) {
                error.put("errno", s.errnoName().split(" ", 2)[0]);
                error.put("errno_number", s.errno());
            } else {
                error.putNull("errno");
                error.putNull("errno_number");
            }
            error.put("hint", s.hint());
        } else if (e instanceof InvalidSpecException i) {
            error.put("field", i.field());
        }
        return o;
    }

    private boolean writeJson(PrintWriter err, ObjectNode node) {
        if (json == null) {
            return true;
        }
        try {
            JSON.writeValue(json.toFile(), node);
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
