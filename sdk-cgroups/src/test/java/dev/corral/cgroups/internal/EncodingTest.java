package dev.corral.cgroups.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.corral.cgroups.BlockDevice;
import dev.corral.cgroups.CgroupException;
import dev.corral.cgroups.CgroupLimits;
import dev.corral.cgroups.CgroupUsage;
import dev.corral.cgroups.Controller;
import dev.corral.unit.DataSize;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Encoders and counters on fixture directories; the real kernel is in CgroupBehaviourTest. */
class EncodingTest {

    @TempDir
    Path tmp;

    @Test
    void ioMaxHasOneLinePerDeviceWithBothDirections() {
        CgroupLimits l = CgroupLimits.builder()
                .readBandwidth(new BlockDevice(8, 0), DataSize.ofMebibytes(1))
                .writeBandwidth(new BlockDevice(8, 0), DataSize.ofKibibytes(512))
                .writeBandwidth(new BlockDevice(254, 16), DataSize.ofBytes(1000))
                .build();
        assertEquals(Set.of("8:0 rbps=1048576 wbps=524288", "254:16 rbps=max wbps=1000"), V2Units.Io.ioMaxLines(l));
    }

    @Property
    void cpuSharesKeepTheDefaultsAndTheOrder(@ForAll @IntRange(min = 1, max = 9_999) int weight) {
        assertEquals(1024, V1Units.sharesOfWeight(100));
        long shares = V1Units.sharesOfWeight(weight);
        assertTrue(shares >= 2 && shares <= 262_144);
        assertTrue(V1Units.sharesOfWeight(weight + 1) >= shares);
    }

    @Test
    void v1LimitsAreWrittenAndSwapIsOffByDefault() throws IOException {
        Path mem = fixture("memory", "memory.limit_in_bytes", "memory.memsw.limit_in_bytes");
        new V1Units.Memory(true).apply(mem, CgroupLimits.builder().memory(DataSize.ofMebibytes(64)).build());
        assertEquals("67108864", CgroupFs.read(mem.resolve("memory.limit_in_bytes")));
        assertEquals("67108864", CgroupFs.read(mem.resolve("memory.memsw.limit_in_bytes")));
        Path cpu = fixture("cpu", "cpu.cfs_period_us", "cpu.cfs_quota_us", "cpu.shares");
        new V1Units.Cpu().apply(cpu, CgroupLimits.builder().cpus(0.5).cpuWeight(50).build());
        assertEquals("50000", CgroupFs.read(cpu.resolve("cpu.cfs_quota_us")));
        assertEquals("100000", CgroupFs.read(cpu.resolve("cpu.cfs_period_us")));
        assertEquals("512", CgroupFs.read(cpu.resolve("cpu.shares")));
    }

    @Test
    void v2LimitsAreWrittenAndSwapIsOffByDefault() throws IOException {
        Path dir = fixture("v2", "memory.max", "memory.swap.max", "cpu.max", "cpu.weight", "pids.max");
        new V2Units.Memory(true).apply(dir, CgroupLimits.builder().memory(DataSize.ofMebibytes(64)).build());
        new V2Units.Cpu().apply(dir, CgroupLimits.builder().cpus(1.5).cpuWeight(300).build());
        new V2Units.Pids().apply(dir, CgroupLimits.builder().pids(32).build());
        assertEquals("67108864", CgroupFs.read(dir.resolve("memory.max")));
        assertEquals("0", CgroupFs.read(dir.resolve("memory.swap.max")));
        assertEquals("150000 100000", CgroupFs.read(dir.resolve("cpu.max")));
        assertEquals("300", CgroupFs.read(dir.resolve("cpu.weight")));
        assertEquals("32", CgroupFs.read(dir.resolve("pids.max")));
    }

    @Test
    void noSwapAccountingIsAnErrorOnlyWhereThereIsSwap() throws IOException {
        Path dir = fixture("noswap", "memory.max");
        CgroupLimits l = CgroupLimits.builder().memory(DataSize.ofMebibytes(64)).build();
        new V2Units.Memory(false).apply(dir, l);
        assertEquals("67108864", CgroupFs.read(dir.resolve("memory.max")));
        var e = org.junit.jupiter.api.Assertions.assertThrows(dev.corral.cgroups.ControllerUnavailableException.class,
                () -> new V2Units.Memory(true).apply(dir, l));
        assertEquals(Controller.MEMORY, e.controller());
        assertTrue(e.getMessage().contains("memory.swap.max"), e.getMessage());
    }

    @Test
    void aFailedWriteNamesTheFileAndTheValue() {
        Path missing = tmp.resolve("gone/pids.max");
        CgroupException e = org.junit.jupiter.api.Assertions.assertThrows(CgroupException.class,
                () -> CgroupFs.write(missing, "32"));
        assertTrue(e.getMessage().contains(missing.toString()) && e.getMessage().contains("'32'"), e.getMessage());
        assertEquals(Optional.of(missing.toString()), e.file());
        assertEquals(Optional.of("32"), e.value());
    }

    @Test
    void v1UsageFromTheKernelsCounters() throws IOException {
        Path mem = Files.createDirectories(tmp.resolve("memory/c"));
        Files.writeString(mem.resolve("memory.usage_in_bytes"), "4096\n");
        Files.writeString(mem.resolve("memory.max_usage_in_bytes"), "67108864\n");
        Files.writeString(mem.resolve("memory.oom_control"), "oom_kill_disable 0\nunder_oom 0\noom_kill 1\n");
        Path acct = Files.createDirectories(tmp.resolve("cpuacct/c"));
        Files.writeString(acct.resolve("cpuacct.stat"), "user 150\nsystem 7\n");   // no usage_user: an older kernel
        Path pids = Files.createDirectories(tmp.resolve("pids/c"));
        Files.writeString(pids.resolve("pids.current"), "3\n");
        V1Cgroup cg = V1Cgroup.existing("c", Map.of(Controller.MEMORY, mem, Controller.CPUACCT, acct, Controller.PIDS, pids),
                c -> { });
        CgroupUsage u = cg.usage();
        assertEquals(Optional.of(Duration.ofMillis(1500)), u.cpuUser());
        assertEquals(Optional.of(Duration.ofMillis(70)), u.cpuSystem());
        assertEquals(Optional.of(DataSize.ofMebibytes(64)), u.memoryPeak());
        assertEquals(CgroupUsage.PeakSource.MAX_USAGE_IN_BYTES, u.memoryPeakSource());
        assertEquals(Optional.of(DataSize.ofKibibytes(4)), u.memoryCurrent());
        assertEquals(OptionalLong.of(1), u.oomKills());
        assertEquals(OptionalLong.of(3), u.pidsCurrent());
        assertEquals(OptionalLong.empty(), u.pidsPeak(), "no pids.peak before Linux 6.1");
        assertEquals(List.of(acct.resolve("cgroup.procs"), mem.resolve("cgroup.procs"), pids.resolve("cgroup.procs")),
                cg.procsFiles());
    }

    @Test
    void v2UsageSaysWhenThereIsNoPeak() throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("v2/c"));
        Files.writeString(dir.resolve("cpu.stat"), "usage_usec 2500\nuser_usec 2000\nsystem_usec 500\n");
        Files.writeString(dir.resolve("memory.current"), "8192\n");   // a kernel before 5.19: no memory.peak
        Files.writeString(dir.resolve("memory.events"), "low 0\nhigh 0\nmax 3\noom 1\noom_kill 1\n");
        UsageBuilder usage = UsageBuilder.live();
        V2Units.Cpu.readCpuStat(dir, usage);
        new V2Units.Memory(false).readUsage(dir, usage);
        CgroupUsage u = usage.build();
        assertEquals(Optional.of(Duration.ofMillis(2)), u.cpuUser());
        assertEquals(Optional.of(Duration.ofNanos(2_500_000)), u.cpuTotal());
        assertEquals(Optional.empty(), u.memoryPeak());
        assertEquals(CgroupUsage.PeakSource.UNKNOWN, u.memoryPeakSource());
        assertEquals(OptionalLong.of(1), u.oomKills());
    }

    @Test
    void ownerTagsRoundTripAndOnlyTheirNamesParse() {
        OwnerTag tag = new OwnerTag(4026531836L, 1234, 987654);
        assertEquals(Optional.of(tag), OwnerTag.parse(tag.directoryName()));
        for (String foreign : new String[] {"corral", "jvm-1-2", "jvm-a-1-2", "jvm-1-2-3-4", "xjvm-1-2-3", "_jvm",
                "jvm-1-2-99999999999999999999"}) {
            assertEquals(Optional.empty(), OwnerTag.parse(foreign), foreign);
        }
    }

    @Test
    void counterFilesAreWhatUsageReadsAndTheirContentsGiveTheSameUsage() throws IOException {
        Path mem = Files.createDirectories(tmp.resolve("memory/c"));
        Path acct = Files.createDirectories(tmp.resolve("cpuacct/c"));
        Path pids = Files.createDirectories(tmp.resolve("pids/c"));
        V1Cgroup cg = V1Cgroup.existing("c", Map.of(Controller.MEMORY, mem, Controller.CPUACCT, acct, Controller.PIDS, pids),
                c -> { });
        assertEquals(Set.of(mem.resolve("memory.usage_in_bytes"), mem.resolve("memory.max_usage_in_bytes"),
                mem.resolve("memory.oom_control"), acct.resolve("cpuacct.usage_user"), acct.resolve("cpuacct.usage_sys"),
                pids.resolve("pids.current"), pids.resolve("pids.peak"), pids.resolve("pids.events")), Set.copyOf(cg.counterFiles()),
                "what a kernel with every counter file is read for; not the cpuacct.stat fallback");
        Files.writeString(mem.resolve("memory.usage_in_bytes"), "0\n");
        Files.writeString(mem.resolve("memory.max_usage_in_bytes"), "1048576\n");
        Files.writeString(mem.resolve("memory.oom_control"), "oom_kill_disable 0\nunder_oom 0\noom_kill 2\n");
        Files.writeString(acct.resolve("cpuacct.usage_user"), "3000000\n");
        Files.writeString(acct.resolve("cpuacct.usage_sys"), "1000000\n");
        Files.writeString(pids.resolve("pids.current"), "0\n");
        Files.writeString(pids.resolve("pids.peak"), "5\n");
        Files.writeString(pids.resolve("pids.events"), "max 7\n");
        Map<Path, Optional<String>> read = new java.util.HashMap<>();
        for (Path f : cg.counterFiles()) {
            read.put(f, CgroupFs.readIfExists(f));
        }
        CgroupUsage live = cg.usage();
        assertEquals(live, cg.usage(read));
        assertEquals(OptionalLong.of(2), live.oomKills());
        assertEquals(OptionalLong.of(7), live.pidsLimitHits());
        assertEquals(Optional.of(Duration.ofMillis(4)), live.cpuTotal());

        /* the snapshot wins over the files now; a file it says was missing stays missing; a
           file it lacks is read now */
        Files.writeString(pids.resolve("pids.peak"), "9\n");
        read.put(mem.resolve("memory.max_usage_in_bytes"), Optional.of("2097152"));
        read.put(mem.resolve("memory.oom_control"), Optional.empty());
        read.remove(pids.resolve("pids.peak"));
        CgroupUsage snap = cg.usage(read);
        assertEquals(Optional.of(DataSize.ofMebibytes(2)), snap.memoryPeak());
        assertEquals(OptionalLong.empty(), snap.oomKills());
        assertEquals(OptionalLong.of(9), snap.pidsPeak());
    }

    private Path fixture(String name, String... files) throws IOException {
        Path dir = Files.createDirectories(tmp.resolve(name));
        for (String f : files) {
            Files.createFile(dir.resolve(f));
        }
        return dir;
    }
}
