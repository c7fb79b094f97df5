package dev.corral.samples.cli;

import dev.corral.ContainerException;
import dev.corral.ContainerPool;
import dev.corral.ContainerResult;
import dev.corral.ContainerSpec;
import dev.corral.Input;
import dev.corral.InvalidSpecException;
import dev.corral.Output;
import java.io.PrintWriter;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code corral bench}: how long one container takes, start to result, measured from one JVM
 * that starts containers one after another. A benchmark, not a test.
 */
@Command(name = "bench", sortOptions = false,
        customSynopsis = "corral bench [--runs N] [--warmup W] [OPTIONS] [--] CMD [ARG...]",
        description = {
                "Measure milliseconds per container, starting containers one by one from one JVM.",
                "Each is timed from before start to its result (setup, the command, teardown), with "
                        + "stdout and stderr discarded. The last line is machine-readable:",
                "  corral-bench median_ms=... min_ms=... max_ms=... p90_ms=... runs=N",
                "With --memory, --cpus, --pids, --cpuset or --cpu-time each container gets a cgroup of its own "
                        + "and is metered: a spare made ahead, or on cgroup v1 an ended container's set back for "
                        + "reuse; the making and removing go on beside the next containers, and slow them as "
                        + "they would in an application. With --output-limit stdout and stderr are captured "
                        + "(up to SIZE each) instead of discarded."},
        footerHeading = "%nExamples:%n",
        footer = {"  corral bench --runs 500 --rootfs /srv/rootfs/busybox -- /bin/true",
                "  corral bench --runs 500 --rootfs /srv/rootfs/busybox --memory 256m --pids 64 --cpus 1 -- /bin/true"})
final class BenchCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = {"-n", "--runs"}, paramLabel = "N", defaultValue = "200",
            description = "Measured containers (default: ${DEFAULT-VALUE}).")
    int runs;

    @Option(names = "--warmup", paramLabel = "W", defaultValue = "200",
            description = "Containers started first and not measured, to warm up the JVM (whose JIT compiles the "
                    + "per-container path within the first couple of hundred) and the launcher "
                    + "(default: ${DEFAULT-VALUE}).")
    int warmup;

    @Option(names = "--pool", paramLabel = "N", description = "Run the measured containers through a ContainerPool of "
            + "size N: with 1, one after another, each timed start to result; with more, all handed to the pool at "
            + "once, and the line also says how many ended per second (throughput_per_s).")
    Integer pool;

    @Option(names = "--exec", description = "Start one container (sh reading its stdin) and run the measured "
            + "commands in it with ContainerProcess.exec, one after another, each timed from before the exec to its "
            + "result: the cost of a command in a running container's namespaces and cgroup.")
    boolean exec;

    /** The container options, added to this command's model in code ({@link #commandLine()}). */
    ContainerOptions options;

    @Parameters(index = "0..*", arity = "1..*", paramLabel = "CMD", description = "The command and its arguments.")
    List<String> command;

    /**
     * @return bench's command line: its own options from its annotations, then the container
     *     options, built in code as run's are, then -h and -V
     */
    static picocli.CommandLine commandLine() {
        picocli.CommandLine cl = new picocli.CommandLine(new BenchCommand());
        ContainerOptions.addTo(cl.getCommandSpec());
        CorralCommand.addHelpOptions(cl.getCommandSpec());
        return cl;
    }

    @Override
    public Integer call() {
        options = ContainerOptions.from(spec);
        if (runs < 1) {
            throw new ParameterException(spec.commandLine(), "--runs must be at least 1, not " + runs);
        }
        if (warmup < 0) {
            throw new ParameterException(spec.commandLine(), "--warmup must be 0 or more, not " + warmup);
        }
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        ContainerSpec containerSpec;
        try {
            options.prepare(err);
            containerSpec = options.builder()
                    .stdin(Input.empty())
                    .stdout(options.output(Output.discard()))
                    .stderr(options.output(Output.discard()))
                    .build();
        } catch (InvalidSpecException e) {
            err.println("corral bench: invalid " + e.getMessage());
            return CorralCommand.EXIT_USAGE;
        } catch (ContainerException e) {
            err.println("corral bench: " + RunCommand.message(e));
            return CorralCommand.EXIT_START_FAILED;
        }
        if (exec && pool != null) {
            throw new ParameterException(spec.commandLine(), "--exec and --pool are two ways to run; pick one");
        }
        if (exec) {
            return benchExec(containerSpec, out, err);
        }
        if (pool != null && pool < 1) {
            throw new ParameterException(spec.commandLine(), "--pool must be at least 1, not " + pool);
        }
        long[] nanos = new long[runs];
        long[] wall = new long[runs];
        int failed = 0;
        String firstFailure = null;
        double throughput = Double.NaN;
        ContainerPool containerPool = pool == null ? null : ContainerPool.of(containerSpec, pool);
        try {
            for (int i = 0; i < warmup; i++) {
                if (containerPool == null) {
                    containerSpec.run(command);
                } else {
                    containerPool.run(command, Input.empty());
                }
            }
            ContainerResult[] results = new ContainerResult[runs];
            if (containerPool != null && pool > 1) { /* all at once: the pool runs N at a time */
                List<java.util.concurrent.CompletableFuture<ContainerResult>> futures = new java.util.ArrayList<>();
                long[] started = new long[runs];
                long t0 = System.nanoTime();
                for (int i = 0; i < runs; i++) {
                    started[i] = System.nanoTime();
                    futures.add(containerPool.runAsync(command, Input.empty()));
                }
                for (int i = 0; i < runs; i++) {
                    results[i] = futures.get(i).join();
                    nanos[i] = System.nanoTime() - started[i];
                }
                throughput = runs / ((System.nanoTime() - t0) / 1e9);
            } else {
                for (int i = 0; i < runs; i++) {
                    long t0 = System.nanoTime();
                    results[i] = containerPool == null ? containerSpec.run(command) : containerPool.run(command, Input.empty());
                    nanos[i] = System.nanoTime() - t0;
                }
            }
            for (int i = 0; i < runs; i++) {
                ContainerResult r = results[i];
                wall[i] = r.usage().wallTime().toNanos();
                if (!r.succeeded()) {
                    failed++;
                    if (firstFailure == null) {
                        firstFailure = r.toString();
                    }
                }
            }
        } catch (ContainerException e) {
            err.println("corral bench: " + RunCommand.message(e));
            return RunCommand.exitCodeOf(e);
        } catch (java.util.concurrent.CompletionException e) {
            err.println("corral bench: " + e.getCause());
            return CorralCommand.EXIT_START_FAILED;
        } finally {
            if (containerPool != null) {
                containerPool.close();
            }
        }
        double median = median(nanos);
        double wallMedian = median(wall);
        double p90 = ms(nanos[(int) Math.ceil(0.9 * nanos.length) - 1]);
        double min = ms(nanos[0]);
        double max = ms(nanos[nanos.length - 1]);
        out.printf(Locale.ROOT, "command:  %s%n", String.join(" ", command));
        out.printf(Locale.ROOT, "limits:   %s%n", limits(containerSpec));
        out.printf(Locale.ROOT, "runs:     %d (after %d warm-up), %s, stdout/stderr %s%n",
                runs, warmup, pool == null ? "one after another" : pool == 1 ? "one after another through a pool"
                        : "all at once through a pool of " + pool,
                options.outputLimit == null ? "discarded" : "captured up to " + options.outputLimit);
        out.printf(Locale.ROOT, "per container, start to result (ms): median %.3f  min %.3f  p90 %.3f  max %.3f%n",
                median, min, p90, max);
        out.printf(Locale.ROOT, "of which the container's own wall time (clone to end, as the launcher reports it):"
                + " median %.3f ms; the rest is Java and the JVM-launcher round trip%n", wallMedian);
        if (failed > 0) {
            out.printf(Locale.ROOT, "warning:  %d of %d runs did not exit 0, e.g. %s%n", failed, runs, firstFailure);
        }
        if (!Double.isNaN(throughput)) {
            out.printf(Locale.ROOT, "throughput: %.1f containers per second, %d at a time%n", throughput, pool);
        }
        out.printf(Locale.ROOT, "corral-bench median_ms=%.3f min_ms=%.3f max_ms=%.3f p90_ms=%.3f runs=%d failed=%d"
                + " container_wall_median_ms=%.3f%s%n", median, min, max, p90, runs, failed, wallMedian,
                Double.isNaN(throughput) ? "" : String.format(Locale.ROOT, " throughput_per_s=%.1f", throughput));
        return 0;
    }

    /** --exec: one container, the measured commands exec'd into it one after another. */
    private int benchExec(ContainerSpec containerSpec, PrintWriter out, PrintWriter err) {
        long[] nanos = new long[runs];
        long[] wall = new long[runs];
        int failed = 0;
        String firstFailure = null;
        dev.corral.ExecSpec each = dev.corral.ExecSpec.builder().stdout(options.output(Output.discard()))
                .stderr(options.output(Output.discard())).build();
        try (dev.corral.ContainerProcess c = containerSpec.toBuilder().stdin(Input.pipe()).start("/bin/sh", "-c", "read x")) {
            for (int i = 0; i < warmup + runs; i++) {
                long t0 = System.nanoTime();
                ContainerResult r = c.exec(each, command).waitFor();
                long t = System.nanoTime() - t0;
                if (i < warmup) {
                    continue;
                }
                nanos[i - warmup] = t;
                wall[i - warmup] = r.usage().wallTime().toNanos();
                if (!r.succeeded()) {
                    failed++;
                    if (firstFailure == null) {
                        firstFailure = r.toString();
                    }
                }
            }
        } catch (ContainerException e) {
            err.println("corral bench: " + RunCommand.message(e));
            return RunCommand.exitCodeOf(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            err.println("corral bench: interrupted");
            return CorralCommand.EXIT_START_FAILED;
        }
        double median = median(nanos);
        double wallMedian = median(wall);
        double p90 = ms(nanos[(int) Math.ceil(0.9 * nanos.length) - 1]);
        out.printf(Locale.ROOT, "command:  %s, exec'd into one running container%n", String.join(" ", command));
        out.printf(Locale.ROOT, "runs:     %d (after %d warm-up), one after another%n", runs, warmup);
        out.printf(Locale.ROOT, "per exec, start to result (ms): median %.3f  min %.3f  p90 %.3f  max %.3f%n",
                median, ms(nanos[0]), p90, ms(nanos[nanos.length - 1]));
        if (failed > 0) {
            out.printf(Locale.ROOT, "warning:  %d of %d runs did not exit 0, e.g. %s%n", failed, runs, firstFailure);
        }
        out.printf(Locale.ROOT, "corral-bench median_ms=%.3f min_ms=%.3f max_ms=%.3f p90_ms=%.3f runs=%d failed=%d"
                + " container_wall_median_ms=%.3f%n", median, ms(nanos[0]), ms(nanos[nanos.length - 1]), p90, runs,
                failed, wallMedian);
        return 0;
    }

    private static String limits(ContainerSpec s) {
        if (!s.resources().needsCgroup()) {
            return "none (no cgroup)";
        }
        String cg = s.resources().cgroup().toString();
        return s.resources().cpuTime().map(t -> cg + " cpuTime=" + t).orElse(cg) + ", a cgroup per container";
    }

    /** Sorts {@code nanos} and returns its median in milliseconds. */
    private static double median(long[] nanos) {
        Arrays.sort(nanos);
        int n = nanos.length;
        return n % 2 == 1 ? ms(nanos[n / 2]) : (ms(nanos[n / 2 - 1]) + ms(nanos[n / 2])) / 2;
    }

    private static double ms(long nanos) {
        return nanos / 1_000_000.0;
    }
}
