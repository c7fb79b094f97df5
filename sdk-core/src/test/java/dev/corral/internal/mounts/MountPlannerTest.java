package dev.corral.internal.mounts;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.corral.Container;
import dev.corral.ContainerSpec;
import dev.corral.Mount;
import dev.corral.Rootfs;
import dev.corral.internal.mounts.MountPlanner.PlannedMount;
import dev.corral.internal.mounts.MountPlanner.Role;
import dev.corral.namespaces.launcher.LaunchPlan.MountOp;
import dev.corral.namespaces.launcher.LaunchPlan.MountOp.Kind;
import dev.corral.unit.DataSize;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The mount table as data, without a kernel: order, roles, flags and what resolves on the host. */
class MountPlannerTest {
    @TempDir
    Path tmp;

    private static List<String> targets(List<PlannedMount> plan, Role role) {
        return plan.stream().filter(p -> p.role() == role).map(p -> p.op().target()).toList();
    }

    private static PlannedMount at(List<PlannedMount> plan, String target) {
        return plan.stream().filter(p -> p.op().target().equals(target)).reduce((a, b) -> b).orElseThrow(
                () -> new AssertionError("no mount at " + target + " in " + plan));
    }

    @Test
    void aDirectoryRootIsBoundFromItsRealPathAndComesFirst() throws Exception {
        Path real = Files.createDirectory(tmp.resolve("root"));
        Path link = Files.createSymbolicLink(tmp.resolve("link"), real);
        List<PlannedMount> plan = MountPlanner.plan(Container.builder().rootfs(Rootfs.directory(link)).build(), false);
        PlannedMount root = plan.get(0);
        assertEquals(Role.ROOT, root.role());
        assertEquals(Kind.BIND, root.op().kind());
        assertEquals(real.toRealPath().toString(), root.op().source(), "symlinks resolved before the launcher leaves /");
        assertEquals("/", root.op().target());
        assertEquals(List.of("/"), targets(plan, Role.ROOT));
        assertEquals(List.of(), targets(plan, Role.HOST_VIEW));
    }

    @Test
    void theHostViewIsATmpfsWithReadOnlyBindsOfWhatThisHostHas() {
        List<PlannedMount> plan = MountPlanner.plan(Container.builder().rootfs(Rootfs.hostReadOnly()).build(), false);
        assertEquals(Kind.FS, plan.get(0).op().kind());
        assertEquals("tmpfs", plan.get(0).op().source());
        assertTrue(targets(plan, Role.HOST_VIEW).contains("/usr"), plan::toString);
        for (PlannedMount p : plan) {
            if (p.role() == Role.HOST_VIEW && p.op().kind() == Kind.BIND) {
                int ro = MountOp.RDONLY | MountOp.NOSUID | MountOp.NODEV;
                assertEquals(ro, p.op().flags() & ro, p.op().target() + " read-only, nosuid, nodev");
            }
        }
    }

    @Test
    void procIsMaskedUnlessAskedOtherwise() {
        List<PlannedMount> masked = MountPlanner.plan(Container.builder().build(), false);
        List<String> system = targets(masked, Role.SYSTEM);
        assertEquals("/proc", system.get(0));
        assertTrue(system.containsAll(MountPlanner.MASKED_PROC) && system.containsAll(MountPlanner.READ_ONLY_PROC));
        MountOp kcore = at(masked, "/proc/kcore").op(); /* a file: the new root's /dev/null over it */
        assertEquals(Kind.BIND, kcore.kind());
        assertEquals("/dev/null", kcore.source());
        int mask = MountOp.RDONLY | MountOp.NOSUID | MountOp.NOEXEC | MountOp.IN_ROOT | MountOp.IF_EXISTS;
        assertEquals(mask, kcore.flags());
        assertTrue(masked.indexOf(at(masked, "/dev/null")) < masked.indexOf(at(masked, "/proc/kcore")), "/dev/null first");
        if (Files.isDirectory(Path.of("/proc/acpi"))) { /* a directory: an empty read-only tmpfs over it */
            MountOp acpi = at(masked, "/proc/acpi").op();
            assertEquals(List.of(Kind.FS, "tmpfs"), List.of(acpi.kind(), acpi.source()));
            assertEquals(MountOp.RDONLY | MountOp.IF_EXISTS, acpi.flags() & (MountOp.RDONLY | MountOp.IF_EXISTS));
        }
        MountOp sys = at(masked, "/proc/sys").op(); /* bound onto itself, recursively read-only */
        assertEquals(List.of(Kind.BIND, "/proc/sys"), List.of(sys.kind(), sys.source()));
        int ro = MountOp.RDONLY | MountOp.NOSUID | MountOp.NODEV | MountOp.NOEXEC | MountOp.RECURSIVE;
        assertEquals(ro | MountOp.IN_ROOT | MountOp.IF_EXISTS, sys.flags());

        List<String> unmasked = targets(MountPlanner.plan(Container.builder().unmaskedPaths().build(), false), Role.SYSTEM);
        assertFalse(unmasked.contains("/proc/kcore") || unmasked.contains("/proc/sys"), unmasked::toString);
    }

    @Test
    void deviceNodesAreMadeWithoutAUserNamespaceAndBoundWithOne() {
        ContainerSpec spec = Container.builder().build();
        PlannedMount made = at(MountPlanner.plan(spec, false), "/dev/null");
        assertEquals(Kind.MKNOD, made.op().kind());
        assertEquals(1, made.op().major());
        assertEquals(3, made.op().minor());
        PlannedMount bound = at(MountPlanner.plan(spec, true), "/dev/null");
        assertEquals(Kind.BIND, bound.op().kind());
        assertEquals("/dev/null", bound.op().source());
    }

    @Test
    void userMountsComeAfterTheSystemOnesParentsFirstWithSafeFlags() throws Exception {
        Path data = Files.createDirectory(tmp.resolve("data"));
        ContainerSpec spec = Container.builder()
                .mount(Mount.tmpfs("/work/a/b", DataSize.ofMebibytes(1)))
                .mount(Mount.bind(data, "/work"))
                .mount(Mount.bindReadWrite(data, "/work/a"))
                .build();
        List<PlannedMount> plan = MountPlanner.plan(spec, false);
        assertEquals(List.of("/work", "/work/a", "/work/a/b"), targets(plan, Role.USER));
        int lastSystem = plan.indexOf(at(plan, "/tmp"));
        assertTrue(plan.indexOf(at(plan, "/work")) > lastSystem, "after /tmp");

        MountOp ro = at(plan, "/work").op();
        assertEquals(data.toRealPath().toString(), ro.source());
        int safe = MountOp.NOSUID | MountOp.NODEV | MountOp.RECURSIVE;
        assertEquals(safe | MountOp.RDONLY, ro.flags());
        assertEquals(safe, at(plan, "/work/a").op().flags(), "read-write: no RDONLY");
        assertEquals("mode=1777,size=1048576", at(plan, "/work/a/b").op().data());
        assertTrue(at(plan, "/work").userMount().isPresent(), "a user mount names what it came from");
    }

    @Test
    void aMissingSourceIsPassedOnForTheLauncherToReport() {
        Path missing = tmp.resolve("nope/../nope2");
        List<PlannedMount> plan = MountPlanner.plan(Container.builder().mount(Mount.bind(missing, "/m")).build(), false);
        assertEquals(tmp.resolve("nope2").toString(), at(plan, "/m").op().source());
    }

    @Test
    void mountingSysMasksItsFirmware() throws Exception {
        Path sys = Files.createDirectory(tmp.resolve("sys"));
        List<PlannedMount> plan = MountPlanner.plan(Container.builder().mount(Mount.bind(sys, "/sys")).build(), false);
        MountOp firmware = at(plan, "/sys/firmware").op();
        assertEquals(List.of(Kind.FS, "tmpfs"), List.of(firmware.kind(), firmware.source()));
        assertEquals(MountOp.IF_EXISTS, firmware.flags() & MountOp.IF_EXISTS, "if it exists");
        assertFalse(targets(MountPlanner.plan(Container.builder().build(), false), Role.SYSTEM).contains("/sys/firmware"));
    }

    @Test
    void aPreparedRootReplacesTheSpecsRoot() {
        MountOp overlay = MountOp.overlay(List.of("/l2", "/l1"), "/u", "/w", "/", 0);
        List<PlannedMount> plan = MountPlanner.plan(Container.builder().build(), false, Optional.of(overlay));
        assertEquals(overlay, plan.get(0).op());
        assertEquals(Role.ROOT, plan.get(0).role());
        assertEquals(List.of(), targets(plan, Role.HOST_VIEW));
    }
}
