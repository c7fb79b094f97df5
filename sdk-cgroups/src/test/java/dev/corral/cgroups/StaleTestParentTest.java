package dev.corral.cgroups;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.corral.cgroups.internal.OwnerTag;
import dev.corral.cgroups.internal.ProcInfo;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * A test JVM killed mid-run (a landing stopped, a CI job cancelled) leaves its test parent, its
 * owner record and the cgroups below; the next test JVM removes them, and leaves a live test
 * JVM's parent alone. The test JVMs here are ordinary processes whose owner records name the
 * parents.
 */
@Tag("cgroup-v2")
class StaleTestParentTest {

    @Test
    void theParentOfAKilledTestJvmGoesWithWhatRanInItAndALiveOnesStays() throws Exception {
        ProcInfo proc = new ProcInfo(Path.of("/proc"));
        Process deadJvm = new ProcessBuilder("sleep", "1000").start();
        Process liveJvm = new ProcessBuilder("sleep", "1000").start();
        OwnerTag dead = OwnerTag.of(proc, deadJvm.pid()).orElseThrow();
        OwnerTag live = OwnerTag.of(proc, liveJvm.pid()).orElseThrow();
        String deadParent = Workload.testParentOf(dead);
        Cgroups left = Cgroups.builder().parent(deadParent).owner(dead).build();
        Cgroups kept = Cgroups.builder().parent(Workload.testParentOf(live)).owner(live).build();
        Process orphan = null;
        try {
            /* as CgroupBehaviourTest's "half" was left: a cgroup with a busy loop, below the owner record */
            orphan = Workload.start(left.create("half", CgroupLimits.builder().cpus(0.5).build()), "sleep 1000");
            Cgroup running = kept.create("running", CgroupLimits.none());
            List<Path> leftDirs = left.parentDirectories();
            deadJvm.destroyForcibly().waitFor(); /* killed without closing anything */

            assertTrue(Workload.removeStaleTestParents().contains(deadParent.substring("corral/".length())));

            assertEquals(128 + 9, orphan.waitFor(), "what ran in the killed JVM's cgroup was killed");
            for (Path dir : leftDirs) {
                assertFalse(Files.exists(dir), dir + " of the killed test JVM was left");
            }
            for (Path procs : running.procsFiles()) {
                assertTrue(Files.exists(procs), "a live test JVM's cgroup was removed: " + procs);
            }
        } finally {
            if (orphan != null) {
                orphan.destroyForcibly();
            }
            deadJvm.destroyForcibly();
            liveJvm.destroyForcibly().waitFor();
            left.close();
            kept.close();
        }
        for (Path dir : kept.parentDirectories()) {
            assertFalse(Files.exists(dir), dir + " left behind");
        }
    }
}
