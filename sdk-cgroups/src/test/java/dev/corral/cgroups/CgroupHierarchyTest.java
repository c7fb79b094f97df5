package dev.corral.cgroups;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.corral.cgroups.internal.MountInfo;
import dev.corral.cgroups.internal.ProcInfo;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.Set;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.CharRange;
import net.jqwik.api.constraints.LongRange;
import net.jqwik.api.constraints.StringLength;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Detection from mountinfo and /proc/self/cgroup fixtures in a temp dir. */
class CgroupHierarchyTest {

    static final String HYBRID_MOUNTINFO = """
            22 24 0:20 / /sys rw,relatime - sysfs sys rw
            31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
            32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu
            33 31 0:30 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct
            34 31 0:31 / /sys/fs/cgroup/cpuset rw,relatime - cgroup cgroup rw,cpuset
            35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
            36 31 0:33 / /sys/fs/cgroup/devices rw,relatime - cgroup cgroup rw,devices
            37 31 0:34 / /sys/fs/cgroup/freezer rw,relatime - cgroup cgroup rw,freezer
            38 31 0:35 / /sys/fs/cgroup/blkio rw,relatime - cgroup cgroup rw,blkio
            39 31 0:36 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids
            40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd
            41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
            """;
    static final String HYBRID_CGROUP = """
            9:name=systemd:/
            8:pids:/
            7:blkio:/
            6:freezer:/
            5:devices:/
            4:memory:/process_api/f9d63a
            3:cpuset:/
            2:cpuacct:/
            1:cpu:/
            0::/
            """;

    @TempDir
    Path tmp;

    @Test
    void hybridUsesV1ForTheControllers() {
        CgroupHierarchy h = CgroupHierarchy.parse(HYBRID_MOUNTINFO, HYBRID_CGROUP, tmp, tmp);
        assertEquals(CgroupMode.HYBRID, h.mode());
        assertEquals(CgroupVersion.V1, h.driverVersion());
        assertEquals(Optional.of(tmp.resolve("sys/fs/cgroup/unified")), h.unifiedMount());
        assertEquals(tmp.resolve("sys/fs/cgroup/blkio"), h.v1Mounts().get(Controller.IO));
        assertEquals(Set.of(Controller.values()), h.v1Mounts().keySet());
        assertEquals(Optional.of(tmp.resolve("sys/fs/cgroup/memory/process_api/f9d63a")), h.ownV1Directory(Controller.MEMORY));
        assertEquals(Optional.of(tmp.resolve("sys/fs/cgroup/pids")), h.ownV1Directory(Controller.PIDS));
        assertEquals(Optional.of(tmp.resolve("sys/fs/cgroup/unified")), h.ownUnifiedDirectory());
    }

    @Test
    void pureV2() throws IOException {
        String mountinfo = "27 22 0:24 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 rw,nsdelegate\n";
        Files.createDirectories(tmp.resolve("sys/fs/cgroup"));
        Files.writeString(tmp.resolve("sys/fs/cgroup/cgroup.controllers"), "cpuset cpu io memory hugetlb pids rdma misc\n");
        CgroupHierarchy h = CgroupHierarchy.parse(mountinfo, "0::/user.slice/user-1000.slice/session-2.scope\n", tmp, tmp);
        assertEquals(CgroupMode.UNIFIED, h.mode());
        assertEquals(CgroupVersion.V2, h.driverVersion());
        assertTrue(h.v1Mounts().isEmpty());
        assertEquals(Optional.of(tmp.resolve("sys/fs/cgroup/user.slice/user-1000.slice/session-2.scope")),
                h.ownUnifiedDirectory());
        assertEquals(Set.of(Controller.CPUSET, Controller.CPU, Controller.IO, Controller.MEMORY, Controller.PIDS),
                h.unifiedControllers());
    }

    @Test
    void pureV1WithCoMountedControllersAndANamespacedRoot() {
        String mountinfo = """
                30 25 0:26 /docker/abc /sys/fs/cgroup/cpu,cpuacct ro,nosuid - cgroup cgroup rw,cpu,cpuacct
                31 25 0:27 /docker/abc /sys/fs/cgroup/memory ro,nosuid - cgroup cgroup rw,memory
                """;
        String cgroup = "3:cpu,cpuacct:/docker/abc/inner\n2:memory:/elsewhere\n";
        CgroupHierarchy h = CgroupHierarchy.parse(mountinfo, cgroup, tmp, tmp);
        assertEquals(CgroupMode.LEGACY, h.mode());
        assertEquals(h.v1Mounts().get(Controller.CPU), h.v1Mounts().get(Controller.CPUACCT));
        assertEquals(Optional.of(tmp.resolve("sys/fs/cgroup/cpu,cpuacct/inner")), h.ownV1Directory(Controller.CPUACCT));
        assertEquals(Optional.empty(), h.ownV1Directory(Controller.MEMORY), "outside the mounted part");
        assertEquals(Optional.empty(), h.unifiedMount());
    }

    @Test
    void aNamedHierarchyAloneDoesNotMakeV1() {
        String mountinfo = """
                40 31 0:37 / /sys/fs/cgroup/systemd rw - cgroup cgroup rw,name=systemd
                41 31 0:38 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw
                """;
        assertEquals(CgroupMode.UNIFIED, CgroupHierarchy.parse(mountinfo, "0::/\n", tmp, tmp).mode());
    }

    @Test
    void noCgroupFileSystemIsAnError() {
        assertThrows(CgroupException.class,
                () -> CgroupHierarchy.parse("22 24 0:20 / /sys rw - sysfs sys rw\n", "0::/\n", tmp, tmp));
        assertThrows(IllegalArgumentException.class, () -> CgroupHierarchy.parse("garbage\n", "0::/\n", tmp, tmp));
        assertThrows(IllegalArgumentException.class, () -> MountInfo.parseCgroup("0:/\n"));
    }

    @Test
    void detectReadsTheFilesUnderTheProcRoot() throws IOException {
        Files.createDirectories(tmp.resolve("proc/self"));
        Files.writeString(tmp.resolve("proc/self/mountinfo"), HYBRID_MOUNTINFO);
        Files.writeString(tmp.resolve("proc/self/cgroup"), HYBRID_CGROUP);
        CgroupHierarchy h = CgroupHierarchy.detect(tmp.resolve("proc"), tmp.resolve("root"));
        assertEquals(tmp.resolve("root/sys/fs/cgroup/memory"), h.v1Mounts().get(Controller.MEMORY));
        assertEquals(tmp.resolve("proc"), h.procRoot());
    }

    @Test
    void detectsThisMachine() {
        CgroupHierarchy h = CgroupHierarchy.detect();
        // whatever this machine is, the driver follows the mode, and the mode follows the mounts
        assertEquals(h.v1Mounts().isEmpty() ? CgroupMode.UNIFIED
                : h.unifiedMount().isPresent() ? CgroupMode.HYBRID : CgroupMode.LEGACY, h.mode());
        if (h.mode() == CgroupMode.UNIFIED) {
            assertTrue(Files.isRegularFile(h.unifiedMount().orElseThrow().resolve("cgroup.controllers")));
        } else {
            assertTrue(Files.isRegularFile(h.v1Mounts().get(Controller.MEMORY).resolve("memory.usage_in_bytes")));
        }
    }

    @Property
    void mountPointsSurviveEscaping(@ForAll @StringLength(min = 1, max = 30)
            @CharRange(from = ' ', to = '~') @CharRange(from = '\t', to = '\n') String name) {
        String escaped = MountInfo.escape("/mnt/" + name);
        assertTrue(escaped.indexOf(' ') < 0 && escaped.indexOf('\n') < 0 && escaped.indexOf('\t') < 0);
        assertEquals("/mnt/" + name, MountInfo.unescape(escaped));
        String line = "41 31 0:38 / " + escaped + " rw,relatime - cgroup2 cgroup2 rw\n";
        assertEquals("/mnt/" + name, MountInfo.parseMountInfo(line).get(0).mountPoint());
    }

    @Property
    void startTimeIsFoundWhateverTheCommandName(@ForAll @StringLength(max = 15) @CharRange(from = ' ', to = '~') String comm,
            @ForAll @LongRange(min = 0) long start) {
        String stat = "4242 (" + comm + ") S 1 4242 4242 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 " + start
                + " 1000 100 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0";
        assertEquals(start, ProcInfo.parseStartTime(stat));
    }
}
