package dev.corral.samples.judge;

import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * A submission's judgement: its verdict, the first test case that was not accepted decides it.
 *
 * <pre>{@code
 * Judgement j = judge.judge(problem, submission, Duration.ofSeconds(1), r -> System.out.println(r.line()));
 * j.verdict();          // WA
 * j.compileMessage();   // empty unless CE
 * }</pre>
 *
 * @param submission     the submission's path
 * @param verdict        the whole submission's verdict
 * @param timeLimit      the time limit it ran under
 * @param compileMessage the compiler's message, on CE
 * @param tests          every test case that ran, in order
 */
public record Judgement(String submission, Verdict verdict, Duration timeLimit, Optional<String> compileMessage,
                        List<TestResult> tests) {
    /** Checks and copies. */
    public Judgement {
        Objects.requireNonNull(submission, "submission");
        Objects.requireNonNull(verdict, "verdict");
        Objects.requireNonNull(timeLimit, "timeLimit");
        Objects.requireNonNull(compileMessage, "compileMessage");
        tests = List.copyOf(tests);
    }

    /** @return the slowest test case's CPU time */
    public Duration slowest() {
        return tests.stream().map(TestResult::time).max(Duration::compareTo).orElse(Duration.ZERO);
    }
}
