package dev.corral.cgroups;

import dev.corral.unit.DataSize;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * What a cgroup's processes used, from the kernel's own counters. A value is empty where this
 * kernel or hierarchy does not count it (e.g. {@code pids.peak} before Linux 6.1).
 *
 * <pre>{@code
 * CgroupUsage u = cgroup.usage();
 * u.cpuUser();                 // Optional[PT0.52S]
 * u.memoryPeak();              // Optional[66584576B]
 * u.memoryPeakSource();        // MEMORY_PEAK on v2, MAX_USAGE_IN_BYTES on v1, or UNKNOWN:
 *                              // then use the rusage max RSS of the process you waited for
 * u.oomKills();                // OptionalLong[1]
 * u.pidsLimitHits();           // OptionalLong[3]: forks the pids limit refused (a fork bomb)
 * }</pre>
 *
 * @param cpuUser CPU time spent in user mode by all processes, living and dead
 * @param cpuSystem CPU time spent in the kernel on their behalf
 * @param memoryCurrent memory charged now
 * @param memoryPeak the most memory charged at once since the cgroup was created
 * @param memoryPeakSource where {@code memoryPeak} comes from
 * @param oomKills how many processes the OOM killer killed in this cgroup
 * @param pidsCurrent how many processes and threads live now
 * @param pidsPeak the most processes and threads at once
 * @param pidsLimitHits how many times a fork or clone was refused because the cgroup held
 *     {@code pids.max} processes and threads ({@code pids.events} {@code max})
 */
public record CgroupUsage(
        Optional<Duration> cpuUser,
        Optional<Duration> cpuSystem,
        Optional<DataSize> memoryCurrent,
        Optional<DataSize> memoryPeak,
        PeakSource memoryPeakSource,
        OptionalLong oomKills,
        OptionalLong pidsCurrent,
        OptionalLong pidsPeak,
        OptionalLong pidsLimitHits) {

    /**
     * Where the peak memory figure comes from.
     *
     * <pre>{@code
     * CgroupUsage u = cgroup.usage();
     * u.memoryPeakSource();   // MEMORY_PEAK on cgroup v2 (5.19+), MAX_USAGE_IN_BYTES on v1
     * }</pre>
     */
    public enum PeakSource {
        /** cgroup v2 {@code memory.peak} (Linux 5.19 and later). */
        MEMORY_PEAK,
        /** cgroup v1 {@code memory.max_usage_in_bytes}. */
        MAX_USAGE_IN_BYTES,
        /**
         * The kernel keeps no peak for this cgroup: use the max RSS from {@code wait4}'s rusage
         * of the process you waited for (a lower bound: it does not add up children).
         */
        UNKNOWN
    }

    /** Checks that no component is null and that the peak source matches the peak's presence. */
    public CgroupUsage {
        Objects.requireNonNull(cpuUser, "cpuUser");
        Objects.requireNonNull(cpuSystem, "cpuSystem");
        Objects.requireNonNull(memoryCurrent, "memoryCurrent");
        Objects.requireNonNull(memoryPeak, "memoryPeak");
        Objects.requireNonNull(memoryPeakSource, "memoryPeakSource");
        Objects.requireNonNull(oomKills, "oomKills");
        Objects.requireNonNull(pidsCurrent, "pidsCurrent");
        Objects.requireNonNull(pidsPeak, "pidsPeak");
        Objects.requireNonNull(pidsLimitHits, "pidsLimitHits");
        if (memoryPeak.isPresent() == (memoryPeakSource == PeakSource.UNKNOWN)) {
            throw new IllegalArgumentException("memoryPeak " + memoryPeak + " does not match its source " + memoryPeakSource);
        }
    }

    /** @return user plus system CPU time, if both are known */
    public Optional<Duration> cpuTotal() {
        return cpuUser.flatMap(u -> cpuSystem.map(u::plus));
    }
}
