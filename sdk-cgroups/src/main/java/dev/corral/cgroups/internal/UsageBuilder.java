package dev.corral.cgroups.internal;

import dev.corral.cgroups.CgroupUsage;
import dev.corral.cgroups.DataSize;
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

    /** @return the usage */
    public CgroupUsage build() {
        return new CgroupUsage(Optional.ofNullable(cpuUser), Optional.ofNullable(cpuSystem),
                Optional.ofNullable(memoryCurrent).map(DataSize::ofBytes),
                Optional.ofNullable(memoryPeak).map(DataSize::ofBytes), peakSource, oomKills, pidsCurrent, pidsPeak);
    }
}
