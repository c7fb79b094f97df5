package dev.corral.internal.run;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.corral.ResourceUsage;
import dev.corral.ResourceUsage.PeakMemorySource;
import dev.corral.Termination;
import dev.corral.cgroups.CgroupUsage;
import dev.corral.cgroups.CgroupUsage.PeakSource;
import dev.corral.namespaces.launcher.ExitReport;
import dev.corral.unit.DataSize;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

/**
 * How a container ended, and which counters its usage is made of, with and without a cgroup,
 * ended and running: from the launcher's report and the run's own observations, without a kernel.
 */
class UsagesTest {
    private static final Duration WALL = Duration.ofMillis(900), USER = Duration.ofMillis(300),
            SYS = Duration.ofMillis(100);
    private static final ExitReport EXIT = new ExitReport(false, 0, WALL, USER, SYS, 2048, List.of(), false);

    private static CgroupUsage cgroup(Optional<Duration> user, Optional<Duration> sys, Optional<DataSize> peak,
                                      PeakSource source) {
        return new CgroupUsage(user, sys, Optional.of(DataSize.ofMebibytes(1)), peak, source, OptionalLong.of(1),
                OptionalLong.of(0), OptionalLong.of(3), OptionalLong.of(0));
    }

    @Test
    void withoutACgroupTheReapsFiguresAreTheUsage() {
        assertEquals(new ResourceUsage(WALL, USER, SYS, DataSize.ofKibibytes(2048), PeakMemorySource.RUSAGE_MAX_RSS, 0,
                OptionalLong.empty(), Optional.empty()), Usages.ofExit(EXIT, Optional.empty()));
    }

    @Test
    void aCgroupsCountersWinWhereItHasThem() {
        CgroupUsage v1 = cgroup(Optional.of(Duration.ofMillis(310)), Optional.of(Duration.ofMillis(120)),
                Optional.of(DataSize.ofMebibytes(40)), PeakSource.MAX_USAGE_IN_BYTES);
        assertEquals(new ResourceUsage(WALL, Duration.ofMillis(310), Duration.ofMillis(120), DataSize.ofMebibytes(40),
                PeakMemorySource.CGROUP_MAX_USAGE, 1, OptionalLong.of(3), Optional.empty(), OptionalLong.of(0)),
                Usages.ofExit(EXIT, Optional.of(v1)));
        CgroupUsage v2 = cgroup(Optional.of(Duration.ofMillis(310)), Optional.of(Duration.ofMillis(120)),
                Optional.of(DataSize.ofMebibytes(40)), PeakSource.MEMORY_PEAK);
        assertEquals(PeakMemorySource.CGROUP_MEMORY_PEAK, Usages.ofExit(EXIT, Optional.of(v2)).peakMemorySource());
    }

    @Test
    void whatTheCgroupDoesNotCountComesFromTheReap() {
        CgroupUsage memoryOnly = cgroup(Optional.empty(), Optional.empty(), Optional.empty(), PeakSource.UNKNOWN);
        ResourceUsage u = Usages.ofExit(EXIT, Optional.of(memoryOnly));
        assertEquals(USER, u.userCpuTime());
        assertEquals(SYS, u.systemCpuTime());
        assertEquals(DataSize.ofKibibytes(2048), u.peakMemory());
        assertEquals(PeakMemorySource.RUSAGE_MAX_RSS, u.peakMemorySource());
        assertEquals(1, u.oomKills());
    }

    @Test
    void aRunningContainersPeakIsItsCurrentUsageWithoutAPeakCounter() {
        ResourceUsage noPeak = Usages.live(WALL, cgroup(Optional.empty(), Optional.empty(), Optional.empty(), PeakSource.UNKNOWN));
        assertEquals(new ResourceUsage(WALL, Duration.ZERO, Duration.ZERO, DataSize.ofMebibytes(1),
                PeakMemorySource.CGROUP_MEMORY_CURRENT, 1, OptionalLong.of(3), Optional.of(DataSize.ofMebibytes(1)),
                OptionalLong.of(0)), noPeak);
        ResourceUsage peak = Usages.live(WALL, cgroup(Optional.of(USER), Optional.of(SYS),
                Optional.of(DataSize.ofMebibytes(8)), PeakSource.MEMORY_PEAK));
        assertEquals(DataSize.ofMebibytes(8), peak.peakMemory());
        assertEquals(PeakMemorySource.CGROUP_MEMORY_PEAK, peak.peakMemorySource());
        assertEquals(USER, peak.userCpuTime());
    }

    private static ExitReport killedBy(int signal) {
        return new ExitReport(true, signal, WALL, USER, SYS, 2048, List.of(), false);
    }

    private static Usages.Causes causes(boolean output, boolean timeout, boolean cpu, boolean oom, boolean caller) {
        return new Usages.Causes(output, timeout, cpu, oom, caller, true);
    }

    @Test
    void theFirstCauseThatExplainsTheSignalNamesTheEnd() {
        ExitReport kill = killedBy(9);
        assertEquals(Termination.OUTPUT_LIMITED, Usages.termination(kill, causes(true, true, true, true, true)));
        assertEquals(Termination.TIMED_OUT, Usages.termination(kill, causes(false, true, true, true, true)));
        assertEquals(Termination.CPU_TIME_EXCEEDED, Usages.termination(kill, causes(false, false, true, true, true)));
        assertEquals(Termination.OOM_KILLED, Usages.termination(kill, causes(false, false, false, true, true)));
        assertEquals(Termination.KILLED, Usages.termination(kill, causes(false, false, false, false, true)));
        assertEquals(Termination.SIGNALED, Usages.termination(kill, causes(false, false, false, false, false)));
    }

    @Test
    void aCauseThatExplainsNoSignalIsNotTheEnd() {
        assertEquals(Termination.EXITED, Usages.termination(EXIT, causes(false, true, true, true, true)));
        assertEquals(Termination.KILLED, Usages.termination(killedBy(15), causes(false, false, false, true, true)),
                "an OOM kill is a SIGKILL");
        assertEquals(Termination.SECCOMP_KILLED, Usages.termination(killedBy(31), causes(false, false, false, false, false)));
        assertEquals(Termination.SIGNALED, Usages.termination(killedBy(31),
                new Usages.Causes(false, false, false, false, false, false)), "SIGSYS without a filter");
    }

    @Test
    void theCountersTheLauncherReadAreInThePlansOrderAndThoseItCouldNotReadAreLeftToBeRead() {
        ExitReport r = new ExitReport(false, 0, WALL, USER, SYS, 0, List.of(new ExitReport.CounterFile(true, Optional.of("4096")),
                ExitReport.CounterFile.unread(), new ExitReport.CounterFile(true, Optional.of(""))), true);
        assertEquals(List.of(Optional.of("4096"), Optional.empty(), Optional.of("")), Usages.countersRead(3, r));
        assertEquals(List.of(Optional.empty(), Optional.empty()), Usages.countersRead(2, EXIT), "the plan named none");
    }
}
