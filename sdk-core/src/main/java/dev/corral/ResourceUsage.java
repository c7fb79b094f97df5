package dev.corral;

import dev.corral.unit.DataSize;
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
 * u.peakMemorySource(); // CGROUP_MEMORY_PEAK with a cgroup, RUSAGE_MAX_RSS without
 * }</pre>
 *
 * @param wallTime         from the container's creation to its end
 * @param userCpuTime      user-mode CPU time of every process of the container
 * @param systemCpuTime    kernel-mode CPU time of every process of the container
 * @param peakMemory       the most memory in use at once
 * @param peakMemorySource how {@code peakMemory} was measured
 * @param oomKills         processes the OOM killer ended (0 without a memory cgroup)
 * @param pidsPeak         the most processes and threads at once, where the kernel counts it
 */
public record ResourceUsage(Duration wallTime, Duration userCpuTime, Duration systemCpuTime, DataSize peakMemory,
                            PeakMemorySource peakMemorySource, long oomKills, java.util.OptionalLong pidsPeak) {

    /** How the peak memory was measured, best first. */
    public enum PeakMemorySource {
        /** The container's cgroup: v2 {@code memory.peak}, everything it charged at once. */
        CGROUP_MEMORY_PEAK,
        /** The container's cgroup: v1 {@code memory.max_usage_in_bytes}. */
        CGROUP_MAX_USAGE,
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
        Objects.requireNonNull(pidsPeak, "pidsPeak");
    }

    /** @return user plus system CPU time */
    public Duration cpuTime() {
        return userCpuTime.plus(systemCpuTime);
    }
}
