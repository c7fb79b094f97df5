package dev.corral;

import dev.corral.unit.DataSize;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * What a container used: in a finished run's {@link ContainerResult#usage()}, and so far in a
 * running container's {@link ContainerProcess#stats()}.
 *
 * <pre>{@code
 * ResourceUsage u = result.usage();
 * u.wallTime();        // PT0.004S, from clone to the end of the container
 * u.userCpuTime();     // CPU time in user mode, all processes of the container
 * u.peakMemory();      // 1.2 MiB
 * u.peakMemorySource(); // CGROUP_MEMORY_PEAK with a cgroup, RUSAGE_MAX_RSS without
 * u.pidsLimitHits();   // OptionalLong[0]; more than 0: a fork was refused at its pids limit
 *
 * try (ContainerProcess p = Container.builder().memory(DataSize.ofMebibytes(64)).start("/bin/sh", "-c", "sleep 5")) {
 *     p.stats().currentMemory();  // Optional[300 KiB]: what it holds now
 * }
 * }</pre>
 *
 * @param wallTime         from the container's creation to its end (to now, for a running one)
 * @param userCpuTime      user-mode CPU time of every process of the container
 * @param systemCpuTime    kernel-mode CPU time of every process of the container
 * @param peakMemory       the most memory in use at once
 * @param peakMemorySource how {@code peakMemory} was measured
 * @param oomKills         processes the OOM killer ended (0 without a memory cgroup)
 * @param pidsPeak         the most processes and threads at once, where the kernel counts it
 * @param currentMemory    the memory in use when it was read: in a running container's
 *                         {@link ContainerProcess#stats()}; empty in a finished run's result
 * @param pidsLimitHits    how many forks and clones its pids limit refused (the cgroup's
 *                         {@code pids.events}): more than 0 tells a fork bomb stopped by its limit
 *                         from a program that merely ran out of time; empty without a pids cgroup
 */
public record ResourceUsage(Duration wallTime, Duration userCpuTime, Duration systemCpuTime, DataSize peakMemory,
                            PeakMemorySource peakMemorySource, long oomKills, OptionalLong pidsPeak,
                            Optional<DataSize> currentMemory, OptionalLong pidsLimitHits) {

    /**
     * How the peak memory was measured, best first.
     *
     * <pre>{@code
     * ResourceUsage u = Container.builder().memory(DataSize.ofMebibytes(64)).run("true").usage();
     * u.peakMemorySource();   // CGROUP_MEMORY_PEAK on cgroup v2, CGROUP_MAX_USAGE on v1
     * }</pre>
     */
    public enum PeakMemorySource {
        /** The container's cgroup: v2 {@code memory.peak}, everything it charged at once. */
        CGROUP_MEMORY_PEAK,
        /** The container's cgroup: v1 {@code memory.max_usage_in_bytes}. */
        CGROUP_MAX_USAGE,
        /** The largest resident set of any single process ({@code getrusage} {@code ru_maxrss}). */
        RUSAGE_MAX_RSS,
        /**
         * A running container's {@link ContainerProcess#stats()} where the kernel keeps no peak
         * (cgroup v2 before Linux 5.19): the memory in use when read, a lower bound of the peak.
         */
        CGROUP_MEMORY_CURRENT
    }

    /** Checks every field is present. */
    public ResourceUsage {
        Objects.requireNonNull(wallTime, "wallTime");
        Objects.requireNonNull(userCpuTime, "userCpuTime");
        Objects.requireNonNull(systemCpuTime, "systemCpuTime");
        Objects.requireNonNull(peakMemory, "peakMemory");
        Objects.requireNonNull(peakMemorySource, "peakMemorySource");
        Objects.requireNonNull(pidsPeak, "pidsPeak");
        Objects.requireNonNull(currentMemory, "currentMemory");
        Objects.requireNonNull(pidsLimitHits, "pidsLimitHits");
    }

    /**
     * A usage without a count of refused forks.
     *
     * @param wallTime         from creation to end
     * @param userCpuTime      user-mode CPU time
     * @param systemCpuTime    kernel-mode CPU time
     * @param peakMemory       the most memory in use at once
     * @param peakMemorySource how {@code peakMemory} was measured
     * @param oomKills         processes the OOM killer ended
     * @param pidsPeak         the most processes and threads at once
     * @param currentMemory    the memory in use when read
     */
    public ResourceUsage(Duration wallTime, Duration userCpuTime, Duration systemCpuTime, DataSize peakMemory,
                         PeakMemorySource peakMemorySource, long oomKills, OptionalLong pidsPeak,
                         Optional<DataSize> currentMemory) {
        this(wallTime, userCpuTime, systemCpuTime, peakMemory, peakMemorySource, oomKills, pidsPeak, currentMemory,
                OptionalLong.empty());
    }

    /** @return whether its pids limit refused a fork or clone at least once */
    public boolean pidsLimitReached() {
        return pidsLimitHits.orElse(0) > 0;
    }

    /** @return user plus system CPU time */
    public Duration cpuTime() {
        return userCpuTime.plus(systemCpuTime);
    }
}
