package dev.corral.samples.ci;

import dev.corral.ContainerException;
import dev.corral.InvalidSpecException;
import dev.corral.image.ImageStore;
import dev.corral.samples.cli.ContainerOptions;
import dev.corral.unit.DataSize;
import java.io.IOException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * The {@code corral-ci} command line.
 *
 * <pre>{@code
 * corral-ci WORKSPACE [--image REF --store DIR] [--cache NAME:DST] [--cache-dir SRC:DST[:rw]]
 *           [--network none|host|bridge[:NAME]|pasta] [--memory SIZE] [--cpus N] [--pids N] [--timeout SECONDS]
 *           [--output-limit SIZE] [--json FILE] -- CMD...
 * }</pre>
 */
@Command(name = "corral-ci", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Build an untrusted project in a sandbox: WORKSPACE writable at /workspace as its owner, caches,",
                "no network unless asked, limits, a timeout, the output live and capped. Prints the build's output, then one",
                "line of JSON: status (PASSED, FAILED, TIMED_OUT, OOM_KILLED, OUTPUT_LIMITED...) and usage."},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:the build passed", "1:the build failed or was ended", "2:usage error",
                "3:the sandbox could not start"})
public final class CiCommand implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "WORKSPACE", description = "The project's directory.")
    Path workspace;

    @Parameters(index = "1..*", paramLabel = "CMD", description = "The build command.")
    List<String> command = new ArrayList<>();

    @Option(names = "--store", paramLabel = "DIR", description = "The image store, for --image and --cache "
            + "(default: ~/.local/share/corral).")
    Path store;

    @Option(names = "--image", paramLabel = "REF", description = "Build on this image of the store "
            + "(default: the host's read-only view).")
    String image;

    @Option(names = "--cache", paramLabel = "NAME:DST", description = "A named volume of the store, kept between "
            + "builds. Repeatable.")
    List<String> volumes = new ArrayList<>();

    @Option(names = "--cache-dir", paramLabel = "SRC:DST[:rw]", description = "A host directory, read-only unless "
            + ":rw, with its owner as the build's user (an idmapped mount). Repeatable.")
    List<String> directories = new ArrayList<>();

    @Option(names = "--env", paramLabel = "NAME=VALUE", description = "An environment variable. Repeatable.")
    List<String> env = new ArrayList<>();

    @Option(names = "--network", paramLabel = "none|host|bridge[:NAME]|pasta", description = "The build's network: "
            + "none (the default: loopback only), host, a bridge with outbound NAT (root), or pasta (rootless).")
    String network = "none";

    @Option(names = "--memory", paramLabel = "SIZE", description = "Memory limit (e.g. 2g).")
    String memory;

    @Option(names = "--cpus", paramLabel = "N", description = "CPU limit (e.g. 1.5).")
    Double cpus;

    @Option(names = "--pids", paramLabel = "N", description = "Process limit.")
    Long pids;

    @Option(names = "--timeout", paramLabel = "SECONDS", description = "Wall-clock limit (default 1800).")
    long timeoutSeconds = 1800;

    @Option(names = "--output-limit", paramLabel = "SIZE", description = "The most output shown and kept; past it "
            + "the build is ended (default 16m).")
    String outputLimit = "16m";

    @Option(names = "--json", paramLabel = "FILE", description = "Also write the JSON result to FILE.")
    Path json;

    /**
     * Runs {@code corral-ci} and exits with its exit code.
     *
     * @param args the command-line arguments
     */
    public static void main(String... args) {
        if (System.getProperty("org.slf4j.simpleLogger.defaultLogLevel") == null) {
            System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "error");
        }
        System.exit(execute(System.out, new PrintWriter(System.err, true), args));
    }

    private PrintStream out;
    private PrintWriter err;

    /**
     * @param out  where the build's output and the JSON line go
     * @param err  where corral-ci's own errors go
     * @param args the command-line arguments
     * @return the exit code
     */
    public static int execute(PrintStream out, PrintWriter err, String... args) {
        CiCommand c = new CiCommand();
        c.out = out;
        c.err = err;
        return new CommandLine(c).setErr(err).setOut(new PrintWriter(out, true)).execute(args);
    }

    @Override
    public Integer call() throws IOException {
        if (command.isEmpty()) {
            err.println("corral-ci: give the build command after the workspace, e.g. corral-ci . -- make check");
            return 2;
        }
        if (!Files.isDirectory(workspace)) {
            err.println("corral-ci: the workspace " + workspace + " is not a directory");
            return 2;
        }
        CiJob job;
        try {
            CiJob.Builder b = CiJob.builder(workspace, command).timeout(Duration.ofSeconds(timeoutSeconds))
                    .outputLimit(DataSize.parse(outputLimit))
                    .network(ContainerOptions.network(network));
            ImageStore images = image == null && volumes.isEmpty() ? null : ImageStore.open(store != null ? store
                    : Path.of(System.getProperty("user.home"), ".local", "share", "corral"));
            if (image != null) {
                b.image(images, image);
            }
            for (String v : volumes) {
                String[] p = v.split(":", 2);
                if (p.length != 2) {
                    throw new IllegalArgumentException("--cache takes NAME:DST, not " + v);
                }
                b.cacheVolume(images, p[0], p[1]);
            }
            for (String d : directories) {
                String[] p = d.split(":", -1);
                if (p.length < 2 || p.length > 3 || (p.length == 3 && !p[2].equals("rw") && !p[2].equals("ro"))) {
                    throw new IllegalArgumentException("--cache-dir takes SRC:DST, SRC:DST:ro or SRC:DST:rw, not " + d);
                }
                b.cacheDirectory(Path.of(p[0]), p[1], p.length == 2 || p[2].equals("ro"));
            }
            for (String e : env) {
                int eq = e.indexOf('=');
                if (eq <= 0) {
                    throw new IllegalArgumentException("--env takes NAME=VALUE, not " + e);
                }
                b.env(e.substring(0, eq), e.substring(eq + 1));
            }
            if (memory != null) {
                b.memory(DataSize.parse(memory));
            }
            if (cpus != null) {
                b.cpus(cpus);
            }
            if (pids != null) {
                b.pids(pids);
            }
            job = b.build();
        } catch (IllegalArgumentException | InvalidSpecException e) {
            err.println("corral-ci: " + e.getMessage());
            return 2;
        }
        CiResult r;
        try {
            r = CiRunner.run(job, out);
        } catch (InvalidSpecException e) {
            err.println("corral-ci: " + e.getMessage());
            return 2;
        } catch (ContainerException e) {
            err.println("corral-ci: the sandbox did not start: " + e.getMessage());
            return 3;
        }
        out.flush();
        out.println(r.toJson());
        if (json != null) {
            Files.writeString(json, r.toJson() + "\n");
        }
        return r.passed() ? 0 : 1;
    }
}
