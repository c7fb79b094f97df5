package dev.corral.cgroups.internal;

import dev.corral.cgroups.CgroupUsage;
import dev.corral.unit.DataSize;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.function.Function;

/**
 * Collects what each controller reports into a {@link CgroupUsage}, from the counter files as
 * they are now, or as a caller read them earlier.
 */
public final class UsageBuilder {
    Duration cpuUser;
    Duration cpuSystem;
    Long memoryCurrent;
    Long memoryPeak;
    CgroupUsage.PeakSource peakSource = CgroupUsage.PeakSource.UNKNOWN;
    OptionalLong oomKills = OptionalLong.empty();
    OptionalLong pidsCurrent = OptionalLong.empty();
    OptionalLong pidsPeak = OptionalLong.empty();
    OptionalLong pidsLimitHits = OptionalLong.empty();
    private final Function<Path, Optional<String>> files;

    private UsageBuilder(Function<Path, Optional<String>> files) {
        this.files = files;
    }

    /** @return a builder that reads the counter files now */
    static UsageBuilder live() {
        return new UsageBuilder(CgroupFs::readIfExists);
    }

    /**
     * @param read files as a caller read them (empty: did not exist); others are read now
     * @return a builder that reads those
     */
    static UsageBuilder of(Map<Path, Optional<String>> read) {
        return new UsageBuilder(file -> {
            Optional<String> text = read.get(file);
            return text != null ? text : CgroupFs.readIfExists(file);
        });
    }

    /**
     * @param into where the files asked for go
     * @return a builder that notes the files it is asked for and finds each holding "0": the
     *     files a kernel with every counter file reads
     */
    static UsageBuilder recording(List<Path> into) {
        return new UsageBuilder(file -> {
            if (!into.contains(file)) {
                into.add(file);
            }
            return Optional.of("0");
        });
    }

    /** @return the files {@code reader} asks a recording builder for */
    static List<Path> filesRead(java.util.function.Consumer<UsageBuilder> reader) {
        List<Path> files = new ArrayList<>();
        reader.accept(recording(files));
        return List.copyOf(files);
    }

    /** @return a file's text without the trailing newline, if it exists */
    Optional<String> read(Path file) {
        return files.apply(file);
    }

    /** @return a file holding one number, if it exists */
    OptionalLong readLong(Path file) {
        return CgroupFs.parseLong(file, read(file));
    }

    /** @return a flat keyed file's numbers; none if it does not exist */
    Map<String, Long> readKeyed(Path file) {
        return read(file).map(CgroupFs::parseKeyed).orElse(Map.of());
    }

    /**
     * Reads the memory controller's counters, which v1 and v2 keep under different names.
     *
     * @param current the current usage file
     * @param peak    the peak usage file
     * @param source  what the peak file is, for {@link CgroupUsage#peakSource()}
     * @param events  the keyed file holding {@code oom_kill}
     */
    void readMemory(Path current, Path peak, CgroupUsage.PeakSource source, Path events) {
        readLong(current).ifPresent(v -> memoryCurrent = v);
        OptionalLong p = readLong(peak);
        if (p.isPresent()) {
            memoryPeak = p.getAsLong();
            peakSource = source;
        }
        Long kills = readKeyed(events).get("oom_kill");
        oomKills = kills == null ? OptionalLong.empty() : OptionalLong.of(kills);
    }

    /** @return the usage */
    public CgroupUsage build() {
        return new CgroupUsage(Optional.ofNullable(cpuUser), Optional.ofNullable(cpuSystem),
                Optional.ofNullable(memoryCurrent).map(DataSize::ofBytes),
                Optional.ofNullable(memoryPeak).map(DataSize::ofBytes), peakSource, oomKills, pidsCurrent, pidsPeak,
                pidsLimitHits);
    }
}
