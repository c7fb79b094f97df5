package dev.corral.cgroups;

import dev.corral.unit.DataSize;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Rootless cgroup v2: run as an unprivileged user that owns a delegated subtree, by
 * .ci/cgroup-v2-tests.sh in the cgroup v2 VM, with this JVM started at the top of that subtree
 * (so it must move itself into a leaf) and only memory and pids delegated. Left out of plain
 * {@code mvn test}, which runs as root.
 */
@Tag("cgroup-v2-rootless")
class RootlessTest {

    @Test
    void limitsAreEnforcedInTheDelegatedSubtree() throws Exception {
        assumeTrue(CgroupHierarchy.detect().mode() == CgroupMode.UNIFIED, "about cgroup v2 delegation");
        Path before = CgroupHierarchy.detect().ownUnifiedDirectory().orElseThrow();
        // a process this JVM started first (as it starts its launcher) sits in the top with it
        Process child = new ProcessBuilder("sleep", "600").start();
        try (Cgroups cgroups = Cgroups.open()) {
            assertTrue(cgroups.rootless(), "must run as an unprivileged user: see .ci/cgroup-v2-tests.sh");
            assertEquals(Optional.empty(), cgroups.unavailableReason());
            assertEquals(Set.of(Controller.MEMORY, Controller.PIDS, Controller.FREEZER, Controller.CPUACCT),
                    cgroups.availableControllers());
            assertEquals(before.resolve("corral"), cgroups.parentDirectories().get(0));

            ControllerUnavailableException e = assertThrows(ControllerUnavailableException.class,
                    () -> cgroups.create("cpu", CgroupLimits.builder().cpus(0.5).build()));
            assertEquals(Controller.CPU, e.controller());
            assertTrue(e.getMessage().contains("not delegated to " + before), e.getMessage());

            try (Cgroup cg = cgroups.create("hog", CgroupLimits.builder().memory(DataSize.ofMebibytes(64)).pids(16).build())) {
                Path dir = cg.procsFiles().get(0).getParent();
                assertTrue(dir.startsWith(before), dir + " is outside the delegated subtree " + before);
                assertEquals("16", Files.readString(dir.resolve("pids.max")).trim());
                Process p = Workload.start(cg, "dd if=/dev/zero of=/dev/null bs=200M count=1");
                assertEquals(128 + 9, p.waitFor(), "dd should be OOM-killed");
                assertEquals(1, cg.usage().oomKills().orElseThrow());
            }
            // this JVM sat in the top of its subtree; it moved into a leaf to enable controllers
            Path now = CgroupHierarchy.detect().ownUnifiedDirectory().orElseThrow();
            assertEquals("_jvm", now.getFileName().toString(), "moved into " + now);
            String childs = Files.readString(Path.of("/proc/" + child.pid() + "/cgroup")).trim();
            assertTrue(childs.endsWith(before.relativize(now).toString()), "the child stayed in " + childs);

            try (Cgroup cg = cgroups.create("optional", CgroupLimits.builder().cpus(0.5).pids(8)
                    .allowUnenforced(Controller.CPU).build())) {
                assertEquals(Set.of(Controller.CPU), cg.unenforced());
                assertEquals("8", Files.readString(cg.procsFiles().get(0).getParent().resolve("pids.max")).trim());
            }
        } finally {
            child.destroyForcibly().waitFor();
        }
    }
}
