package dev.corral.cgroups;

import dev.corral.unit.DataSize;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Where cgroups go, decided on fixture proc and cgroup trees (a fake UID makes this rootless). */
class PlacementTest {

    @TempDir
    Path tmp;

    private CgroupHierarchy fixture(String mountinfo, String cgroup, long uid) throws IOException {
        Path proc = Files.createDirectories(tmp.resolve("proc/self"));
        Files.writeString(proc.resolve("mountinfo"), mountinfo);
        Files.writeString(proc.resolve("cgroup"), cgroup);
        Files.writeString(proc.resolve("status"), "Name:\tjava\nUid:\t" + uid + "\t" + uid + "\t" + uid + "\t" + uid + "\n");
        Files.writeString(tmp.resolve("proc/meminfo"), "MemTotal: 1000 kB\nSwapTotal:             0 kB\n");
        return CgroupHierarchy.detect(tmp.resolve("proc"), tmp.resolve("root"));
    }

    @Test
    void rootlessOnHybridNamesTheMissingControllerAndWhy() throws IOException {
        CgroupHierarchy h = fixture(CgroupHierarchyTest.HYBRID_MOUNTINFO, CgroupHierarchyTest.HYBRID_CGROUP, 1000);
        Cgroups cgroups = Cgroups.builder().hierarchy(h).build();
        assertTrue(cgroups.rootless());
        assertTrue(cgroups.unavailableReason().orElseThrow().contains("delegated cgroup v2 subtree"));
        ControllerUnavailableException e = assertThrows(ControllerUnavailableException.class,
                () -> cgroups.create("job", CgroupLimits.builder().memory(DataSize.ofMebibytes(64)).build()));
        assertEquals(Controller.MEMORY, e.controller());
        assertTrue(e.getMessage().contains("memory controller is unavailable")
                && e.getMessage().contains("HYBRID"), e.getMessage());
        // allowed to go unenforced, the limit is no longer the problem: no cgroup at all is, and says so
        CgroupException none = assertThrows(CgroupException.class, () -> cgroups.create("job",
                CgroupLimits.builder().memory(DataSize.ofMebibytes(64)).allowUnenforced(Controller.MEMORY).build()));
        assertTrue(none.getMessage().startsWith("cannot create cgroup job: "), none.getMessage());
        assertEquals(List.of(), cgroups.removeStale());
    }

    @Test
    void rootlessOnV2WithoutDelegationSaysWhoOwnsTheCgroup() throws IOException {
        Path own = Files.createDirectories(tmp.resolve("root/sys/fs/cgroup/user.slice/session-1.scope"));
        Files.createFile(own.resolve("cgroup.procs"));
        CgroupHierarchy h = fixture("27 22 0:24 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n",
                "0::/user.slice/session-1.scope\n", 1000);
        Cgroups cgroups = Cgroups.builder().hierarchy(h).build();
        String reason = cgroups.unavailableReason().orElseThrow();
        assertTrue(reason.contains("no cgroup v2 subtree is delegated to uid 1000") && reason.contains("owned by uid 0"), reason);
        ControllerUnavailableException e = assertThrows(ControllerUnavailableException.class,
                () -> cgroups.create("job", CgroupLimits.builder().pids(10).build()));
        assertEquals(Controller.PIDS, e.controller());
    }

    @Test
    void rootlessOnV2UsesTheTopOfTheDelegatedSubtreeAndNamesWhatIsNotDelegated() throws IOException {
        Path deleg = Files.createDirectories(tmp.resolve("root/sys/fs/cgroup/user.slice/user@1000.service"));
        Path app = Files.createDirectories(deleg.resolve("app.slice/run-1.scope"));
        Files.writeString(deleg.resolve("cgroup.controllers"), "memory pids\n");
        for (Path dir : new Path[] {deleg, deleg.resolve("app.slice"), app}) {
            Files.createFile(dir.resolve("cgroup.procs"));
            Files.createFile(dir.resolve("cgroup.subtree_control"));
            Files.setAttribute(dir, "unix:uid", 1000);
        }
        CgroupHierarchy h = fixture("27 22 0:24 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n",
                "0::/user.slice/user@1000.service/app.slice/run-1.scope\n", 1000);
        Cgroups cgroups = Cgroups.builder().hierarchy(h).build();
        assertEquals(Optional.empty(), cgroups.unavailableReason());
        assertEquals(List.of(deleg.resolve("corral")), cgroups.parentDirectories());
        assertEquals(Set.of(Controller.MEMORY, Controller.PIDS, Controller.FREEZER, Controller.CPUACCT),
                cgroups.availableControllers());
        ControllerUnavailableException e = assertThrows(ControllerUnavailableException.class,
                () -> cgroups.create("job", CgroupLimits.builder().cpus(1).build()));
        assertEquals(Controller.CPU, e.controller());
        assertTrue(e.getMessage().contains("is not delegated to " + deleg) && e.getMessage().contains("Delegate=cpu"),
                e.getMessage());
        assertTrue(Files.notExists(deleg.resolve("corral")), "nothing is created before the limits are checked");
    }

    @Test
    void asRootTheParentIsCorralAtTheTopOfEachHierarchy() throws IOException {
        CgroupHierarchy h = fixture(CgroupHierarchyTest.HYBRID_MOUNTINFO, CgroupHierarchyTest.HYBRID_CGROUP, 0);
        Cgroups cgroups = Cgroups.builder().hierarchy(h).build();
        assertEquals(CgroupVersion.V1, cgroups.version());
        assertTrue(cgroups.parentDirectories().contains(tmp.resolve("root/sys/fs/cgroup/memory/corral")));
        assertEquals(7, cgroups.parentDirectories().size(), "one per controller hierarchy: " + cgroups.parentDirectories());
        Cgroups named = Cgroups.builder().hierarchy(h).parent("judge/workers").build();
        assertTrue(named.parentDirectories().contains(tmp.resolve("root/sys/fs/cgroup/pids/judge/workers")));
        assertThrows(IllegalArgumentException.class, () -> Cgroups.builder().parent("../escape"));
        assertThrows(IllegalArgumentException.class, () -> Cgroups.builder().parent("/abs"));
        assertThrows(IllegalArgumentException.class, () -> named.create("../x", CgroupLimits.none()));
    }
}
