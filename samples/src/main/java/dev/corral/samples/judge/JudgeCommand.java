package dev.corral.samples.judge;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.corral.ContainerStartException;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * The {@code corral-judge} command line.
 *
 * <pre>{@code
 * corral-judge PROBLEM_DIR SUBMISSION_FILE [--time-limit SECONDS] [--json FILE]
 * corral-judge --verify PROBLEM_DIR [--time-limit SECONDS]
 * }</pre>
 */
@Command(name = "corral-judge", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Judge a submission against a problem package (problemarchive.org format, legacy or 2023-07),",
                "or with --verify judge every submission under the package's submissions/ folders and check",
                "that each gets its folder's verdict. Prints one line per test case (verdict, CPU time, peak",
                "memory) and, last, 'verdict: AC|WA|TLE|MLE|RTE|OLE|CE'."},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:accepted (with --verify: every submission got its folder's verdict)",
                "1:any other verdict (with --verify: some submission did not get its folder's verdict)",
                "2:usage error", "3:the submission's language is not supported",
                "4:the problem package is not valid, or the judge failed"})
public final class JudgeCommand implements Callable<Integer> {

    private static final String LOG_LEVEL = "org.slf4j.simpleLogger.defaultLogLevel";
    /** The time limit accepted submissions run under while a derived time limit is measured. */
    static final Duration PROBE_LIMIT = Duration.ofSeconds(10);
    private static final List<String> FOLDERS = List.of("accepted", "wrong_answer", "time_limit_exceeded",
            "run_time_error", "rejected");

    @Option(names = "--verify", description = "Judge every submission of PROBLEM_DIR/submissions/<accepted|"
            + "wrong_answer|time_limit_exceeded|run_time_error>/ and check each gets its folder's verdict "
            + "(a memory-limit kill and an output-limit kill count as run_time_error).")
    boolean verify;

    @Option(names = "--time-limit", paramLabel = "SECONDS", description = "The CPU time limit per test case "
            + "(default: problem.yaml's time_limit, else .timelimit, else derived from the accepted submissions "
            + "as the package format says).")
    Double timeLimit;

    @Option(names = "--json", paramLabel = "FILE", description = "Also write the judgement(s) as JSON to FILE.")
    Path json;

    @Option(names = "--parallel", paramLabel = "N", description = "Test cases run at once (default: one per core).")
    int parallel = Runtime.getRuntime().availableProcessors();

    @Parameters(index = "0", paramLabel = "PROBLEM_DIR", description = "The problem package's directory.")
    Path problemDir;

    @Parameters(index = "1", arity = "0..1", paramLabel = "SUBMISSION_FILE",
            description = "A source file (.c, .cpp/.cc/.cxx, .py, .java) or a directory of them.")
    Path submission;

    private PrintWriter out;
    private PrintWriter err;

    /**
     * Runs the judge and exits with its exit code.
     *
     * @param args the command-line arguments
     */
    public static void main(String... args) {
        if (System.getProperty(LOG_LEVEL) == null) {
            System.setProperty(LOG_LEVEL, "error");
        }
        System.exit(execute(args));
    }

    /**
     * Runs the judge in this JVM and returns its exit code.
     *
     * @param args the command-line arguments
     * @return the exit code
     */
    public static int execute(String... args) {
        return new CommandLine(new JudgeCommand()).execute(args);
    }

    /**
     * Runs the judge in this JVM, printing to the given writers, and returns its exit code.
     *
     * @param out  where the judgement goes
     * @param err  where errors go
     * @param args the command-line arguments
     * @return the exit code
     */
    public static int execute(PrintWriter out, PrintWriter err, String... args) {
        JudgeCommand command = new JudgeCommand();
        command.out = out;
        command.err = err;
        return new CommandLine(command).setOut(out).setErr(err).execute(args);
    }

    @Override
    public Integer call() {
        if (out == null) {
            out = new PrintWriter(System.out, true);
            err = new PrintWriter(System.err, true);
        }
        if (verify == (submission != null)) {
            err.println("corral-judge: give PROBLEM_DIR and SUBMISSION_FILE, or --verify PROBLEM_DIR");
            return 2;
        }
        if (timeLimit != null && !(timeLimit > 0)) {
            err.println("corral-judge: --time-limit must be a positive number of seconds");
            return 2;
        }
        Optional<Duration> cliLimit = Optional.ofNullable(timeLimit).map(s -> Duration.ofNanos(Math.round(s * 1e9)));
        try (Judge judge = new Judge(Sandboxes.fresh(), Math.max(1, parallel))) {
            Problem problem = Problem.load(problemDir);
            out.printf("problem: %s (%s, %s%d test cases)%n", problem.name(), problem.formatVersion(),
                    problem.interactive() ? "interactive, " : "", problem.tests().size());
            return verify ? verify(judge, problem, cliLimit) : judgeOne(judge, problem, cliLimit);
        } catch (ProblemFormatException e) {
            err.println("corral-judge: " + e.getMessage());
            return 4;
        } catch (Judge.UnsupportedLanguageException e) {
            err.println("corral-judge: " + e.getMessage());
            return 3;
        } catch (ContainerStartException e) {
            err.println("corral-judge: a container did not start: " + e.getMessage());
            return 4;
        } finally {
            out.flush();
            err.flush();
        }
    }

    private int judgeOne(Judge judge, Problem problem, Optional<Duration> cliLimit) {
        if (!Files.exists(submission)) {
            err.println("corral-judge: " + submission + ": no such file");
            return 2;
        }
        Duration limit = cliLimit.or(problem::timeLimit).orElseGet(() -> derive(judge, problem, new ArrayList<>()));
        out.println("time limit: " + seconds(limit));
        Judgement j = judge.judge(problem, submission, limit, r -> println(r.line()));
        printVerdict(j);
        writeJson(List.of(j));
        return j.verdict() == Verdict.AC ? 0 : 1;
    }

    /** The time limit from the accepted submissions' slowest CPU time, as the package format derives it. */
    private Duration derive(Judge judge, Problem problem, List<Judgement> accepted) {
        List<Path> subs = submissions(problem, "accepted");
        if (subs.isEmpty()) {
            throw new ProblemFormatException(problem.directory() + ": no time limit in problem.yaml or .timelimit, "
                    + "and no submissions/accepted/ to derive one from: give --time-limit");
        }
        Duration slowest = Duration.ZERO;
        for (Path s : subs) {
            Judgement j = judge.judge(problem, s, PROBE_LIMIT, r -> { });
            accepted.add(j);
            slowest = j.slowest().compareTo(slowest) > 0 ? j.slowest() : slowest;
        }
        Duration limit = problem.deriveTimeLimit(slowest);
        out.printf(Locale.ROOT, "time limit derived from %d accepted submissions: slowest CPU time %s x %s, "
                + "in steps of %ss%n", subs.size(), seconds(slowest), problem.acToTimeLimit(), problem.timeResolution());
        return limit;
    }

    private int verify(Judge judge, Problem problem, Optional<Duration> cliLimit) {
        List<Judgement> probed = new ArrayList<>();
        Duration limit = cliLimit.or(problem::timeLimit).orElseGet(() -> derive(judge, problem, probed));
        out.println("time limit: " + seconds(limit));
        List<Judgement> all = new ArrayList<>();
        List<String> summary = new ArrayList<>();
        int bad = 0;
        int count = 0;
        for (String folder : FOLDERS) {
            for (Path s : submissions(problem, folder)) {
                count++;
                String name = problem.directory().resolve("submissions").relativize(s).toString();
                // TLE submissions must stay too slow with the safety margin on top of the limit
                Duration under = folder.equals("time_limit_exceeded")
                        ? Duration.ofNanos(Math.round(limit.toNanos() * problem.timeLimitToTle())) : limit;
                println("== " + name + (under.equals(limit) ? "" : " (time limit " + seconds(under) + " with the margin)"));
                Optional<Judgement> j;
                try {
                    Optional<Judgement> earlier = probed.stream().filter(p -> p.submission().equals(s.toString())).findFirst();
                    if (earlier.isPresent() && earlier.get().slowest().compareTo(limit) <= 0) {
                        earlier.get().tests().forEach(r -> println(r.line()));
                        j = Optional.of(new Judgement(earlier.get().submission(), earlier.get().verdict(), limit,
                                earlier.get().compileMessage(), earlier.get().tests()));
                    } else {
                        j = Optional.of(judge.judge(problem, s, under, r -> println(r.line())));
                    }
                } catch (Judge.UnsupportedLanguageException e) {
                    println(e.getMessage());
                    j = Optional.empty();
                }
                j.ifPresent(this::printVerdict);
                j.ifPresent(all::add);
                boolean ok = j.isPresent() && expected(folder, j.get().verdict());
                if (!ok) {
                    bad++;
                }
                summary.add(String.format(Locale.ROOT, "%-4s %-48s %s%s", ok ? "ok" : "FAIL", name,
                        j.map(x -> x.verdict().toString()).orElse("unsupported"),
                        ok ? "" : " (expected " + folder + ")"));
            }
        }
        println("== summary");
        summary.forEach(this::println);
        println(String.format(Locale.ROOT, "verify: %d of %d submissions got their folder's verdict", count - bad, count));
        writeJson(all);
        return bad == 0 && count > 0 ? 0 : 1;
    }

    private static boolean expected(String folder, Verdict v) {
        return switch (folder) {
            case "accepted" -> v == Verdict.AC;
            case "wrong_answer" -> v == Verdict.WA;
            case "time_limit_exceeded" -> v == Verdict.TLE;
            case "run_time_error" -> v.folderVerdict() == Verdict.RTE;
            case "rejected" -> v != Verdict.AC && v != Verdict.JE;
            default -> false;
        };
    }

    private static List<Path> submissions(Problem problem, String folder) {
        Path dir = problem.directory().resolve("submissions").resolve(folder);
        return Files.isDirectory(dir) ? Problem.list(dir) : List.of();
    }

    private void printVerdict(Judgement j) {
        j.compileMessage().ifPresent(m -> println("compile error:\n" + m.stripTrailing()));
        println("verdict: " + j.verdict());
    }

    private synchronized void println(String line) {
        out.println(line);
        out.flush();
    }

    private static String seconds(Duration d) {
        double s = d.toNanos() / 1e9;
        return (s == Math.rint(s) ? String.valueOf((long) s) : String.format(Locale.ROOT, "%.3f", s)) + "s";
    }

    private void writeJson(List<Judgement> judgements) {
        if (json == null) {
            return;
        }
        ObjectMapper m = new ObjectMapper();
        ArrayNode list = m.createArrayNode();
        for (Judgement j : judgements) {
            ObjectNode o = list.addObject();
            o.put("submission", j.submission());
            o.put("verdict", j.verdict().toString());
            o.put("timeLimitSeconds", j.timeLimit().toNanos() / 1e9);
            j.compileMessage().ifPresent(c -> o.put("compileMessage", c));
            ArrayNode tests = o.putArray("tests");
            for (TestResult r : j.tests()) {
                tests.addObject().put("test", r.test()).put("verdict", r.verdict().toString())
                        .put("cpuSeconds", r.time().toNanos() / 1e9).put("peakMemoryBytes", r.memory().bytes())
                        .put("detail", r.detail());
            }
        }
        try {
            m.writerWithDefaultPrettyPrinter().writeValue(json.toFile(), judgements.size() == 1 && !verify ? list.get(0)
                    : m.createObjectNode().put("problem", problemDir.toString()).set("submissions", list));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

}
