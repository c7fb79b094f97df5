package dev.corral.cgroups;

import dev.corral.unit.DataSize;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.Optional;
import java.util.Set;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.DoubleRange;
import org.junit.jupiter.api.Test;

class CgroupLimitsTest {

    @Test
    void memoryAloneMeansNoSwap() {
        CgroupLimits l = CgroupLimits.builder().memory(DataSize.ofMebibytes(64)).build();
        assertEquals(Optional.of(DataSize.ZERO), l.swap());
        assertEquals(Set.of(Controller.MEMORY), l.requiredControllers());
        assertEquals(Optional.of(DataSize.ofMebibytes(16)),
                CgroupLimits.builder().memory(DataSize.ofMebibytes(64)).swap(DataSize.ofMebibytes(16)).build().swap());
    }

    @Test
    void invalidValuesAreRefusedNamingTheField() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> CgroupLimits.builder().swap(DataSize.ofMebibytes(1)).build());
        assertTrue(e.getMessage().contains("swap needs a memory limit"), e.getMessage());
        assertField("memory", () -> CgroupLimits.builder().memory(DataSize.ofKibibytes(4)).build());
        assertField("cpus", () -> CgroupLimits.builder().cpus(0).build());
        assertField("cpus", () -> CgroupLimits.builder().cpus(Double.NaN).build());
        assertField("cpuPeriod", () -> CgroupLimits.builder().cpus(1).cpuPeriod(Duration.ofSeconds(2)).build());
        assertField("cpuWeight", () -> CgroupLimits.builder().cpuWeight(0).build());
        assertField("ioWeight", () -> CgroupLimits.builder().ioWeight(10_001).build());
        assertField("pids", () -> CgroupLimits.builder().pids(0).build());
        assertField("cpusetCpus", () -> CgroupLimits.builder().cpusetCpus("0-").build());
        assertField("cpusetCpus", () -> CgroupLimits.builder().cpusetCpus("3-1").build());
        assertField("cpusetMems", () -> CgroupLimits.builder().cpusetMems("a").build());
        assertField("readBandwidth", () -> CgroupLimits.builder()
                .readBandwidth(new BlockDevice(8, 0), DataSize.ZERO).build());
    }

    private static void assertField(String field, org.junit.jupiter.api.function.Executable build) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, build);
        assertTrue(e.getMessage().startsWith(field + " "), e.getMessage());
    }

    @Test
    void cpuQuotaIsPerPeriod() {
        CgroupLimits l = CgroupLimits.builder().cpus(1.5).build();
        assertEquals(150_000, l.cpuQuotaMicros().getAsLong());
        assertEquals(100_000, l.cpuPeriodMicros());
        CgroupLimits short_ = CgroupLimits.builder().cpus(0.5).cpuPeriod(Duration.ofMillis(10)).build();
        assertEquals(5_000, short_.cpuQuotaMicros().getAsLong());
        assertEquals(Set.of(Controller.CPU), l.requiredControllers());
    }

    @Property
    void cpuQuotaMatchesTheFractionAsTheKernelRoundsIt(@ForAll @DoubleRange(min = 0.01, max = 64) double cpus) {
        CgroupLimits l = CgroupLimits.builder().cpus(cpus).build();
        long quota = l.cpuQuotaMicros().getAsLong();
        assertTrue(quota >= 1000, "the kernel refuses quotas under 1 ms");
        assertTrue(Math.abs(quota - cpus * 100_000) <= 0.5 || quota == 1000, cpus + " -> " + quota);
    }

    @Test
    void everyControllerIsNamedByTheLimitsThatNeedIt() {
        CgroupLimits l = CgroupLimits.builder().cpuWeight(200).cpusetCpus("0").cpusetMems("0").pids(10)
                .writeBandwidth(new BlockDevice(254, 0), DataSize.ofMebibytes(1)).build();
        assertEquals(Set.of(Controller.CPU, Controller.CPUSET, Controller.PIDS, Controller.IO), l.requiredControllers());
        assertEquals(Set.of(), CgroupLimits.none().requiredControllers());
        assertEquals(l, CgroupLimits.builder().cpuWeight(200).cpusetCpus("0").cpusetMems("0").pids(10)
                .writeBandwidth(new BlockDevice(254, 0), DataSize.ofMebibytes(1)).build());
    }
}
