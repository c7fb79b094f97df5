package dev.corral.cgroups.internal;

import dev.corral.cgroups.CgroupUsage;
import dev.corral.cgroups.DataSize;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.OptionalLong;

/** Collects what each controller reports into a {@link CgroupUsage}. */
public final class UsageBuilder {
    Duration cpuUser;
    Duration cpuSystem;
    Long memoryCurrent;
    Long memoryPeak;
    CgroupUsage.PeakSource peakSource = CgroupUsage.PeakSource.UNKNOWN;
    OptionalLong oomKills = OptionalLong.empty();
    OptionalLong pidsCurrent = OptionalLong.empty();
    OptionalLong pidsPeak = OptionalLong.empty();

    /**
     * Reads the memory controller's counters, which v1 and v2 keep under different names.
     *
     * @param current the current usage file
     * @param peak    the peak usage file
     * @param source  what the peak file is, for {@link CgroupUsage#peakSource()}
     * @param events  the keyed file holding {@code oom_kill}
     */
    void readMemory(Path current, Path peak, CgroupUsage.PeakSource source, Path events) {
        CgroupFs.readLong(current).ifPresent(v -> memoryCurrent = v);
        OptionalLong p = CgroupFs.readLong(peak);
        if (p.isPresent()) {
            memoryPeak = p.getAsLong();
            peakSource = source;
        }
        oomKills = CgroupFs.readKey(events, "oom_kill");
    }

    /** @return the usage */
    public CgroupUsage build() {
        return new CgroupUsage(Optional.ofNullable(cpuUser), Optional.ofNullable(cpuSystem),
                Optional.ofNullable(memoryCurrent).map(DataSize::ofBytes),
                Optional.ofNullable(memoryPeak).map(DataSize::ofBytes), peakSource, oomKills, pidsCurrent, pidsPeak);
    }
}
