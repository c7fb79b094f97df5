package dev.corral.cgroups;

import dev.corral.unit.DataSize;
import java.time.Duration;
import java.util.Collections;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The limits of one cgroup: memory and swap, CPU quota and weight, cpuset, pids, I/O. Immutable
 * and validated when built, before any cgroup file is written; absent values are not limited.
 *
 * <p>Swap defaults to none: a memory limit alone also sets {@code memory.swap.max} to 0 (v2) or
 * {@code memory.memsw.limit_in_bytes} to the memory limit (v1), so a limited program cannot page
 * out and run on, as isolate does.
 *
 * <pre>{@code
 * CgroupLimits limits = CgroupLimits.builder()
 *         .memory(DataSize.ofMebibytes(256))   // no swap unless swap(...) is given
 *         .cpus(1.5)                          // cpu.max "150000 100000"
 *         .pids(64)
 *         .cpusetCpus("0-1")
 *         .build();
 * }</pre>
 */
public final class CgroupLimits {

    /** The CPU quota period, as runc and the kernel use by default. */
    public static final Duration DEFAULT_CPU_PERIOD = Duration.ofMillis(100);

    private static final Pattern CPU_LIST = Pattern.compile("\\d+(-\\d+)?(,\\d+(-\\d+)?)*");

    private static final CgroupLimits NONE = new Builder().build();

    private final DataSize memory;
    private final DataSize swap;
    private final Double cpus;
    private final Duration cpuPeriod;
    private final Integer cpuWeight;
    private final String cpusetCpus;
    private final String cpusetMems;
    private final Long pids;
    private final Integer ioWeight;
    private final Map<BlockDevice, DataSize> readBandwidth;
    private final Map<BlockDevice, DataSize> writeBandwidth;
    private final Set<Controller> allowedUnenforced;

    private CgroupLimits(Builder b) {
        memory = b.memory;
        swap = b.memory == null ? null : (b.swap == null ? DataSize.ZERO : b.swap);
        cpus = b.cpus;
        cpuPeriod = b.cpuPeriod;
        cpuWeight = b.cpuWeight;
        cpusetCpus = b.cpusetCpus;
        cpusetMems = b.cpusetMems;
        pids = b.pids;
        ioWeight = b.ioWeight;
        readBandwidth = Collections.unmodifiableMap(new LinkedHashMap<>(b.readBandwidth));
        writeBandwidth = Collections.unmodifiableMap(new LinkedHashMap<>(b.writeBandwidth));
        allowedUnenforced = Collections.unmodifiableSet(b.allowedUnenforced.isEmpty()
                ? EnumSet.noneOf(Controller.class) : EnumSet.copyOf(b.allowedUnenforced));
    }

    /** @return a new builder with nothing limited */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * @return a builder holding these limits, to change some of them
     *
     * <pre>{@code
     * CgroupLimits more = limits.toBuilder().pids(128).build();
     * }</pre>
     */
    public Builder toBuilder() {
        Builder b = new Builder();
        b.memory = memory;
        b.swap = memory == null || DataSize.ZERO.equals(swap) ? null : swap;
        b.cpus = cpus;
        b.cpuPeriod = cpuPeriod;
        b.cpuWeight = cpuWeight;
        b.cpusetCpus = cpusetCpus;
        b.cpusetMems = cpusetMems;
        b.pids = pids;
        b.ioWeight = ioWeight;
        b.readBandwidth.putAll(readBandwidth);
        b.writeBandwidth.putAll(writeBandwidth);
        b.allowedUnenforced.addAll(allowedUnenforced);
        return b;
    }

    /** @return limits that limit nothing (the cgroup still meters and can be killed) */
    public static CgroupLimits none() {
        return NONE;
    }

    /** @return the memory limit ({@code memory.max}, {@code memory.limit_in_bytes}) */
    public Optional<DataSize> memory() {
        return Optional.ofNullable(memory);
    }

    /** @return the swap allowed on top of {@link #memory()}; zero by default when memory is limited */
    public Optional<DataSize> swap() {
        return Optional.ofNullable(swap);
    }

    /** @return the CPU quota in CPUs (1.5 = one and a half CPUs' worth of time per period) */
    public OptionalDouble cpus() {
        return cpus == null ? OptionalDouble.empty() : OptionalDouble.of(cpus);
    }

    /** @return the period over which {@link #cpus()} is enforced */
    public Duration cpuPeriod() {
        return cpuPeriod;
    }

    /** @return the CPU weight, 1 to 10000 on the v2 scale (100 is the kernel's default) */
    public OptionalInt cpuWeight() {
        return cpuWeight == null ? OptionalInt.empty() : OptionalInt.of(cpuWeight);
    }

    /** @return the CPUs allowed, as a kernel CPU list such as {@code 0-1,3} */
    public Optional<String> cpusetCpus() {
        return Optional.ofNullable(cpusetCpus);
    }

    /** @return the memory nodes allowed, as a kernel list such as {@code 0} */
    public Optional<String> cpusetMems() {
        return Optional.ofNullable(cpusetMems);
    }

    /** @return the most processes and threads at a time */
    public OptionalLong pids() {
        return pids == null ? OptionalLong.empty() : OptionalLong.of(pids);
    }

    /** @return the I/O weight, 1 to 10000 on the v2 scale (100 is the kernel's default) */
    public OptionalInt ioWeight() {
        return ioWeight == null ? OptionalInt.empty() : OptionalInt.of(ioWeight);
    }

    /** @return read bandwidth limits per device, in bytes per second */
    public Map<BlockDevice, DataSize> readBandwidth() {
        return readBandwidth;
    }

    /** @return write bandwidth limits per device, in bytes per second */
    public Map<BlockDevice, DataSize> writeBandwidth() {
        return writeBandwidth;
    }

    /** @return the controllers whose limits may go unenforced where they are unavailable */
    public Set<Controller> allowedUnenforced() {
        return allowedUnenforced;
    }

    /** @return the controllers these limits need */
    public Set<Controller> requiredControllers() {
        Set<Controller> needed = EnumSet.noneOf(Controller.class);
        if (memory != null) {
            needed.add(Controller.MEMORY);
        }
        if (cpus != null || cpuWeight != null) {
            needed.add(Controller.CPU);
        }
        if (cpusetCpus != null || cpusetMems != null) {
            needed.add(Controller.CPUSET);
        }
        if (pids != null) {
            needed.add(Controller.PIDS);
        }
        if (ioWeight != null || !readBandwidth.isEmpty() || !writeBandwidth.isEmpty()) {
            needed.add(Controller.IO);
        }
        return needed;
    }

    /**
     * @return the CPU quota per {@link #cpuPeriod()} in microseconds, as written to
     *     {@code cpu.max} and {@code cpu.cfs_quota_us}
     */
    public OptionalLong cpuQuotaMicros() {
        if (cpus == null) {
            return OptionalLong.empty();
        }
        return OptionalLong.of(Math.max(1000, Math.round(cpus * cpuPeriodMicros())));
    }

    /** @return {@link #cpuPeriod()} in microseconds */
    public long cpuPeriodMicros() {
        return cpuPeriod.toNanos() / 1000;
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof CgroupLimits)) {
            return false;
        }
        CgroupLimits l = (CgroupLimits) o;
        return Objects.equals(memory, l.memory) && Objects.equals(swap, l.swap) && Objects.equals(cpus, l.cpus)
                && cpuPeriod.equals(l.cpuPeriod) && Objects.equals(cpuWeight, l.cpuWeight)
                && Objects.equals(cpusetCpus, l.cpusetCpus) && Objects.equals(cpusetMems, l.cpusetMems)
                && Objects.equals(pids, l.pids) && Objects.equals(ioWeight, l.ioWeight)
                && readBandwidth.equals(l.readBandwidth) && writeBandwidth.equals(l.writeBandwidth)
                && allowedUnenforced.equals(l.allowedUnenforced);
    }

    @Override
    public int hashCode() {
        return Objects.hash(memory, swap, cpus, cpuPeriod, cpuWeight, cpusetCpus, cpusetMems, pids, ioWeight,
                readBandwidth, writeBandwidth, allowedUnenforced);
    }

    @Override
    public String toString() {
        StringBuilder s = new StringBuilder("CgroupLimits[");
        memory().ifPresent(v -> s.append("memory=").append(v).append(" swap=").append(swap).append(' '));
        cpus().ifPresent(v -> s.append("cpus=").append(v).append(" period=").append(cpuPeriod).append(' '));
        cpuWeight().ifPresent(v -> s.append("cpuWeight=").append(v).append(' '));
        cpusetCpus().ifPresent(v -> s.append("cpusetCpus=").append(v).append(' '));
        cpusetMems().ifPresent(v -> s.append("cpusetMems=").append(v).append(' '));
        pids().ifPresent(v -> s.append("pids=").append(v).append(' '));
        ioWeight().ifPresent(v -> s.append("ioWeight=").append(v).append(' '));
        if (!readBandwidth.isEmpty()) {
            s.append("read=").append(readBandwidth).append(' ');
        }
        if (!writeBandwidth.isEmpty()) {
            s.append("write=").append(writeBandwidth).append(' ');
        }
        if (!allowedUnenforced.isEmpty()) {
            s.append("allowUnenforced=").append(allowedUnenforced).append(' ');
        }
        return s.toString().strip() + "]";
    }

    /**
     * Builds {@link CgroupLimits}; {@link #build()} checks every value and the combination.
     *
     * <pre>{@code
     * CgroupLimits l = CgroupLimits.builder().memory(DataSize.parse("64m")).pids(32).build();
     * }</pre>
     */
    public static final class Builder {
        private DataSize memory;
        private DataSize swap;
        private Double cpus;
        private Duration cpuPeriod = DEFAULT_CPU_PERIOD;
        private Integer cpuWeight;
        private String cpusetCpus;
        private String cpusetMems;
        private Long pids;
        private Integer ioWeight;
        private final Map<BlockDevice, DataSize> readBandwidth = new LinkedHashMap<>();
        private final Map<BlockDevice, DataSize> writeBandwidth = new LinkedHashMap<>();
        private final Set<Controller> allowedUnenforced = EnumSet.noneOf(Controller.class);

        private Builder() {
        }

        /**
         * @param memory the most memory (anonymous, page cache, kernel) the cgroup may use;
         *     at least 1 MiB
         * @return this builder
         */
        public Builder memory(DataSize memory) {
            this.memory = Objects.requireNonNull(memory, "memory");
            return this;
        }

        /**
         * @param swap the swap allowed on top of the memory limit (default: none); needs
         *     {@link #memory(DataSize)}
         * @return this builder
         */
        public Builder swap(DataSize swap) {
            this.swap = Objects.requireNonNull(swap, "swap");
            return this;
        }

        /**
         * @param cpus CPU time per period, in CPUs: 0.5 is half of one CPU, 2 is two whole CPUs;
         *     at least 0.01
         * @return this builder
         */
        public Builder cpus(double cpus) {
            this.cpus = cpus;
            return this;
        }

        /**
         * @param period the period of the CPU quota, 1 ms to 1 s (default 100 ms)
         * @return this builder
         */
        public Builder cpuPeriod(Duration period) {
            this.cpuPeriod = Objects.requireNonNull(period, "period");
            return this;
        }

        /**
         * @param weight the CPU weight against sibling cgroups, 1 to 10000 (default 100);
         *     converted to {@code cpu.shares} on v1
         * @return this builder
         */
        public Builder cpuWeight(int weight) {
            this.cpuWeight = weight;
            return this;
        }

        /**
         * @param cpus the CPUs allowed, as a kernel list: {@code 0}, {@code 0-3}, {@code 0,2-3}
         * @return this builder
         */
        public Builder cpusetCpus(String cpus) {
            this.cpusetCpus = Objects.requireNonNull(cpus, "cpus");
            return this;
        }

        /**
         * @param mems the memory (NUMA) nodes allowed, as a kernel list such as {@code 0}
         * @return this builder
         */
        public Builder cpusetMems(String mems) {
            this.cpusetMems = Objects.requireNonNull(mems, "mems");
            return this;
        }

        /**
         * @param pids the most processes and threads at a time, at least 1
         * @return this builder
         */
        public Builder pids(long pids) {
            this.pids = pids;
            return this;
        }

        /**
         * @param weight the I/O weight against sibling cgroups, 1 to 10000 (default 100);
         *     converted to the v1 {@code blkio} scale (10 to 1000)
         * @return this builder
         */
        public Builder ioWeight(int weight) {
            this.ioWeight = weight;
            return this;
        }

        /**
         * @param device the block device
         * @param perSecond the most bytes per second read from it, at least 1 byte
         * @return this builder
         */
        public Builder readBandwidth(BlockDevice device, DataSize perSecond) {
            readBandwidth.put(Objects.requireNonNull(device, "device"), Objects.requireNonNull(perSecond, "perSecond"));
            return this;
        }

        /**
         * @param device the block device
         * @param perSecond the most bytes per second written to it, at least 1 byte
         * @return this builder
         */
        public Builder writeBandwidth(BlockDevice device, DataSize perSecond) {
            writeBandwidth.put(Objects.requireNonNull(device, "device"), Objects.requireNonNull(perSecond, "perSecond"));
            return this;
        }

        /**
         * Lets the limits of these controllers go unenforced where the controller is not
         * available (rootless without delegation, a kernel without it). Without this, an
         * unavailable controller is a {@link ControllerUnavailableException}; with it, the cgroup
         * reports the controller in {@link Cgroup#unenforced()}.
         *
         * @param controllers the controllers that may be missing
         * @return this builder
         */
        public Builder allowUnenforced(Controller... controllers) {
            for (Controller c : controllers) {
                allowedUnenforced.add(Objects.requireNonNull(c, "controller"));
            }
            return this;
        }

        /**
         * @return the validated limits
         * @throws IllegalArgumentException naming the field and the accepted range
         */
        public CgroupLimits build() {
            if (memory != null && memory.bytes() < (1L << 20)) {
                throw new IllegalArgumentException("memory must be at least 1MiB, was " + memory);
            }
            if (swap != null && memory == null) {
                throw new IllegalArgumentException("swap needs a memory limit: swap is allowed on top of memory(...)");
            }
            if (swap != null && Math.addExact(swap.bytes(), memory.bytes()) < 0) {
                throw new IllegalArgumentException("memory + swap overflow: " + memory + " + " + swap);
            }
            if (cpus != null && !(cpus >= 0.01 && cpus <= 1_000_000)) {
                throw new IllegalArgumentException("cpus must be between 0.01 and 1000000, was " + cpus);
            }
            if (cpuPeriod.compareTo(Duration.ofMillis(1)) < 0 || cpuPeriod.compareTo(Duration.ofSeconds(1)) > 0) {
                throw new IllegalArgumentException("cpuPeriod must be between 1ms and 1s, was " + cpuPeriod);
            }
            checkWeight("cpuWeight", cpuWeight);
            checkWeight("ioWeight", ioWeight);
            checkList("cpusetCpus", cpusetCpus);
            checkList("cpusetMems", cpusetMems);
            if (pids != null && pids < 1) {
                throw new IllegalArgumentException("pids must be at least 1, was " + pids);
            }
            checkBandwidth("readBandwidth", readBandwidth);
            checkBandwidth("writeBandwidth", writeBandwidth);
            return new CgroupLimits(this);
        }

        private static void checkWeight(String field, Integer weight) {
            if (weight != null && (weight < 1 || weight > 10_000)) {
                throw new IllegalArgumentException(field + " must be between 1 and 10000, was " + weight);
            }
        }

        private static void checkList(String field, String list) {
            if (list == null) {
                return;
            }
            if (!CPU_LIST.matcher(list).matches()) {
                throw new IllegalArgumentException(field + " must be a kernel list such as 0-3,5, was '" + list + "'");
            }
            for (String range : list.split(",")) {
                String[] ends = range.split("-");
                if (ends.length == 2 && Long.parseLong(ends[0]) > Long.parseLong(ends[1])) {
                    throw new IllegalArgumentException(field + " has a range that runs backwards, " + range + ", in '" + list + "'");
                }
            }
        }

        private static void checkBandwidth(String field, Map<BlockDevice, DataSize> limits) {
            limits.forEach((device, perSecond) -> {
                if (perSecond.bytes() < 1) {
                    throw new IllegalArgumentException(field + " for " + device + " must be at least 1 byte per second");
                }
            });
        }
    }
}
