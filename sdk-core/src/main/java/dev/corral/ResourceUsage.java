package dev.corral;

import dev.corral.cgroups.DataSize;
import java.time.Duration;
import java.util.Objects;

/**
 * What a container's run used.
 *
 * <pre>{@code
 * ResourceUsage u = result.usage();
 * u.wallTime();        // PT0.004S, from clone to the end of the container
 * u.userCpuTime();     // CPU time in user mode, all processes of the container
 * u.peakMemory();      // 1.2 MiB
 * u.peakMemorySource(); // RUSAGE_MAX_RSS
 * }</pre>
 *
 * @param wallTime         from the container's creation to its end
 * @param userCpuTime      user-mode CPU time of every process of the container
 * @param systemCpuTime    kernel-mode CPU time of every process of the container
 * @param peakMemory       the most memory in use at once
 * @param peakMemorySource how {@code peakMemory} was measured
 */
public record ResourceUsage(Duration wallTime, Duration userCpuTime, Duration systemCpuTime, DataSize peakMemory,
                            PeakMemorySource peakMemorySource) {

    /** How the peak memory was measured, best first. */
    public enum PeakMemorySource {
        /** The largest resident set of any single process ({@code getrusage} {@code ru_maxrss}). */
        RUSAGE_MAX_RSS
    }

    /** Checks every field is present. */
    public ResourceUsage {
        Objects.requireNonNull(wallTime, "wallTime");
        Objects.requireNonNull(userCpuTime, "userCpuTime");
        Objects.requireNonNull(systemCpuTime, "systemCpuTime");
        Objects.requireNonNull(peakMemory, "peakMemory");
        Objects.requireNonNull(peakMemorySource, "peakMemorySource");
    }

    /** @return user plus system CPU time */
    public Duration cpuTime() {
        return userCpuTime.plus(systemCpuTime);
    }
}
