package dev.corral.cgroups.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** The flat keyed files of both cgroup versions, as the kernel writes them and as it never does. */
class CgroupFsTest {

    @Test
    void keyedFilesGiveTheirNumbers() {
        assertEquals(Map.of("oom_kill_disable", 0L, "under_oom", 0L, "oom_kill", 3L),
                CgroupFs.parseKeyed("oom_kill_disable 0\nunder_oom 0\noom_kill 3\n"), "v1 memory.oom_control");
        assertEquals(Map.of("usage_usec", 1234L, "user_usec", 1000L),
                CgroupFs.parseKeyed("usage_usec 1234\nuser_usec\t1000\n"), "v2 cpu.stat; a tab");
        assertEquals(Map.of("low", 0L, "high", 7L),
                CgroupFs.parseKeyed("  low   0  \n\nhigh 7\nmax max\nthree words 1\nalone\n 5\n"),
                "spaces around and between; an empty line; not a number; three fields; a key alone; a value alone");
        assertEquals(Map.of(), CgroupFs.parseKeyed(""));
    }
}
