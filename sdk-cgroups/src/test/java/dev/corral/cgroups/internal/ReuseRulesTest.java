package dev.corral.cgroups.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.corral.cgroups.Controller;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The rules that decide whether an ended container's cgroup may be set back and given to the
 * next container, judged from counter files as the launcher read them at the reap, without a
 * kernel: each controller's rule, and the files that set its counters back.
 */
class ReuseRulesTest {
    /** A directory that holds no file: every counter the rules see comes from the map. */
    @TempDir
    Path dir;

    private final Map<Path, Optional<String>> read = new HashMap<>();

    private ReuseRulesTest file(String name, String text) {
        read.put(dir.resolve(name), Optional.of(text));
        return this;
    }

    private boolean canReset(ControllerUnit unit, int processFloor) {
        return unit.canResetCounters(dir, processFloor, UsageBuilder.of(read));
    }

    private static final String NO_OOM = "oom_kill_disable 0\nunder_oom 0\noom_kill 0";

    @Test
    void memoryIsReusedWithoutAnOomKillAndWithLittleLeftCharged() {
        ControllerUnit memory = V1Units.of(Controller.MEMORY, false);
        file("memory.oom_control", NO_OOM).file("memory.usage_in_bytes", "4096");
        assertTrue(canReset(memory, 1));
        file("memory.usage_in_bytes", Long.toString(V1Units.MEMORY_LEFT_FOR_REUSE));
        assertTrue(canReset(memory, 1), "what a new cgroup's first charge may show");
        file("memory.usage_in_bytes", Long.toString(V1Units.MEMORY_LEFT_FOR_REUSE + 1));
        assertFalse(canReset(memory, 1), "the last user's memory still charged");
        file("memory.usage_in_bytes", "0").file("memory.oom_control", "oom_kill_disable 0\nunder_oom 0\noom_kill 1");
        assertFalse(canReset(memory, 1), "an OOM kill count only grows");
        file("memory.oom_control", "oom_kill_disable 1\nunder_oom 1\noom_kill 0");
        assertFalse(canReset(memory, 1), "under OOM");
        read.remove(dir.resolve("memory.usage_in_bytes"));
        file("memory.oom_control", NO_OOM);
        assertFalse(canReset(memory, 1), "usage unknown: not reused");
        assertEquals(List.of(dir.resolve("memory.max_usage_in_bytes")), memory.counterResetFiles(dir));
    }

    @Test
    void cpuTimeIsReusedOnlyWhereItsNanosecondCountersExist() {
        ControllerUnit cpuacct = V1Units.of(Controller.CPUACCT, false);
        file("cpuacct.stat", "user 3\nsystem 1");
        assertFalse(canReset(cpuacct, 1), "cpuacct.stat alone cannot be set back");
        file("cpuacct.usage_user", "30000000").file("cpuacct.usage_sys", "10000000");
        assertTrue(canReset(cpuacct, 1));
        assertEquals(List.of(dir.resolve("cpuacct.usage")), cpuacct.counterResetFiles(dir));
    }

    @Test
    void aFrozenCgroupIsNeverReused() {
        ControllerUnit freezer = V1Units.of(Controller.FREEZER, false);
        assertFalse(canReset(freezer, 1), "state unknown");
        file("freezer.state", "FROZEN");
        assertFalse(canReset(freezer, 1));
        file("freezer.state", "THAWED");
        assertTrue(canReset(freezer, 1));
    }

    @Test
    void processesAreReusedEmptyAndWithAPeakTheNextUserWouldReachAnyway() {
        ControllerUnit pids = V1Units.of(Controller.PIDS, false);
        file("pids.current", "0").file("pids.peak", "2");
        assertTrue(canReset(pids, 2), "an init and its command");
        assertFalse(canReset(pids, 1), "a peak of 2 cannot be set back to 1");
        file("pids.current", "1").file("pids.peak", "1");
        assertFalse(canReset(pids, 2), "a process is still in it");
        file("pids.current", "0").file("pids.peak", "1");
        assertTrue(canReset(pids, 1));
    }
}
