package dev.corral.samples.judge;

import dev.corral.unit.DataSize;
import java.time.Duration;
import java.util.Locale;
import java.util.Objects;

/**
 * What one test case gave.
 *
 * <pre>{@code
 * r.line();   // "secret/02     TLE   1.003s     1.4 MiB  CPU time limit 1s"
 * }</pre>
 *
 * @param test    the test case's name
 * @param verdict its verdict
 * @param time    the submission's CPU time (user plus system, all its processes)
 * @param memory  the submission's peak memory
 * @param detail  why, in a few words (empty when accepted)
 */
public record TestResult(String test, Verdict verdict, Duration time, DataSize memory, String detail) {
    /** Checks every field is present. */
    public TestResult {
        Objects.requireNonNull(test, "test");
        Objects.requireNonNull(verdict, "verdict");
        Objects.requireNonNull(time, "time");
        Objects.requireNonNull(memory, "memory");
        Objects.requireNonNull(detail, "detail");
    }

    /** @return the one line the judge prints for it: name, verdict, time, memory, detail */
    public String line() {
        return String.format(Locale.ROOT, "%-24s %-3s %7.3fs %9.1f MiB  %s", test, verdict, time.toNanos() / 1e9,
                memory.bytes() / 1048576.0, detail).stripTrailing();
    }
}
