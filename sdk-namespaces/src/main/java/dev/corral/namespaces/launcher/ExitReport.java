package dev.corral.namespaces.launcher;

import java.time.Duration;
import java.util.OptionalInt;

/**
 * How a container's command ended, with the resource usage the launcher measured: the wait
 * status of the command, and {@code wait4} rusage of the container's first process, which
 * includes every descendant it reaped.
 *
 * <pre>{@code
 * report.exitCode();    // OptionalInt[0]
 * report.userTime();    // PT0.002S
 * }</pre>
 *
 * @param signaled       true if a signal ended the command
 * @param value          the exit code, or the signal number
 * @param wallTime       from clone to reaping
 * @param userTime       user CPU time
 * @param systemTime     system CPU time
 * @param maxRssKibibytes the largest resident set of any of its processes, in KiB
 */
public record ExitReport(boolean signaled, int value, Duration wallTime, Duration userTime, Duration systemTime,
                         long maxRssKibibytes) {

    /** @return the exit code, if the command exited */
    public OptionalInt exitCode() {
        return signaled ? OptionalInt.empty() : OptionalInt.of(value);
    }

    /** @return the signal number, if a signal ended the command */
    public OptionalInt signal() {
        return signaled ? OptionalInt.of(value) : OptionalInt.empty();
    }
}
