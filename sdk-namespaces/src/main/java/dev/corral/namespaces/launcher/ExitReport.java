package dev.corral.namespaces.launcher;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
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
 * @param counterFiles   the plan's {@link LaunchPlan#readAtReap()} descriptors, in its order, as
 *                       the launcher read them right after the reap: {@link CounterFile#unread()}
 *                       if one could not be read whole ({@link CounterFile#absent()} is the JVM's
 *                       own note for a file that did not exist; the launcher reads descriptors)
 * @param countersReset  whether the launcher then wrote "0" to every one of the plan's
 *                       {@link LaunchPlan#zeroAtReap()} descriptors: only tried if it read every
 *                       counter, and false if the plan names none
 */
public record ExitReport(boolean signaled, int value, Duration wallTime, Duration userTime, Duration systemTime,
                         long maxRssKibibytes, List<CounterFile> counterFiles, boolean countersReset) {

    /** Copies the list. */
    public ExitReport {
        counterFiles = List.copyOf(counterFiles);
    }

    /**
     * One counter file as the launcher read it.
     *
     * <pre>{@code
     * report.counterFiles().get(0).content();   // Optional["1048576"] (trailing newline stripped)
     * }</pre>
     *
     * @param read    whether the launcher read it (false: the reader must read it itself)
     * @param content its text without the trailing newline; empty if it does not exist
     */
    public record CounterFile(boolean read, Optional<String> content) {
        /** @return a file the launcher found missing */
        public static CounterFile absent() {
            return new CounterFile(true, Optional.empty());
        }

        /** @return a file the launcher could not read */
        public static CounterFile unread() {
            return new CounterFile(false, Optional.empty());
        }
    }

    /** @return the exit code, if the command exited */
    public OptionalInt exitCode() {
        return signaled ? OptionalInt.empty() : OptionalInt.of(value);
    }

    /** @return the signal number, if a signal ended the command */
    public OptionalInt signal() {
        return signaled ? OptionalInt.of(value) : OptionalInt.empty();
    }
}
