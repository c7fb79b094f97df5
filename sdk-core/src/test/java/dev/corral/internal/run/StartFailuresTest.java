package dev.corral.internal.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.corral.CommandNotExecutableException;
import dev.corral.CommandNotFoundException;
import dev.corral.Container;
import dev.corral.ContainerSpec;
import dev.corral.ContainerStartException;
import dev.corral.Mount;
import dev.corral.MountSourceNotFoundException;
import dev.corral.NamespacePermissionException;
import dev.corral.Rootfs;
import dev.corral.RootfsUnavailableException;
import dev.corral.internal.mounts.MountPlanner;
import dev.corral.internal.mounts.MountPlanner.PlannedMount;
import dev.corral.namespaces.LaunchStep;
import dev.corral.namespaces.Rlimit;
import dev.corral.namespaces.launcher.LaunchFailure;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The launcher's (step, errno, index) records turned into typed exceptions, without a kernel. */
class StartFailuresTest {
    private static final int EPERM = 1, ENOENT = 2, ENOEXEC = 8, EACCES = 13, ENOTDIR = 20, EINVAL = 22;

    @TempDir
    Path tmp;

    private static ContainerStartException map(LaunchStep step, int errno, int index, ContainerSpec spec,
                                               List<String> command) {
        return StartFailures.map(new LaunchFailure(Optional.of(step), errno, index), spec, command,
                MountPlanner.plan(spec, false));
    }

    private static int indexOf(ContainerSpec spec, String target) {
        List<PlannedMount> plan = MountPlanner.plan(spec, false);
        for (int i = 0; i < plan.size(); i++) {
            if (plan.get(i).op().target().equals(target)) {
                return i;
            }
        }
        throw new AssertionError("no " + target);
    }

    @Test
    void aMissingCommandSaysWhereItWasSearched() {
        ContainerSpec spec = Container.builder().env("PATH", "/opt/bin:/bin").build();
        ContainerStartException e = map(LaunchStep.EXEC, ENOENT, 0, spec, List.of("gcc", "x.c"));
        assertInstanceOf(CommandNotFoundException.class, e);
        assertTrue(e.getMessage().contains("'gcc'") && e.getMessage().contains("/opt/bin:/bin"), e.getMessage());
        assertEquals(OptionalInt.of(ENOENT), e.errno());
        assertEquals(Optional.of("ENOENT"), e.errnoName());
        assertEquals(Optional.of(LaunchStep.EXEC), e.step());
        assertTrue(e.hint().orElseThrow().contains("host"), e.toString()); /* the host view: install it on the host */

        ContainerStartException full = map(LaunchStep.EXEC, ENOTDIR, 0, spec, List.of("/x/y"));
        assertInstanceOf(CommandNotFoundException.class, full);
        assertTrue(!full.getMessage().contains("searched"), "a path is not searched: " + full.getMessage());
    }

    @Test
    void aCommandThatCannotRunSaysWhy() {
        ContainerSpec spec = Container.builder().build();
        ContainerStartException noExec = map(LaunchStep.EXEC, ENOEXEC, 0, spec, List.of("/a.out"));
        assertInstanceOf(CommandNotExecutableException.class, noExec);
        assertTrue(noExec.hint().orElseThrow().contains("architecture"), noExec.toString());
        ContainerStartException denied = map(LaunchStep.EXEC, EACCES, 0, spec, List.of("/a.out"));
        assertInstanceOf(CommandNotExecutableException.class, denied);
        assertTrue(denied.hint().orElseThrow().contains("chmod +x"), denied.toString());
    }

    @Test
    void aMissingBindSourceIsNamedWithItsTarget() throws Exception {
        Path missing = tmp.resolve("missing");
        ContainerSpec spec = Container.builder().mount(Mount.bind(missing, "/data")).build();
        ContainerStartException e = map(LaunchStep.MOUNT_BIND, ENOENT, indexOf(spec, "/data"), spec, List.of("/bin/true"));
        assertInstanceOf(MountSourceNotFoundException.class, e);
        assertTrue(e.getMessage().contains(missing.toString()) && e.getMessage().contains("/data"), e.getMessage());
    }

    @Test
    void anUnreadableBindSourceThatDoesNotExistIsReportedAsMissing() {
        /* in a user namespace, EACCES may hide ENOENT: the JVM looks for itself */
        Path missing = tmp.resolve("private/missing");
        ContainerSpec spec = Container.builder().mount(Mount.bind(missing, "/data")).build();
        ContainerStartException e = map(LaunchStep.MOUNT_BIND, EACCES, indexOf(spec, "/data"), spec, List.of("/bin/true"));
        assertInstanceOf(MountSourceNotFoundException.class, e);
        assertEquals(Optional.of("ENOENT"), e.errnoName());
        assertEquals(OptionalInt.of(ENOENT), e.errno());
    }

    @Test
    void aRootDirectoryThatIsAFileIsNotADirectory() throws Exception {
        Path file = Files.writeString(tmp.resolve("file"), "x");
        ContainerSpec spec = Container.builder().rootfs(Rootfs.directory(file)).build();
        ContainerStartException e = map(LaunchStep.MOUNT_BIND, ENOTDIR, 0, spec, List.of("/bin/true"));
        assertInstanceOf(RootfsUnavailableException.class, e);
        assertTrue(e.getMessage().contains("is not a directory"), e.getMessage());
    }

    @Test
    void aMountRefusedForPermissionIsANamespacePermissionProblem() {
        ContainerSpec spec = Container.builder().build();
        ContainerStartException e = map(LaunchStep.MOUNT_FS, EPERM, indexOf(spec, "/proc"), spec, List.of("/bin/true"));
        assertInstanceOf(NamespacePermissionException.class, e);
        assertTrue(e.getMessage().contains("/proc"), e.getMessage());
    }

    @Test
    void anRlimitFailureNamesTheLimitByItsIndexInThePlan() {
        ContainerSpec spec = Container.builder().rlimit(Rlimit.of(Rlimit.Resource.NOFILE, 64)).build();
        int index = spec.security().rlimits().indexOf(Rlimit.of(Rlimit.Resource.NOFILE, 64));
        ContainerStartException e = map(LaunchStep.RLIMIT, EPERM, index, spec, List.of("/bin/true"));
        assertTrue(e.getMessage().toLowerCase(java.util.Locale.ROOT).contains("nofile"), e.getMessage());
        assertTrue(e.hint().orElseThrow().contains("CAP_SYS_RESOURCE"), e.toString());
    }

    @Test
    void aStepThisBuildDoesNotKnowSaysToRebuildTogether() {
        ContainerSpec spec = Container.builder().build();
        ContainerStartException e = StartFailures.map(new LaunchFailure(Optional.empty(), EINVAL, 0), spec,
                List.of("/bin/true"), MountPlanner.plan(spec, false));
        assertEquals(Optional.empty(), e.step());
        assertTrue(e.hint().orElseThrow().contains("rebuild"), e.toString());
        assertEquals(OptionalInt.of(EINVAL), e.errno());
    }

    @Test
    void aFailureCorralHasNoAdviceForHasNoHintRatherThanAnEmptyOne() {
        ContainerSpec spec = Container.builder().build();
        ContainerStartException e = map(LaunchStep.PIVOT_ROOT, EINVAL, 0, spec, List.of("/bin/true"));
        assertEquals(Optional.empty(), e.hint());
        assertTrue(e.getMessage().endsWith(": EINVAL"), e.getMessage());
        assertEquals(Optional.of("no cgroup here"), new ContainerStartException("create the container's cgroup",
                Optional.empty(), OptionalInt.empty(), Optional.empty(), "no cgroup here", null).hint());
        assertEquals(Optional.empty(), new ContainerStartException("start the Corral launcher", Optional.empty(),
                OptionalInt.empty(), Optional.empty(), " ", null).hint(), "a blank hint is none");
    }
}
