package dev.corral.internal.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.corral.Container;
import dev.corral.ContainerSpec;
import dev.corral.Input;
import dev.corral.InvalidSpecException;
import dev.corral.Output;
import dev.corral.namespaces.UserNamespace;
import dev.corral.cgroups.internal.CgroupLease;
import dev.corral.cgroups.CgroupLimits;
import dev.corral.cgroups.Cgroups;
import dev.corral.internal.mounts.MountPlanner;
import dev.corral.namespaces.Rlimit;
import dev.corral.namespaces.launcher.LaunchPlan;
import dev.corral.namespaces.launcher.LaunchPlan.RlimitOp;
import dev.corral.namespaces.launcher.LaunchPlan.StdioOp;
import dev.corral.namespaces.seccomp.SeccompProfiles;
import dev.corral.unit.DataSize;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The policy {@link PlanFactory} writes into a launcher plan, read from the plan itself, without
 * starting a container: stdio kinds, search path, the exec-by-descriptor need a seccomp profile
 * states and the file-descriptor limit it clamps, seccomp compiled once per profile, which
 * cgroup files the launcher is told to join, read and set back (every container has its own PID
 * namespace, so no process outlives the first and the counters can always be set back).
 */
class PlanFactoryTest {
    private static final int NOFILE = Rlimit.Resource.NOFILE.number();
    private static final int FD = SeccompProfiles.JUDGE_EXEC_FD;

    @TempDir
    Path tmp;

    private static LaunchPlan plan(ContainerSpec spec) {
        return plan(spec, Optional.empty());
    }

    private static LaunchPlan plan(ContainerSpec spec, Optional<CgroupLease> cgroup) {
        return PlanFactory.plan(spec, List.of("/bin/true"), MountPlanner.plan(spec, false), cgroup, List.of());
    }

    /** No user namespace: the plan then needs no look at /etc/subuid (root runs these tests). */
    private static ContainerSpec.Builder hostIds() {
        return Container.builder().privilegedRoot();
    }

    private static Optional<RlimitOp> nofile(LaunchPlan p) {
        List<RlimitOp> all = p.rlimits().stream().filter(r -> r.resource() == NOFILE).collect(Collectors.toList());
        assertTrue(all.size() <= 1, "one NOFILE limit at most: " + all);
        return all.stream().findFirst();
    }

    @Test
    void stdioKindsFollowTheSpec() {
        Path in = tmp.resolve("in"), out = tmp.resolve("out");
        LaunchPlan p = plan(hostIds().stdin(Input.file(in)).stdout(Output.appendToFile(out)).stderr(Output.discard()).build());
        assertEquals(StdioOp.file(in.toAbsolutePath().toString(), StdioOp.O_RDONLY, 0), p.stdio().get(0));
        assertEquals(StdioOp.file(out.toAbsolutePath().toString(), StdioOp.O_WRITE_APPEND, 0644), p.stdio().get(1));
        assertEquals(StdioOp.devNull(), p.stdio().get(2));

        LaunchPlan q = plan(hostIds().stdin(Input.string("x")).stdout(Output.capture()).stderr(Output.inherit()).build());
        assertEquals(List.of(StdioOp.relay(), StdioOp.relay(), StdioOp.inherit()), q.stdio());
        assertEquals(StdioOp.file(out.toAbsolutePath().toString(), StdioOp.O_WRITE_TRUNCATE, 0644),
                plan(hostIds().stdout(Output.file(out)).build()).stdio().get(1));
    }

    @Test
    void theSearchPathIsTheContainersPathOrDockersDefault() {
        assertEquals(Optional.of(PlanFactory.DEFAULT_PATH), plan(hostIds().build()).searchPath());
        assertEquals(Optional.of("/opt/bin"), plan(hostIds().env("PATH", "/opt/bin").build()).searchPath());
    }

    @Test
    void aProfileWithoutAnExecDescriptorLeavesTheLimitsAlone() {
        LaunchPlan p = plan(hostIds().seccomp(SeccompProfiles.defaultProfile())
                .rlimit(Rlimit.of(Rlimit.Resource.NOFILE, 4096, 8192)).build());
        assertEquals(OptionalInt.empty(), p.execFd());
        assertEquals(Optional.of(new RlimitOp(NOFILE, 4096, 8192)), nofile(p));
        assertTrue(p.seccomp().isPresent());
        ContainerSpec plain = hostIds().build();
        Rlimit byDefault = plain.security().rlimit(Rlimit.Resource.NOFILE).orElseThrow();
        assertEquals(Optional.of(new RlimitOp(NOFILE, byDefault.soft(), byDefault.hard())), nofile(plan(plain)));
    }

    @Test
    void anExecDescriptorClampsTheDefaultFileLimitBelowIt() {
        ContainerSpec spec = hostIds().seccomp(SeccompProfiles.strictJudge()).build();
        Rlimit byDefault = spec.security().rlimit(Rlimit.Resource.NOFILE).orElseThrow();
        LaunchPlan p = plan(spec);
        assertEquals(OptionalInt.of(FD), p.execFd());
        long hard = byDefault.hard() == Rlimit.INFINITY ? FD : Math.min(byDefault.hard(), FD);
        long soft = byDefault.soft() == Rlimit.INFINITY ? hard : Math.min(byDefault.soft(), hard);
        assertEquals(Optional.of(new RlimitOp(NOFILE, soft, hard)), nofile(p));
        assertTrue(hard <= FD);
    }

    @Test
    void anExecDescriptorClampsAHigherFileLimitAndKeepsALowerOne() {
        ContainerSpec.Builder judge = hostIds().seccomp(SeccompProfiles.strictJudge());
        assertEquals(Optional.of(new RlimitOp(NOFILE, FD, FD)),
                nofile(plan(judge.rlimit(Rlimit.of(Rlimit.Resource.NOFILE, 4096, 8192)).build())));
        assertEquals(Optional.of(new RlimitOp(NOFILE, FD, FD)),
                nofile(plan(judge.rlimit(Rlimit.of(Rlimit.Resource.NOFILE, Rlimit.INFINITY)).build())));
        assertEquals(Optional.of(new RlimitOp(NOFILE, 100, FD)),
                nofile(plan(judge.rlimit(Rlimit.of(Rlimit.Resource.NOFILE, 100, Rlimit.INFINITY)).build())));
        assertEquals(Optional.of(new RlimitOp(NOFILE, 64, 200)),
                nofile(plan(judge.rlimit(Rlimit.of(Rlimit.Resource.NOFILE, 64, 200)).build())));
    }

    @Test
    void anUnconfinedProfileSendsNoFilterAndOneProfileIsCompiledOnce() {
        assertFalse(plan(hostIds().seccomp(SeccompProfiles.unconfined()).build()).seccomp().isPresent());
        ContainerSpec spec = hostIds().seccomp(SeccompProfiles.defaultProfile()).build();
        assertSame(plan(spec).seccomp().orElseThrow(), plan(spec).seccomp().orElseThrow());
    }

    @Test
    void aUserOutsideTheUserNamespaceIsRefusedBeforeAnythingStarts() {
        ContainerSpec spec = Container.builder().userNamespace(UserNamespace.callerAsRoot()).user(5000, 5000).build();
        InvalidSpecException e = assertThrows(InvalidSpecException.class, () -> plan(spec));
        assertTrue(e.getMessage().contains("5000:5000"), e.getMessage());
    }

    @Test
    void aCgroupIsEnteredThroughItsLeasesDescriptorsAndItsCountersReadAndSetBack() throws Exception {
        try (Cgroups placement = Cgroups.open();
             CgroupLease c = CgroupLease.open(placement.create("plan-factory-test-" + ProcessHandle.current().pid(),
                     CgroupLimits.builder().memory(DataSize.ofMebibytes(64)).build()))) {
            LaunchPlan own = plan(hostIds().build(), Optional.of(c));
            java.util.function.Function<List<Integer>, List<Integer>> fds =
                    places -> places.stream().map(own.descriptors()::get).collect(Collectors.toList());
            assertEquals(c.directoryDescriptor().isPresent(), own.cloneIntoCgroup().isPresent());
            own.cloneIntoCgroup().ifPresent(clone -> {
                assertEquals(c.directoryDescriptor().getAsInt(), own.descriptors().get(clone.directory()));
                assertEquals(c.procsDescriptor().getAsInt(), own.descriptors().get(clone.procs()));
            });
            assertEquals(c.joinDescriptors(), fds.apply(own.writeZero()));
            assertFalse(c.counterDescriptors().isEmpty(), "a memory limit has counters to read");
            assertEquals(c.counterDescriptors(), fds.apply(own.readAtReap()));
            assertEquals(c.counterResetDescriptors(), fds.apply(own.zeroAtReap()), "its own PID namespace: set back");

            LaunchPlan none = plan(hostIds().build());
            assertEquals(List.of(), none.descriptors());
            assertEquals(Optional.empty(), none.cloneIntoCgroup());
        }
    }

    @Test
    void anOwnerMappedBindIsIdmappedOnlyWhereTheOwnerIsNotAlreadyTheUserAndOnlyByHostRoot() {
        LaunchPlan.MountOp plain = LaunchPlan.MountOp.bind("/srv/ws", "/ws",
                LaunchPlan.MountOp.NOSUID | LaunchPlan.MountOp.NODEV | LaunchPlan.MountOp.RECURSIVE);
        assertSame(plain, PlanFactory.asOwner(plain, 1000, 1000, 1000, 1000, false), "the user is the owner: as it is");
        InvalidSpecException e = assertThrows(InvalidSpecException.class,
                () -> PlanFactory.asOwner(plain, 0, 0, 1000, 1000, false));
        assertTrue(e.getMessage().contains("needs host root"), e.getMessage());
        LaunchPlan.MountOp mapped = PlanFactory.asOwner(plain, 1000, 100, 1000000000, 1000000000, true);
        assertEquals("1000 1000000000 1|100 1000000000 1", mapped.data(), "owner to the container user's host IDs");
        assertEquals(LaunchPlan.MountOp.NOSUID | LaunchPlan.MountOp.NODEV | LaunchPlan.MountOp.IDMAP, mapped.flags(),
                "idmapped, and not recursive: an idmap covers one mount");
        assertEquals(plain.source(), mapped.source());
    }
}
