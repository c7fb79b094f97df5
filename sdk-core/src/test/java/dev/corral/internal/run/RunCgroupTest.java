package dev.corral.internal.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.corral.cgroups.CgroupUsage;
import dev.corral.internal.run.RunCgroup.AfterExit;
import dev.corral.namespaces.launcher.ExitReport;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * What becomes of an ended container's cgroup, and what a run without a cgroup answers, without
 * a kernel (a run with one is tested on the kernel, in ResourceLimitsTest and CleanlinessTest).
 */
class RunCgroupTest {
    @Test
    void aCgroupIsReusedOnlyWhenNoProcessCanBeLeftAndItsUsageWasRead() {
        assertEquals(AfterExit.KEEP_IF_RESET, RunCgroup.afterExit(true, true, true), "set back by the launcher already");
        assertEquals(AfterExit.RELEASE_FOR_REUSE, RunCgroup.afterExit(true, true, false));
        for (boolean reset : new boolean[] {true, false}) {
            assertEquals(AfterExit.REMOVE, RunCgroup.afterExit(true, false, reset), "a shared PID namespace may leave processes");
            assertEquals(AfterExit.REMOVE, RunCgroup.afterExit(false, true, reset), "unread usage: not trusted again");
            assertEquals(AfterExit.REMOVE, RunCgroup.afterExit(false, false, reset));
        }
    }

    @Test
    void withoutACgroupPauseAndStatsSayWhatWouldGiveOne() {
        RunCgroup none = new RunCgroup(Optional.empty(), 7);
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> none.whileOwn("stats", () -> false,
                c -> c.usage()));
        assertTrue(e.getMessage().startsWith("stats needs the container's cgroup") && e.getMessage().contains("memory(...)"),
                e.getMessage());
        assertEquals(Optional.empty(), none.cpuUsed());
        assertEquals(List.of(), none.directories());
        assertEquals(Optional.empty(), none.lease());
    }

    @Test
    void withoutACgroupTheEndIsMeteredAsNoUsageAndNothingIsLeftToRelease() {
        RunCgroup none = new RunCgroup(Optional.empty(), 7);
        List<Optional<CgroupUsage>> metered = new ArrayList<>();
        List<Runnable> cleanups = new ArrayList<>();
        none.meterAtExit(new ExitReport(false, 0, Duration.ZERO, Duration.ZERO, Duration.ZERO, 0, List.of(), false), true,
                metered::add, cleanups::add);
        assertEquals(List.of(Optional.empty()), metered);
        none.removeSoon(cleanups::add);
        none.killAndRemoveSoon(cleanups::add);
        none.release(true);
        assertEquals(List.of(), cleanups, "no cleanup scheduled");
    }
}
