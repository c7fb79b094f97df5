package dev.corral;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.corral.cgroups.CgroupLimits;
import dev.corral.cgroups.Controller;
import dev.corral.namespaces.UserNamespace;
import dev.corral.unit.DataSize;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Limits and metering through the container's own cgroup, on the real kernel: the hybrid v1
 * hierarchy of the development machines, and (tag cgroup-v2) a cgroup-v2-only kernel in CI's VM.
 * CPU figures are checked in generous ranges: they measure the kernel, not a duration budget.
 */
@Tag("cgroup-v2")
class ResourceLimitsTest {

    /**
     * Every cgroup directory named like a container's (c + number) in this JVM's placement,
     * anywhere under /sys/fs/cgroup. Cgroups are removed just after their container's result, possibly while
     * this walks: a walk that loses a file to a removal is tried again.
     */
    static List<Path> containerCgroups() throws IOException {
        /* this JVM's placement only (jvm-<pid namespace>-<pid>-<start time>): other JVMs on the
           machine, such as other builds' tests, have cgroups of their own at any moment */
        String ours = "jvm-\\d+-" + ProcessHandle.current().pid() + "-\\d+";
        for (int attempt = 0; ; attempt++) {
            try (Stream<Path> s = Files.walk(Path.of("/sys/fs/cgroup"), 6)) {
                return s.filter(Files::isDirectory)
                        .filter(p -> p.toString().contains("/corral/") && p.getFileName().toString().matches("c\\d+")
                                && p.getParent().getFileName().toString().matches(ours))
                        .toList();
            } catch (java.io.UncheckedIOException e) {
                if (!(e.getCause() instanceof java.nio.file.NoSuchFileException) || attempt == 100) {
                    throw e;
                }
            }
        }
    }

    /**
     * The child's own failure during its mounts, not the launcher's broken pipe to it: with a
     * cgroup, the launcher once wrote to the child again while the child set up its mounts, and
     * the child could be gone by then ("let the container go on: EPIPE").
     */
    @Test
    void aSetupFailureIsReportedAsItselfWithOrWithoutLimits() {
        for (boolean limited : new boolean[] {false, true}) {
            ContainerSpec.Builder b = Container.builder().mount(Mount.tmpfs("/usr/bin/env/x"));
            if (limited) {
                b.memory(DataSize.ofMebibytes(64)).pids(16).cpus(1);
            }
            ContainerStartException e = assertThrows(ContainerStartException.class, () -> b.run("/bin/true"),
                    limited ? "with limits" : "without limits");
            assertEquals(dev.corral.namespaces.LaunchStep.MOUNT_TARGET, e.step().orElseThrow(), e.getMessage());
            assertEquals(java.util.Optional.of("ENOTDIR"), e.errnoName(), e.getMessage());
            assertTrue(e.getMessage().contains("/usr/bin/env/x"), e.getMessage());
        }
    }

    /**
     * The container moves itself into its cgroups through files the launcher opened with its own
     * rights, and the launcher keeps those and the counter files open for the next container in
     * the same cgroup: none of them may reach the command, the first time or later.
     */
    @Test
    void theCommandHoldsOnlyStdio() {
        ContainerSpec spec = Container.builder().memory(DataSize.ofMebibytes(64)).pids(16).cpus(1).build();
        for (int i = 0; i < 3; i++) {
            /* the shell's own table: a fresh child could be caught in ld.so with a library open
             * as fd 3, and the trailing ':' keeps the shell from exec'ing ls in its own place */
            ContainerResult r = spec.run("/bin/sh", "-c", "ls /proc/$$/fd; :");
            assertEquals(Termination.EXITED, r.termination(), r::toString);
            assertEquals("0\n1\n2\n", r.stdout(), "run " + i);
        }
    }

    @Test
    void aMemoryBombIsOomKilledAtTheLimit() {
        ContainerResult r = Container.builder().memory(DataSize.ofMebibytes(64))
                .run("/bin/sh", "-c", "exec dd if=/dev/zero of=/dev/null bs=200M count=1");
        assertEquals(Termination.OOM_KILLED, r.termination(), r::toString);
        assertTrue(r.usage().oomKills() >= 1);
        long peak = r.usage().peakMemory().bytes();
        assertTrue(peak > DataSize.ofMebibytes(55).bytes() && peak <= DataSize.ofMebibytes(65).bytes(),
                "peak " + r.usage().peakMemory() + " from " + r.usage().peakMemorySource());
    }

    /**
     * Containers with the same limits one after another, as a judge runs them: a heavy one (CPU,
     * 60 MiB, or four processes at once) then a light one, whose counters must be its own. On
     * cgroup v1 the light one often gets the heavy one's cgroup again, reset for reuse: its CPU
     * time, its peak memory and its pids peak (which the kernel cannot reset) must not show the
     * heavy one's.
     */
    @Test
    void eachContainerCountsOnlyItsOwnUsage() {
        ContainerSpec spec = Container.builder().memory(DataSize.ofMebibytes(256)).pids(32).cpus(2).build();
        String[] heavy = {"exec dd if=/dev/zero of=/dev/null bs=60M count=20", "sleep 0.05 & sleep 0.05 & sleep 0.05 & wait"};
        for (int i = 0; i < 12; i++) {
            ContainerResult h = spec.run("/bin/sh", "-c", heavy[i % 2]);
            assertEquals(Termination.EXITED, h.termination(), h::toString);
            ContainerResult light = spec.run("/bin/true");
            assertEquals(Termination.EXITED, light.termination(), light::toString);
            ResourceUsage u = light.usage();
            assertEquals(2, u.pidsPeak().orElseThrow(), "the init and /bin/true, after " + h.usage());
            assertTrue(u.peakMemory().bytes() < DataSize.ofMebibytes(8).bytes(), "peak " + u + " after " + h.usage());
            /* a counter left over from the heavy one would make the light one's at least as large:
               compared with the heavy one's whole, not with a fraction of it or a fixed time, which
               the emulated v2 VM's container start alone exceeds */
            assertTrue(u.cpuTime().compareTo(h.usage().cpuTime()) < 0, "CPU " + u + " after " + h.usage());
        }
    }

    @Test
    void peakMemoryOfAHundredMebibytesIsWithinTenPercent() {
        ContainerResult r = Container.builder().memory(DataSize.ofMebibytes(512))
                .run("/bin/sh", "-c", "exec dd if=/dev/zero of=/dev/null bs=100M count=1");
        assertEquals(Termination.EXITED, r.termination(), r::toString);
        double mib = r.usage().peakMemory().bytes() / (double) (1 << 20);
        assertTrue(mib >= 100 && mib <= 110, "peak " + mib + " MiB from " + r.usage().peakMemorySource());
        assertFalse(r.usage().peakMemorySource() == ResourceUsage.PeakMemorySource.RUSAGE_MAX_RSS);
    }

    @Test
    void aForkBombIsContainedByThePidsLimit() {
        ContainerResult r = Container.builder().pids(32).timeout(Duration.ofSeconds(20)).run("/bin/sh", "-c",
                /* the bomb in a subshell, which dies when a fork fails; the counting shell needs none */
                "(i=0; while [ $i -lt 100 ]; do sleep 5 & i=$((i+1)); done) 2>/dev/null; "
                        + "set -- /proc/[0-9]*; echo $# processes"); /* a glob: no fork needed to count */
        assertEquals(Termination.EXITED, r.termination(), r::toString);
        int seen = Integer.parseInt(r.stdout().trim().split(" ")[0]);
        assertTrue(seen <= 32 && seen >= 20, r.stdout()); /* the shell, the init and the sleeps it could start */
        r.usage().pidsPeak().ifPresent(p -> assertTrue(p <= 32, "pids peak " + p));
    }

    @Test
    void halfACpuGivesAboutHalfTheCpuTime() {
        ContainerResult r = Container.builder().cpus(0.5).timeout(Duration.ofSeconds(2))
                .run("/bin/sh", "-c", "while :; do :; done");
        assertEquals(Termination.TIMED_OUT, r.termination());
        double cpu = r.usage().cpuTime().toMillis() / 1000.0;
        assertTrue(cpu > 0.6 && cpu < 1.4, "CPU " + cpu + " s in 2 s wall under cpus 0.5");
    }

    @Test
    void aCpuTimeLimitEndsABusyLoopAtAboutTheLimit() {
        ContainerResult r = Container.builder().cpuTimeLimit(Duration.ofSeconds(1)).timeout(Duration.ofSeconds(20))
                .run("/bin/sh", "-c", "while :; do :; done");
        assertEquals(Termination.CPU_TIME_EXCEEDED, r.termination(), r::toString);
        double cpu = r.usage().cpuTime().toMillis() / 1000.0;
        assertTrue(cpu >= 1.0 && cpu < 1.5, "CPU " + cpu + " s under a 1 s limit");
    }

    /**
     * A fork bomb stopped by its pids limit says so in its result, however it ends (here by its
     * CPU-time limit, as a bomb that keeps retrying does), and a plain busy loop that runs out of
     * CPU time does not; the next run with the same limits starts from zero refusals.
     */
    @Test
    void aForkBombAtItsPidsLimitIsToldApartFromRunningOutOfCpuTime() {
        ContainerSpec spec = Container.builder().pids(16).cpuTimeLimit(Duration.ofSeconds(1))
                .timeout(Duration.ofSeconds(20)).build();
        /* each child spins, so the bomb ends at its CPU-time limit with its pids limit full */
        ContainerResult bomb = spec.run("/bin/sh", "-c", "b() { b & b & while :; do :; done; }; b");
        assertTrue(bomb.usage().pidsLimitReached(), bomb.usage()::toString);
        assertTrue(bomb.usage().pidsLimitHits().getAsLong() > 0, bomb.usage()::toString);
        ContainerResult loop = spec.run("/bin/sh", "-c", "while :; do :; done");
        assertEquals(Termination.CPU_TIME_EXCEEDED, loop.termination(), loop::toString);
        assertEquals(java.util.OptionalLong.of(0), loop.usage().pidsLimitHits(), loop.usage()::toString);
        assertFalse(loop.usage().pidsLimitReached());
        /* the same cgroup limits (a reused cgroup), more CPU time: eight forks can take a second in the emulated v2 VM */
        ContainerResult forks = spec.toBuilder().cpuTimeLimit(Duration.ofSeconds(15)).build()
                .run("/bin/sh", "-c", "for i in 1 2 3 4 5 6 7 8; do /bin/true & done; wait");
        assertEquals(0, forks.exitCode().orElse(-1), forks::toString);
        assertEquals(java.util.OptionalLong.of(0), forks.usage().pidsLimitHits(), forks.usage()::toString);
    }

    @Test
    void aCpusetPinsToTheNamedCpu() {
        ContainerResult r = Container.builder().cpuset("0").run("/bin/sh", "-c",
                "grep Cpus_allowed_list /proc/self/status");
        assertEquals("Cpus_allowed_list:\t0\n", r.stdout());
    }

    @Test
    void pauseStopsProgressAndResumeRestartsIt() throws Exception {
        try (ContainerProcess p = Container.builder().pids(16).start("/bin/sh", "-c", "while :; do :; done")) {
            Thread.sleep(200);
            p.pause();
            Duration frozen = p.stats().cpuTime();
            Thread.sleep(300);
            assertEquals(frozen, p.stats().cpuTime(), "no CPU while frozen");
            p.resume();
            Thread.sleep(300);
            assertTrue(p.stats().cpuTime().compareTo(frozen) > 0, "CPU again after resume");
        }
    }

    @Test
    void statsOfARunningContainerHaveTheResultsUsageType() throws Exception {
        try (ContainerProcess p = Container.builder().memory(DataSize.ofMebibytes(64)).start("/bin/sleep", "5")) {
            ResourceUsage first = p.stats();
            Thread.sleep(50);
            ResourceUsage u = p.stats();
            assertTrue(u.wallTime().compareTo(first.wallTime()) > 0, "wall time since start grows: " + first + ", " + u);
            assertTrue(u.currentMemory().isPresent(), "a running container's memory now: " + u);
            assertTrue(u.peakMemory().compareTo(u.currentMemory().get()) >= 0, u::toString);
            assertNotEquals(ResourceUsage.PeakMemorySource.RUSAGE_MAX_RSS, u.peakMemorySource());
            p.kill();
            ContainerResult r = p.waitFor();
            assertEquals(java.util.Optional.empty(), r.usage().currentMemory(), "a result has no memory now");
        }
    }

    @Test
    void theContainerSeesItsOwnCgroupAsTheRoot() {
        ContainerResult r = Container.builder().pids(16).run("/bin/cat", "/proc/self/cgroup");
        for (String line : r.stdout().split("\n")) {
            assertTrue(line.endsWith(":/"), "cgroup namespace rooted at the container's cgroup: " + r.stdout());
        }
    }

    @Test
    void aJvmRunsUnderAMemoryLimitThatIsNotAnAddressSpaceLimit() {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        ContainerResult r = Container.builder().memory(DataSize.ofMebibytes(256)).pids(256)
                .timeout(Duration.ofSeconds(120)).run(java, "-Xshare:off", "-XX:TieredStopAtLevel=1", "-version");
        assertEquals(Termination.EXITED, r.termination(), r.stderr());
        assertEquals(0, r.exitCode().orElse(-1), r.stderr());
        assertTrue(r.stderr().contains("version"), r.stderr());
        ContainerResult limits = Container.builder().memory(DataSize.ofMebibytes(256))
                .run("/bin/sh", "-c", "ulimit -v");
        assertEquals("unlimited\n", limits.stdout(), "no RLIMIT_AS");
    }

    @Test
    void manyRunsLeaveNoCgroupBehind() throws Exception {
        ContainerSpec spec = Container.builder().pids(8).stdout(Output.discard()).build();
        /* 1000 here; the cgroup v2 VM, whose emulated CPU forks ~100 times slower, asks for fewer */
        int runs = Integer.getInteger("corral.test.manyRuns", 1000);
        for (int i = 0; i < runs; i++) {
            assertEquals(Termination.EXITED, spec.run("/bin/true").termination());
        }
        /* a cgroup is removed just after its result: the last ones may take a moment */
        long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(30);
        while (!containerCgroups().isEmpty() && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertEquals(List.of(), containerCgroups());
    }

    @Test
    void aStartRefusedAfterItsCgroupWasMadeLeavesNoCgroupBehind() throws Exception {
        /* the user is checked against the ID maps when the plan is made, after the cgroup */
        ContainerSpec spec = Container.builder().pids(8).userNamespace(UserNamespace.callerAsRoot()).user(5000, 5000).build();
        InvalidSpecException e = assertThrows(InvalidSpecException.class, () -> spec.run("/bin/true"));
        assertTrue(e.getMessage().contains("5000:5000"), e.getMessage());
        /* the spares made for the next start go a second after the last use */
        long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(30);
        while (!containerCgroups().isEmpty() && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertEquals(List.of(), containerCgroups());
    }

    @Test
    void aJvmKilledMidRunLeavesACgroupThatTheNextStartRemoves() throws Exception {
        Process jvm = ChildJvm.start(List.of(), "hold-limited");
        String jvmPid;
        try {
            String line = new java.io.BufferedReader(new java.io.InputStreamReader(jvm.getInputStream())).readLine();
            assertTrue(line != null, "the child JVM printed nothing");
            jvmPid = line.trim().split(" ")[2];
            jvm.destroyForcibly(); /* SIGKILL: no shutdown hook, its cgroup stays */
            jvm.waitFor();
        } finally {
            jvm.destroyForcibly();
        }
        java.util.function.Supplier<List<Path>> ownedByIt = () -> {
            try (Stream<Path> s = Files.walk(Path.of("/sys/fs/cgroup"), 4)) {
                return s.filter(p -> p.getFileName().toString().matches("jvm-\\d+-" + jvmPid + "-\\d+")).toList();
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        };
        assertTrue(!ownedByIt.get().isEmpty(), "the killed JVM left its cgroup");
        /* the next JVM to start a container, even one without limits, removes it */
        Process next = ChildJvm.start(List.of(), "run-and-wait");
        try {
            String line = new java.io.BufferedReader(new java.io.InputStreamReader(next.getInputStream())).readLine();
            assertEquals("ran EXITED", line);
            long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(30);
            while (!ownedByIt.get().isEmpty() && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            assertEquals(List.of(), ownedByIt.get(), "the next start removed the dead JVM's cgroup");
        } finally {
            next.destroyForcibly();
            next.waitFor();
        }
    }

    @Test
    void aLimitThatCannotBeAppliedIsAnErrorUnlessAllowed() {
        /* io weight: no io controller in the v1 hierarchy here; on v2 it exists, so use a bogus CPU */
        CgroupLimits impossible = CgroupLimits.builder().cpusetCpus("4095").build();
        ContainerStartException e = assertThrows(ContainerStartException.class,
                () -> Container.builder().limits(impossible).run("/bin/true"));
        assertTrue(e.getMessage().contains("4095") || e.getMessage().contains("cpuset"), e.getMessage());
    }

    @Test
    void aCpusetBeyondTheHostsCpusIsNamedWithTheOnesAvailable() {
        ContainerStartException e = assertThrows(ContainerStartException.class,
                () -> Container.builder().cpuset("0,99").run("/bin/true"));
        assertTrue(e.getMessage().contains("'0,99' names 99") && e.getMessage().contains("the available ones are"),
                e.getMessage());
    }

    @Test
    void limitsAreValidatedInBuild() {
        InvalidSpecException e = assertThrows(InvalidSpecException.class,
                () -> Container.builder().memory(DataSize.ofKibibytes(4)).build());
        assertEquals("limits", e.field());
        assertEquals("cpuTimeLimit", assertThrows(InvalidSpecException.class,
                () -> Container.builder().cpuTimeLimit(Duration.ZERO).build()).field());
        assertThrows(IllegalStateException.class, () -> {
            try (ContainerProcess p = Container.builder().start("/bin/sleep", "5")) {
                p.pause();
            }
        });
        assertTrue(Controller.MEMORY.name().length() > 0);
    }
}
