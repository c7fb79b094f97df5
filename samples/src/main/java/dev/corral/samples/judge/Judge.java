package dev.corral.samples.judge;

import dev.corral.Container;
import dev.corral.ContainerPool;
import dev.corral.ContainerResult;
import dev.corral.ContainerSpec;
import dev.corral.CopiedFiles;
import dev.corral.Input;
import dev.corral.Interaction;
import dev.corral.Mount;
import dev.corral.Output;
import dev.corral.ResourceUsage;
import dev.corral.Rootfs;
import dev.corral.ScratchDirectory;
import dev.corral.Termination;
import dev.corral.namespaces.Rlimit;
import dev.corral.unit.DataSize;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * Judges submissions: compiles each in a container, runs it on every test case in containers
 * with the problem's limits ({@code parallelism} at once: one per core), checks its output with
 * the problem's validator (the default one in the judge, a custom one in a container of its
 * own), and gives the first failing test case's verdict. On an interactive problem the
 * submission and the validator run side by side, each in its own container with its own limits,
 * the one's standard output wired to the other's standard input.
 *
 * <pre>{@code
 * try (Judge judge = new Judge(Sandboxes.fresh(), 2)) {
 *     Judgement j = judge.judge(Problem.load(dir), Path.of("a.c"), Duration.ofSeconds(1), r -> {});
 * }
 * }</pre>
 */
public final class Judge implements AutoCloseable {

    /** The most processes and threads a submission may have: a JVM needs about 20. */
    public static final long PIDS = 64;
    /** A submission's private {@code /tmp}, its only writable place, at most this big. */
    static final DataSize SCRATCH = DataSize.ofMebibytes(32);
    private static final String INPUT = "/judge/input";
    private static final String ANSWER = "/judge/answer";
    private static final String FEEDBACK = "/judge/feedback";

    private final Sandboxes sandboxes;
    private final ExecutorService runners;
    private final int parallelism;
    private final Map<Path, Program> validators = new HashMap<>();

    /**
     * @param sandboxes   where the judge's containers run
     * @param parallelism how many test cases run at once (one per core)
     */
    public Judge(Sandboxes sandboxes, int parallelism) {
        this.sandboxes = sandboxes;
        this.parallelism = Math.max(1, parallelism);
        this.runners = Executors.newFixedThreadPool(this.parallelism, daemon("corral-judge-runner"));
    }

    private static java.util.concurrent.ThreadFactory daemon(String name) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, name + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }

    /**
     * Judges one submission.
     *
     * @param problem    the problem
     * @param submission a source file, or a directory of sources
     * @param timeLimit  the CPU time limit per test case
     * @param progress   told each test case's result, in test order, as soon as it is known
     * @return the judgement
     * @throws UnsupportedLanguageException if the submission's language is not one the judge takes
     */
    public Judgement judge(Problem problem, Path submission, Duration timeLimit, Consumer<TestResult> progress) {
        Program.Compiled c = Program.compile(sandboxes, submission, problem.code(),
                new Program.CompileLimits(problem.compilationTime(), problem.compilationMemory()));
        if (c instanceof Program.Compiled.Unsupported u) {
            throw new UnsupportedLanguageException(u.message());
        }
        if (c instanceof Program.Compiled.Error e) {
            return new Judgement(submission.toString(), Verdict.CE, timeLimit, Optional.of(e.message()), List.of());
        }
        Optional<Program> validator = problem.outputValidator().map(this::validator);
        try (Program program = ((Program.Compiled.Ok) c).program();
             // every test case of a submission runs in a pooled sandbox, one per core
             ContainerPool pool = ContainerPool.of(submissionSpec(problem, program, timeLimit)
                     .stdout(Output.capture(problem.output())).build(), parallelism)) {
            List<TestCase> tests = problem.tests();
            AtomicInteger firstFailure = new AtomicInteger(Integer.MAX_VALUE);
            List<Future<Optional<TestResult>>> futures = new ArrayList<>();
            for (int i = 0; i < tests.size(); i++) {
                int index = i;
                futures.add(runners.submit(() -> {
                    if (index > firstFailure.get()) {
                        return Optional.empty();   // an earlier test case already decided the verdict
                    }
                    TestResult r = problem.interactive()
                            ? runInteractive(problem, program, validator.orElseThrow(), tests.get(index), timeLimit)
                            : runTest(problem, pool, program, validator, tests.get(index), timeLimit);
                    if (r.verdict() != Verdict.AC) {
                        firstFailure.accumulateAndGet(index, Math::min);
                    }
                    return Optional.of(r);
                }));
            }
            List<TestResult> results = new ArrayList<>();
            Verdict verdict = Verdict.AC;
            for (Future<Optional<TestResult>> f : futures) {
                Optional<TestResult> r = get(f);
                if (r.isEmpty()) {
                    continue;
                }
                results.add(r.get());
                progress.accept(r.get());
                if (verdict == Verdict.AC && r.get().verdict() != Verdict.AC) {
                    verdict = r.get().verdict();
                }
            }
            return new Judgement(submission.toString(), verdict, timeLimit, Optional.empty(), results);
        }
    }

    private static <T> T get(Future<T> f) {
        try {
            return f.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while judging", e);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException re) {
                throw re;
            }
            throw new IllegalStateException(e.getCause());
        }
    }

    /** The problem's validator, compiled once per judge. */
    private synchronized Program validator(Path source) {
        return validators.computeIfAbsent(source, s -> {
            Program.Compiled c = Program.compile(sandboxes, s, DataSize.ofMebibytes(16),
                    new Program.CompileLimits(Duration.ofMinutes(2), DataSize.ofGibibytes(2)));
            if (c instanceof Program.Compiled.Ok ok) {
                return ok.program();
            }
            throw new ProblemFormatException("the output validator " + s + " does not compile: "
                    + (c instanceof Program.Compiled.Error e ? e.message() : ((Program.Compiled.Unsupported) c).message()));
        });
    }

    /** The container a submission runs in for one test case: every limit of the problem. */
    private static ContainerSpec.Builder submissionSpec(Problem problem, Program program, Duration timeLimit) {
        return Container.builder()
                .rootfs(Rootfs.hostReadOnly())
                .mount(Mount.bind(program.directory(), Language.PROGRAM_DIR))
                .readOnlyRoot(true)
                .mount(Mount.tmpfs("/tmp", SCRATCH))
                .workingDirectory("/tmp")
                .env(Program.ENVIRONMENT)
                .memory(problem.memory())
                .pids(PIDS)
                .cpuTimeLimit(timeLimit)
                .timeout(wallLimit(timeLimit))
                .rlimit(Rlimit.of(Rlimit.Resource.STACK, problem.memory().bytes()))
                .rlimit(Rlimit.of(Rlimit.Resource.FSIZE, problem.output().bytes()))
                .stderr(Output.capture(problem.output()));
    }

    /**
     * The wall-clock limit of a submission with this CPU time limit: generous, for a program that
     * sleeps or blocks rather than computes (the package format allows one).
     */
    static Duration wallLimit(Duration timeLimit) {
        return timeLimit.multipliedBy(3).plusSeconds(2);
    }

    private TestResult runTest(Problem problem, ContainerPool pool, Program program, Optional<Program> validator,
                               TestCase test, Duration timeLimit) throws IOException {
        ContainerResult r = pool.run(program.command(), Input.file(test.input()));
        Optional<TestResult> limited = limitVerdict(test, r, timeLimit, r.usage().cpuTime().compareTo(timeLimit) > 0);
        if (limited.isPresent()) {
            return limited.get();
        }
        Verdict v;
        String detail;
        if (validator.isEmpty()) {
            Optional<String> wrong = DefaultValidator.parse(test.validatorArgs())
                    .check(Files.readAllBytes(test.answer()), r.stdoutBytes());
            v = wrong.isEmpty() ? Verdict.AC : Verdict.WA;
            detail = wrong.orElse("");
        } else {
            ValidatorOutcome o = validate(problem, validator.get(), test, Input.bytes(r.stdoutBytes()));
            v = o.verdict();
            detail = o.detail();
        }
        return result(test, v, r.usage(), detail);
    }

    private static TestResult result(TestCase test, Verdict v, ResourceUsage u, String detail) {
        return new TestResult(test.name(), v, u.cpuTime(), u.peakMemory(), detail);
    }

    /**
     * The verdict of a run that did not end normally, if it did not: the limits first, so that
     * a fork bomb (its pids limit reached) is told apart from a CPU-time kill.
     */
    static Optional<TestResult> limitVerdict(TestCase test, ContainerResult r, Duration timeLimit, boolean overTime) {
        ResourceUsage u = r.usage();
        /* the kernel's count of forks its limit refused; its peak where it keeps no such count */
        boolean pidsReached = u.pidsLimitReached()
                || (u.pidsLimitHits().isEmpty() && u.pidsPeak().isPresent() && u.pidsPeak().getAsLong() >= PIDS);
        if (pidsReached && !r.succeeded()) {
            return Optional.of(result(test, Verdict.RTE, u, "reached its pids limit of " + PIDS
                    + " processes and threads (" + r.termination() + ")"));
        }
        if (r.termination() == Termination.OOM_KILLED || u.oomKills() > 0) {
            return Optional.of(result(test, Verdict.MLE, u, "killed at its memory limit"));
        }
        if (r.termination() == Termination.CPU_TIME_EXCEEDED || overTime) {
            return Optional.of(result(test, Verdict.TLE, u, "CPU time limit " + seconds(timeLimit)));
        }
        if (r.termination() == Termination.TIMED_OUT) {
            return Optional.of(result(test, Verdict.TLE, u, "wall-clock limit (" + seconds(u.wallTime()) + ")"));
        }
        if (r.termination() == Termination.OUTPUT_LIMITED) {
            return Optional.of(result(test, Verdict.OLE, u, "output limit"));
        }
        return switch (r.termination()) {
            case EXITED -> r.exitCode().getAsInt() == 0 ? Optional.empty()
                    : Optional.of(result(test, Verdict.RTE, u, "exit code " + r.exitCode().getAsInt() + firstLine(r.stderr())));
            case SIGNALED -> Optional.of(result(test, Verdict.RTE, u, "signal " + r.signal().orElse(0)
                    + (r.signal().orElse(0) == 25 ? " (SIGXFSZ: a file over the output limit)" : "")));
            case SECCOMP_KILLED -> Optional.of(result(test, Verdict.RTE, u, "a forbidden system call"));
            default -> Optional.of(result(test, Verdict.RTE, u, r.termination().toString()));
        };
    }

    private static String firstLine(String s) {
        String t = s.strip();
        if (t.isEmpty()) {
            return "";
        }
        String last = t.substring(t.lastIndexOf('\n') + 1);
        return ": " + (last.length() > 80 ? last.substring(0, 77) + "..." : last);
    }

    private static String seconds(Duration d) {
        return String.format(java.util.Locale.ROOT, "%.3gs", d.toNanos() / 1e9);
    }

    private record ValidatorOutcome(Verdict verdict, String detail, Optional<ContainerResult> result) {}

    /** The validator's container: the test's input and answer read-only, a feedback directory, its own limits. */
    private static ContainerSpec.Builder validatorSpec(Problem problem, Program validator, TestCase test) {
        return Container.builder()
                .rootfs(Rootfs.hostReadOnly())
                .mount(Mount.bind(validator.directory(), Language.PROGRAM_DIR))
                .mount(Mount.bind(test.input(), INPUT))
                .mount(Mount.bind(test.answer(), ANSWER))
                .scratch(ScratchDirectory.at(FEEDBACK).copyOutAll()      // the feedback files, within their caps
                        .caps(problem.validationOutput(), problem.validationOutput()))
                .readOnlyRoot(true)
                .mount(Mount.tmpfs("/tmp", SCRATCH))
                .workingDirectory("/tmp")
                .env(Program.ENVIRONMENT)
                .memory(problem.validationMemory())
                .pids(PIDS)
                .timeout(problem.validationTime())
                .rlimit(Rlimit.of(Rlimit.Resource.FSIZE, problem.validationOutput().bytes()))
                .stderr(Output.capture(problem.validationOutput()));
    }

    private static List<String> validatorCommand(Program validator, TestCase test) {
        List<String> cmd = new ArrayList<>(validator.command());
        cmd.addAll(List.of(INPUT, ANSWER, FEEDBACK + "/"));
        cmd.addAll(test.validatorArgs());
        return cmd;
    }

    private ValidatorOutcome validate(Problem problem, Program validator, TestCase test, Input teamOutput) {
        ContainerSpec spec = validatorSpec(problem, validator, test)
                .stdin(teamOutput)
                .stdout(Output.capture(problem.validationOutput()))
                .build();
        ContainerResult r = sandboxes.run(spec, validatorCommand(validator, test));
        return judgeValidator(r);
    }

    /** 42 accepts, 43 rejects, anything else is a judge error; the feedback directory within its caps. */
    private static ValidatorOutcome judgeValidator(ContainerResult r) {
        CopiedFiles feedback = r.files().orElseThrow();
        if (!feedback.complete()) {
            return new ValidatorOutcome(Verdict.JE, "validator feedback over its cap: " + feedback.refused(), Optional.of(r));
        }
        String message = new String(feedback.files().getOrDefault("judgemessage.txt", new byte[0]),
                StandardCharsets.UTF_8).strip();
        if (message.contains("\n")) {
            message = message.substring(0, message.indexOf('\n'));
        }
        if (r.termination() == Termination.EXITED && r.exitCode().getAsInt() == 42) {
            return new ValidatorOutcome(Verdict.AC, "", Optional.of(r));
        }
        if (r.termination() == Termination.EXITED && r.exitCode().getAsInt() == 43) {
            return new ValidatorOutcome(Verdict.WA, message.isEmpty() ? "rejected by the output validator" : message,
                    Optional.of(r));
        }
        return new ValidatorOutcome(Verdict.JE, "output validator ended " + r.termination()
                + r.exitCode().stream().mapToObj(c -> " with exit code " + c).findFirst().orElse("")
                + firstLine(r.stderr()), Optional.of(r));
    }

    /**
     * An interactive test case: the validator (with the test's input and answer) and the
     * submission run at once as an {@link Interaction}, each in its own container with its own
     * limits; what the one writes, the other reads.
     */
    private TestResult runInteractive(Problem problem, Program program, Program validator, TestCase test,
                                      Duration timeLimit) throws InterruptedException {
        ContainerSpec solutionSpec = submissionSpec(problem, program, timeLimit)
                .stdout(Output.capture(problem.output()))      // caps what it may send the validator
                .command(program.command().toArray(String[]::new)).build();
        ContainerSpec interactorSpec = validatorSpec(problem, validator, test)
                .timeout(problem.validationTime().plus(wallLimit(timeLimit)))
                .stdout(Output.capture(problem.validationOutput()))
                .command(validatorCommand(validator, test).toArray(String[]::new)).build();
        try (Interaction.Running run = sandboxes.interact(solutionSpec, interactorSpec)) {
            // Once the validator has decided, a solution still running gets end of file if it
            // was accepted (it may finish), and is killed if not (the verdict is the validator's).
            run.second().onExit().thenAccept(ir -> {
                if (!(ir.termination() == Termination.EXITED && ir.exitCode().getAsInt() == 42)) {
                    run.first().kill();
                }
            });
            Interaction.Result both = run.waitFor();
            ValidatorOutcome o = judgeValidator(both.second());
            ContainerResult sr = both.first();
            Optional<TestResult> limited = limitVerdict(test, sr, timeLimit,
                    sr.usage().cpuTime().compareTo(timeLimit) > 0);
            // If the solution ended first, its own end (a crash, a limit) comes first; if not,
            // the validator's verdict stands, unless it accepted a solution that then broke a limit.
            if (both.endedFirst() == Interaction.Side.FIRST && limited.isPresent()) {
                return limited.get();
            }
            if (o.verdict() == Verdict.AC && limited.isPresent()) {
                return limited.get();
            }
            return result(test, o.verdict(), sr.usage(), o.detail());
        }
    }

    /** Removes the compiled validators and stops the runners. */
    @Override
    public void close() {
        runners.shutdownNow();
        synchronized (this) {
            validators.values().forEach(Program::close);
            validators.clear();
        }
    }

    /** A submission in a language this judge does not take. */
    public static final class UnsupportedLanguageException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        /** @param message which file and why */
        public UnsupportedLanguageException(String message) {
            super(message);
        }
    }
}
