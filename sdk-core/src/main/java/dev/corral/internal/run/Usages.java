package dev.corral.internal.run;

import dev.corral.ResourceUsage;
import dev.corral.Termination;
import dev.corral.ResourceUsage.PeakMemorySource;
import dev.corral.cgroups.CgroupUsage;
import dev.corral.namespaces.launcher.ExitReport;
import dev.corral.unit.DataSize;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * What a container's end and its counters make of its result: its {@link Termination}, and its
 * {@link ResourceUsage} from its cgroup's counters where it has them and else from what
 * {@code wait4} reported at the reap (and for {@code stats()} while it runs).
 *
 * <pre>{@code
 * List<Optional<String>> read = Usages.countersRead(lease.counterDescriptors().size(), report);
 * ResourceUsage u = Usages.ofExit(report, Optional.of(lease.usage(read)));  // the result's
 * ResourceUsage now = Usages.live(elapsed, cgroup.usage());                  // stats()
 * }</pre>
 */
final class Usages {
    private static final int SIGKILL = 9, SIGSYS = 31;

    private Usages() {}

    /**
     * What the container's run saw before its end.
     *
     * @param outputLimited   a capture limit was exceeded (the container was killed for it)
     * @param timedOut        its timeout fired and killed it
     * @param cpuTimeExceeded its CPU-time limit was reached and it was killed
     * @param oomKilled       its cgroup counted an OOM kill
     * @param killedByCaller  the caller killed it
     * @param seccompConfined it ran under a seccomp filter
     */
    record Causes(boolean outputLimited, boolean timedOut, boolean cpuTimeExceeded, boolean oomKilled,
                  boolean killedByCaller, boolean seccompConfined) {}

    /** @return how the container ended: the first cause that explains a signal, in the order of {@link Causes} */
    static Termination termination(ExitReport r, Causes c) {
        if (c.outputLimited()) {
            return Termination.OUTPUT_LIMITED;
        } else if (c.timedOut() && r.signaled()) {
            return Termination.TIMED_OUT;
        } else if (c.cpuTimeExceeded() && r.signaled()) {
            return Termination.CPU_TIME_EXCEEDED;
        } else if (c.oomKilled() && r.signaled() && r.value() == SIGKILL) {
            return Termination.OOM_KILLED;
        } else if (c.killedByCaller() && r.signaled()) {
            return Termination.KILLED;
        } else if (r.signaled() && r.value() == SIGSYS && c.seccompConfined()) {
            return Termination.SECCOMP_KILLED;
        }
        return r.signaled() ? Termination.SIGNALED : Termination.EXITED;
    }

    /**
     * @param counters how many counter descriptors the plan had the launcher read at the reap
     * @param report   the launcher's report, with what it read of each
     * @return each counter as the launcher read it, in the plan's order; empty for one it could
     *     not read whole, and for every one if the report holds another number of them
     */
    static List<Optional<String>> countersRead(int counters, ExitReport report) {
        List<ExitReport.CounterFile> read = report.counterFiles();
        if (read.size() != counters) {
            return java.util.Collections.nCopies(counters, Optional.empty());
        }
        return read.stream().map(f -> f.read() ? f.content() : Optional.<String>empty()).toList();
    }

    /**
     * @param r  the launcher's report of the reap
     * @param cg the cgroup's counters as read after the reap, if the container had a cgroup
     * @return the cgroup's CPU times and peak where it counts them (every process, reaped or
     *     not), else wait4's
     */
    static ResourceUsage ofExit(ExitReport r, Optional<CgroupUsage> cg) {
        DataSize rss = DataSize.ofKibibytes(r.maxRssKibibytes());
        if (cg.isEmpty()) {
            return new ResourceUsage(r.wallTime(), r.userTime(), r.systemTime(), rss, PeakMemorySource.RUSAGE_MAX_RSS,
                    0, OptionalLong.empty(), Optional.empty());
        }
        CgroupUsage c = cg.get();
        Optional<PeakMemorySource> source = peakSource(c);
        return new ResourceUsage(r.wallTime(), c.cpuUser().orElse(r.userTime()), c.cpuSystem().orElse(r.systemTime()),
                source.isPresent() ? c.memoryPeak().get() : rss, source.orElse(PeakMemorySource.RUSAGE_MAX_RSS),
                c.oomKills().orElse(0), c.pidsPeak(), Optional.empty(), c.pidsLimitHits());
    }

    /**
     * A running container's usage: the cgroup's counters as they are now. CPU times the cgroup
     * does not count (v1 without cpuacct) are zero; without a peak counter the peak is the
     * current usage, said so by its source.
     */
    static ResourceUsage live(Duration wall, CgroupUsage cg) {
        Optional<PeakMemorySource> source = peakSource(cg);
        return new ResourceUsage(wall, cg.cpuUser().orElse(Duration.ZERO), cg.cpuSystem().orElse(Duration.ZERO),
                source.isPresent() ? cg.memoryPeak().get() : cg.memoryCurrent().orElse(DataSize.ofBytes(0)),
                source.orElse(PeakMemorySource.CGROUP_MEMORY_CURRENT), cg.oomKills().orElse(0), cg.pidsPeak(),
                cg.memoryCurrent(), cg.pidsLimitHits());
    }

    /** Where the cgroup's peak comes from, if it has one. */
    private static Optional<PeakMemorySource> peakSource(CgroupUsage cg) {
        if (cg.memoryPeak().isEmpty() || cg.memoryPeakSource() == CgroupUsage.PeakSource.UNKNOWN) {
            return Optional.empty();
        }
        return Optional.of(cg.memoryPeakSource() == CgroupUsage.PeakSource.MEMORY_PEAK
                ? PeakMemorySource.CGROUP_MEMORY_PEAK : PeakMemorySource.CGROUP_MAX_USAGE);
    }
}
