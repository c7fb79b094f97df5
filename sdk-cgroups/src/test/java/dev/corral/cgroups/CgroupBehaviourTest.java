package dev.corral.cgroups;

import dev.corral.cgroups.internal.CgroupLease;

import dev.corral.unit.DataSize;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Cgroups on the real kernel, with ordinary processes: the driver is whichever this machine
 * needs (v1 here, v2 in ../shared/cgroup-v2-vm), and each test checks it got the right one.
 */
@Tag("cgroup-v2")
class CgroupBehaviourTest {

    static Cgroups cgroups;

    @BeforeAll
    static void open() {
        cgroups = Cgroups.builder().parent(Workload.testParent()).build();
        assertEquals(CgroupHierarchy.detect().driverVersion(), cgroups.version());
    }

    @AfterAll
    static void close() {
        List<Path> parents = cgroups.parentDirectories();
        cgroups.close();
        for (Path parent : parents) {
            assertFalse(Files.exists(parent), parent + " was left behind");
        }
    }

    private static Cgroup create(String name, CgroupLimits limits) {
        Cgroup cg = cgroups.create(name, limits);
        assertEquals(cgroups.version(), cg.version());
        assertEquals(cg.version() == CgroupVersion.V2, cg.procsFiles().size() == 1);
        assertEquals(Set.of(), cg.unenforced());
        return cg;
    }

    @Test
    void memoryHogIsOomKilledAtTheLimit() throws Exception {
        DataSize limit = DataSize.ofMebibytes(64);
        try (CgroupLease lease = CgroupLease.open(create("hog", CgroupLimits.builder().memory(limit).build()))) {
            Cgroup cg = lease.cgroup();
            Process p = Workload.start(cg, "dd if=/dev/zero of=/dev/null bs=200M count=1");
            assertEquals(128 + 9, p.waitFor(), "dd should die of SIGKILL");
            CgroupUsage u = cg.usage();
            assertEquals(1, u.oomKills().orElseThrow(), "oom_kill count");
            assertEquals(cg.version() == CgroupVersion.V2 ? CgroupUsage.PeakSource.MEMORY_PEAK
                    : CgroupUsage.PeakSource.MAX_USAGE_IN_BYTES, u.memoryPeakSource());
            long peak = u.memoryPeak().orElseThrow().bytes();
            assertTrue(peak >= limit.bytes() * 0.9 && peak <= limit.bytes(), "peak " + peak + " vs limit " + limit);
            assertFalse(lease.resetForReuse(1), "the OOM kill count cannot be set back: not reusable");
        }
    }

    @Test
    void aCgroupResetForReuseCountsItsNextProcessesFromZero() throws Exception {
        DataSize limit = DataSize.ofMebibytes(64);
        try (CgroupLease lease = CgroupLease.open(create("reuse", CgroupLimits.builder().memory(limit).cpus(1).pids(16).build()))) {
            Cgroup cg = lease.cgroup();
            Process p = Workload.start(cg, "dd if=/dev/zero of=/dev/null bs=40M count=20");
            assertEquals(0, p.waitFor());
            CgroupUsage first = cg.usage();
            long firstPeak = first.memoryPeak().orElseThrow().bytes();
            assertTrue(firstPeak >= DataSize.ofMebibytes(40).bytes(), "first peak " + firstPeak);
            if (cg.version() == CgroupVersion.V2) {
                assertFalse(lease.resetForReuse(1), "v2 counters only grow");
                return;
            }
            Path memory = dirOf(cg, "memory");
            assertFalse(lease.resetForReuse(0), "pids.peak 1 is above a floor of 0");
            boolean done = lease.resetForReuse(1);
            for (int i = 0; i < 50 && !done; i++) { /* kernel objects of a process are uncharged a grace period after it */
                Thread.sleep(10);
                done = lease.resetForReuse(1);
            }
            assertTrue(done, "one process came and went: " + cg.usage());
            assertEquals(Long.toString(limit.bytes()), read(memory.resolve("memory.limit_in_bytes")), "the limits stay");
            CgroupUsage reset = cg.usage();
            assertEquals(Duration.ZERO, reset.cpuTotal().orElseThrow(), "CPU time after the reset");
            assertTrue(reset.memoryPeak().orElseThrow().bytes() < DataSize.ofMebibytes(2).bytes(), "peak after reset " + reset);

            Process q = Workload.start(cg, "true");
            assertEquals(0, q.waitFor());
            CgroupUsage second = cg.usage();
            assertTrue(second.cpuTotal().orElseThrow().compareTo(first.cpuTotal().orElseThrow()) < 0,
                    "the second user's CPU " + second + " vs the first's " + first);
            assertTrue(second.memoryPeak().orElseThrow().bytes() < DataSize.ofMebibytes(4).bytes(), "second peak " + second);
            assertEquals(1, second.pidsPeak().orElseThrow(), "pids peak");

            Process r = Workload.start(cg, "sh -c 'sleep 0 & wait'");
            assertEquals(0, r.waitFor());
            assertFalse(lease.resetForReuse(1), "pids.peak 2 cannot be set back to 1");

            Process s = Workload.start(cg, "sleep 1000");
            try {
                assertFalse(lease.resetForReuse(16), "a process is still in it");
            } finally {
                s.destroyForcibly().waitFor();
            }
            cg.remove();
            assertFalse(lease.resetForReuse(16), "removed");
        }
    }

    /**
     * A caller that reads the counter files itself once the last process is gone, then writes
     * "0" to the reset files (as the launcher does): the cgroup is judged ready for reuse from
     * what was read, and its counters start again.
     */
    @Test
    void countersReadThenSetBackByTheCallerAreJudgedFromWhatWasRead() throws Exception {
        try (CgroupLease lease = CgroupLease.open(create("caller-reset",
                CgroupLimits.builder().memory(DataSize.ofMebibytes(64)).cpus(1).pids(16).build()))) {
            Cgroup cg = lease.cgroup();
            Process p = Workload.start(cg, "dd if=/dev/zero of=/dev/null bs=40M count=20");
            assertEquals(0, p.waitFor());
            if (cg.version() == CgroupVersion.V2) {
                assertEquals(List.of(), lease.counterResetDescriptors());
                assertFalse(lease.isResetForReuse(readEach(lease), 1), "v2 counters only grow");
                return;
            }
            Path memory = dirOf(cg, "memory");
            Path freezer = dirOf(cg, "freezer");
            assertEquals(Set.of(memory.resolve("memory.max_usage_in_bytes"), dirOf(cg, "cpuacct").resolve("cpuacct.usage")),
                    Set.copyOf(lease.counterResetDescriptors().stream().map(CgroupBehaviourTest::fileOf).toList()));
            List<Path> files = lease.counterFiles();
            assertEquals(files, lease.counterDescriptors().stream().map(CgroupBehaviourTest::fileOf).toList());
            assertTrue(files.containsAll(List.of(memory.resolve("memory.oom_control"),
                    freezer.resolve("freezer.state"), dirOf(cg, "pids").resolve("pids.peak"))), files.toString());
            List<java.util.Optional<String>> read = readEach(lease);
            boolean ready = false;
            for (int i = 0; i < 50 && !ready; i++) { /* kernel objects are uncharged a grace period after their process */
                read = readEach(lease);
                for (int fd : lease.counterResetDescriptors()) {
                    java.nio.file.Files.writeString(Path.of("/proc/self/fd/" + fd), "0");
                }
                ready = lease.isResetForReuse(read, 1);
                if (!ready) {
                    Thread.sleep(10);
                }
            }
            assertTrue(ready, "one process came and went: " + read);
            assertTrue(lease.usage(read).memoryPeak().orElseThrow().bytes() >= DataSize.ofMebibytes(40).bytes(),
                    "the usage is what was read before the reset");
            CgroupUsage now = cg.usage();
            assertEquals(Duration.ZERO, now.cpuTotal().orElseThrow(), "CPU time after the reset");
            assertTrue(now.memoryPeak().orElseThrow().bytes() < DataSize.ofMebibytes(2).bytes(), "peak after the reset " + now);

            assertFalse(lease.isResetForReuse(read, 0), "pids.peak 1 is above a floor of 0");
            List<java.util.Optional<String>> oom = new java.util.ArrayList<>(read);
            oom.set(files.indexOf(memory.resolve("memory.oom_control")),
                    java.util.Optional.of("oom_kill_disable 0\nunder_oom 0\noom_kill 1"));
            assertFalse(lease.isResetForReuse(oom, 1), "an OOM kill in what was read, whatever the file says now");
            List<java.util.Optional<String>> frozen = new java.util.ArrayList<>(read);
            frozen.set(files.indexOf(freezer.resolve("freezer.state")), java.util.Optional.of("FROZEN"));
            assertFalse(lease.isResetForReuse(frozen, 1), "frozen when read");
            cg.remove();
            assertFalse(lease.isResetForReuse(read, 1), "removed");
        }
    }

    /** The lease's counters, read through its descriptors as the launcher reads them. */
    private static List<java.util.Optional<String>> readEach(CgroupLease lease) throws IOException {
        List<java.util.Optional<String>> read = new java.util.ArrayList<>();
        for (int fd : lease.counterDescriptors()) {
            read.add(java.util.Optional.of(read(Path.of("/proc/self/fd/" + fd))));
        }
        return read;
    }

    private static Path fileOf(int fd) {
        try {
            return Files.readSymbolicLink(Path.of("/proc/self/fd/" + fd));
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** A shell (one thread) writes "0" to each self-join file and is then in every hierarchy. */
    @Test
    void aProcessWithOneThreadMovesItselfInThroughTheSelfJoinFiles() throws Exception {
        try (Cgroup cg = create("self", CgroupLimits.builder().memory(DataSize.ofMebibytes(64)).pids(8).build())) {
            List<String> command = new java.util.ArrayList<>(List.of("sh", "-c",
                    "for f do echo 0 > \"$f\" || exit 1; done; echo joined; exec sleep 1000", "sh"));
            /* v1: each hierarchy's tasks file (moves this one thread); v2: cgroup.procs */
            cg.procsFiles().forEach(f -> command.add((cg.version() == CgroupVersion.V2 ? f
                    : f.resolveSibling("tasks")).toString()));
            Process p = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
            try {
                String line = new java.io.BufferedReader(new java.io.InputStreamReader(p.getInputStream(),
                        StandardCharsets.US_ASCII)).readLine();
                assertEquals("joined", line);
                for (Path procs : cg.procsFiles()) {
                    assertTrue(dev.corral.cgroups.internal.CgroupFs.readPids(procs).contains(p.pid()), p.pid() + " not in " + procs);
                }
                assertEquals(1, cg.usage().pidsCurrent().orElseThrow());
            } finally {
                p.destroyForcibly().waitFor();
            }
        }
    }

    @Test
    void peakOfA100MiBToucherIsWithinTenPercent() throws Exception {
        try (Cgroup cg = create("toucher", CgroupLimits.builder().memory(DataSize.ofMebibytes(256)).build())) {
            Process p = Workload.start(cg, "dd if=/dev/zero of=/dev/null bs=100M count=1");
            assertEquals(0, p.waitFor());
            CgroupUsage u = cg.usage();
            double mib = u.memoryPeak().orElseThrow().bytes() / (double) (1 << 20);
            assertTrue(Math.abs(mib - 100) <= 10, "peak " + mib + " MiB");
            assertEquals(0, u.oomKills().orElseThrow());
        }
    }

    @Test
    void limitsReachTheKernelFiles() throws Exception {
        CgroupLimits limits = CgroupLimits.builder().memory(DataSize.ofMebibytes(48)).cpus(1.5).cpuWeight(200)
                .cpusetCpus("0").pids(32).build();
        try (Cgroup cg = create("files", limits)) {
            if (cg.version() == CgroupVersion.V2) {
                Path dir = cg.procsFiles().get(0).getParent();
                assertEquals(List.of(dir.resolve("cgroup.procs")), cg.procsFiles());
                assertEquals("50331648", read(dir.resolve("memory.max")));
                assertEquals("0", read(dir.resolve("memory.swap.max")));
                assertEquals("150000 100000", read(dir.resolve("cpu.max")));
                assertEquals("200", read(dir.resolve("cpu.weight")));
                assertEquals("0", read(dir.resolve("cpuset.cpus")));
                assertEquals("32", read(dir.resolve("pids.max")));
            } else {
                assertEquals(6, cg.procsFiles().size(), "memory, cpu, cpuacct, cpuset, pids, freezer: " + cg.procsFiles());
                Path memory = dirOf(cg, "memory");
                assertEquals("50331648", read(memory.resolve("memory.limit_in_bytes")));
                assertEquals("50331648", read(memory.resolve("memory.memsw.limit_in_bytes")));
                assertEquals("150000", read(dirOf(cg, "cpu").resolve("cpu.cfs_quota_us")));
                assertEquals("2048", read(dirOf(cg, "cpu").resolve("cpu.shares")));
                assertEquals("0", read(dirOf(cg, "cpuset").resolve("cpuset.cpus")));
                assertEquals("32", read(dirOf(cg, "pids").resolve("pids.max")));
            }
            Process p = Workload.start(cg, "grep Cpus_allowed_list /proc/self/status");
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            assertEquals(0, p.waitFor());
            assertEquals("Cpus_allowed_list:\t0", out, "cpuset pins to CPU 0");
        }
    }

    @Test
    void forkBombIsContained() throws Exception {
        try (Cgroup cg = create("bomb", CgroupLimits.builder().pids(32).build())) {
            Workload.start(cg, "sh -c 'f() { f | f & }; f; wait'");
            Path events = eventsFile(cg);
            long refused = 0;
            for (int i = 0; i < 400 && refused == 0; i++) {
                Thread.sleep(50);
                refused = keyed(events, "max");
                long current = cg.usage().pidsCurrent().orElseThrow();
                assertTrue(current <= 32, "pids.current " + current);
            }
            assertTrue(refused > 0, "the bomb never hit pids.max");
            assertTrue(cg.usage().pidsLimitHits().orElseThrow() >= refused, "pidsLimitHits: pids.events max");
            cg.usage().pidsPeak().ifPresent(peak -> assertEquals(32, peak, "pids.peak"));
            List<Long> pids = cg.processes();
            cg.remove();
            for (long pid : pids) {
                assertFalse(Workload.isAlive(pid), "pid " + pid + " survived");
            }
        }
    }

    @Test
    void busyLoopUnderHalfACpuGetsAboutHalf() throws Exception {
        try (Cgroup cg = create("half", CgroupLimits.builder().cpus(0.5).build())) {
            Workload.start(cg, "sh -c 'while :; do :; done'");
            Thread.sleep(200);
            Duration cpu0 = cg.usage().cpuTotal().orElseThrow();
            long wall0 = System.nanoTime();
            Thread.sleep(2000);
            Duration cpu1 = cg.usage().cpuTotal().orElseThrow();
            double ratio = cpu1.minus(cpu0).toNanos() / (double) (System.nanoTime() - wall0);
            assertTrue(ratio > 0.35 && ratio < 0.65, "CPU share " + ratio);
        }
    }

    @Test
    void freezeStopsProgressAndThawResumesIt() throws Exception {
        try (Cgroup cg = create("freeze", CgroupLimits.none())) {
            Workload.start(cg, "sh -c 'while :; do :; done'");
            Thread.sleep(200);
            cg.freeze();
            Duration frozen = cg.usage().cpuTotal().orElseThrow();
            Thread.sleep(300);
            assertEquals(frozen, cg.usage().cpuTotal().orElseThrow(), "CPU time grew while frozen");
            cg.thaw();
            Thread.sleep(300);
            assertNotEquals(frozen, cg.usage().cpuTotal().orElseThrow(), "no CPU time after thaw");
        }
    }

    @Test
    void killAndRemoveLeaveNothing() throws Exception {
        Cgroup cg = create("kill", CgroupLimits.builder().memory(DataSize.ofMebibytes(64)).build());
        Process p = Workload.start(cg, "sh -c 'sleep 1000 & sleep 1000 & wait'");
        List<Long> pids = List.of();
        for (int i = 0; i < 400 && pids.size() < 3; i++) {
            Thread.sleep(25);
            pids = cg.processes();
        }
        assertEquals(3, pids.size(), "sh and two sleeps: " + pids);
        assertTrue(pids.contains(p.pid()));
        cg.remove();
        assertEquals(128 + 9, p.waitFor());
        for (long pid : pids) {
            assertFalse(Workload.isAlive(pid), "pid " + pid + " survived");
        }
        for (Path procs : cg.procsFiles()) {
            assertFalse(Files.exists(procs.getParent()), procs.getParent() + " left behind");
        }
        cg.remove();   // a second removal does nothing
    }

    private static Path eventsFile(Cgroup cg) {
        return cg.version() == CgroupVersion.V2 ? cg.procsFiles().get(0).resolveSibling("pids.events")
                : dirOf(cg, "pids").resolve("pids.events");
    }

    static Path dirOf(Cgroup cg, String v1Hierarchy) {
        Path mount = cgroups.hierarchy().v1Mounts().get(Controller.ofV1Name(v1Hierarchy).orElseThrow());
        return cg.procsFiles().stream().map(Path::getParent).filter(d -> d.startsWith(mount)).findFirst().orElseThrow();
    }

    static String read(Path file) throws IOException {
        return Files.readString(file).trim();
    }

    static long keyed(Path file, String key) throws IOException {
        for (String line : Files.readAllLines(file)) {
            String[] kv = line.split(" ");
            if (kv[0].equals(key)) {
                return Long.parseLong(kv[1]);
            }
        }
        throw new AssertionError("no " + key + " in " + file);
    }
}
