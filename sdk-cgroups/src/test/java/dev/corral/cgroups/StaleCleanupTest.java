package dev.corral.cgroups;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.corral.cgroups.internal.OwnerTag;
import dev.corral.cgroups.internal.ProcInfo;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * A JVM killed with SIGKILL leaves its cgroups; the next start removes them, and nothing else.
 * The dead and the live "JVMs" here are ordinary processes whose owner records the cgroups carry.
 */
@Tag("cgroup-v2")
class StaleCleanupTest {

    @Test
    void removesTheCgroupsOfDeadOwnersOnlyAndKillsWhatRunsInThem() throws Exception {
        String parent = Workload.testParent();
        ProcInfo proc = new ProcInfo(Path.of("/proc"));
        Process deadOwner = new ProcessBuilder("sleep", "1000").start();
        Process liveOwner = new ProcessBuilder("sleep", "1000").start();
        Cgroups dead = Cgroups.builder().parent(parent).owner(OwnerTag.of(proc, deadOwner.pid()).orElseThrow()).build();
        Cgroups live = Cgroups.builder().parent(parent).owner(OwnerTag.of(proc, liveOwner.pid()).orElseThrow()).build();
        List<Path> foreign = new ArrayList<>();
        Process orphan = null;
        try {
            Cgroup left = dead.create("left-running", CgroupLimits.builder().pids(8).build());
            orphan = Workload.start(left, "sleep 1000");
            Cgroup kept = live.create("kept", CgroupLimits.none());
            for (Path dir : dead.parentDirectories()) {
                if (!Files.isDirectory(dir)) {
                    continue;   // a v1 hierarchy these cgroups do not use
                }
                for (String name : new String[] {"not-corral", "jvm-1-2", "jvm-0-1-1"}) {   // the last: another PID ns
                    Path f = dir.resolve(name);
                    Files.createDirectory(f);
                    foreign.add(f);
                }
            }
            assertTrue(foreign.size() >= 3);
            deadOwner.destroyForcibly().waitFor();   // the owner dies without cleaning up

            try (Cgroups next = Cgroups.builder().parent(parent).build()) {
                assertEquals(List.of(), next.removeStale(), "opening removed them already");
            }
            assertEquals(128 + 9, orphan.waitFor(), "what ran in the stale cgroup was killed");
            for (Path procs : left.procsFiles()) {
                assertFalse(Files.exists(procs.getParent().getParent()), procs.getParent().getParent() + " is stale");
            }
            for (Path procs : kept.procsFiles()) {
                assertTrue(Files.exists(procs), "the live owner's cgroup was removed: " + procs);
            }
            for (Path f : foreign) {
                assertTrue(Files.isDirectory(f), "a foreign cgroup was touched: " + f);
            }
        } finally {
            if (orphan != null) {
                orphan.destroyForcibly();
            }
            deadOwner.destroyForcibly();
            liveOwner.destroyForcibly().waitFor();
            for (Path f : foreign) {
                Files.deleteIfExists(f);
            }
            live.close();
            dead.close();
        }
        for (Path dir : live.parentDirectories()) {
            assertFalse(Files.exists(dir), dir + " left behind");
        }
    }
}
