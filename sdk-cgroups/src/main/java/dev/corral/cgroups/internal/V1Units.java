package dev.corral.cgroups.internal;

import dev.corral.cgroups.BlockDevice;
import dev.corral.cgroups.CgroupLimits;
import dev.corral.cgroups.CgroupUsage;
import dev.corral.cgroups.Controller;
import dev.corral.cgroups.ControllerUnavailableException;
import dev.corral.unit.DataSize;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;

/** The cgroup v1 controllers, one class each; each works in its own hierarchy's directory. */
final class V1Units {

    /** USER_HZ: the unit of cpuacct.stat, 100 on every Linux architecture's ABI. */
    static final long USER_HZ = 100;

    /**
     * What a memory cgroup may still be charged with, once its processes are gone, and be reused
     * as new: the kernel charges a cgroup 64 pages at a time per CPU and keeps what a process
     * did not use for the next charge on that CPU, so a new cgroup's peak already overstates by
     * up to that much; and it frees the kernel objects of an exited process (its stack, page
     * tables, task) one RCU grace period later, 128 KiB at most for a small one. More than that
     * is memory of the last user's still charged (page cache, kernel objects): not reused.
     */
    static final long MEMORY_LEFT_FOR_REUSE = 64L * 4096 * Runtime.getRuntime().availableProcessors() + 128 * 1024;

    private V1Units() {
    }

    /** @return the unit of {@code controller} */
    static ControllerUnit of(Controller controller, boolean hostHasSwap) {
        switch (controller) {
            case MEMORY: return new Memory(hostHasSwap);
            case CPU: return new Cpu();
            case CPUACCT: return new Cpuacct();
            case CPUSET: return new Cpuset();
            case PIDS: return new V2Units.Pids(); /* the same files in both versions */
            case IO: return new Blkio();
            case FREEZER: return new Freezer();
            default: throw new IllegalArgumentException(controller.toString());
        }
    }

    /** The v1 cpu.shares for a v2 weight: 100 (the default) is 1024, as systemd converts. */
    static long sharesOfWeight(int weight) {
        return Math.max(2, Math.min(262_144, Math.round(weight * 1024.0 / 100)));
    }

    /** memory.limit_in_bytes, memory.memsw.limit_in_bytes; usage, max usage, oom_control. */
    static final class Memory implements ControllerUnit {
        private final boolean hostHasSwap;

        Memory(boolean hostHasSwap) {
            this.hostHasSwap = hostHasSwap;
        }

        @Override
        public Controller controller() {
            return Controller.MEMORY;
        }

        @Override
        public void apply(Path dir, CgroupLimits limits) {
            if (limits.memory().isEmpty()) {
                return;
            }
            DataSize memory = limits.memory().get();
            DataSize swap = limits.swap().orElse(DataSize.ZERO);
            // memsw must never be below the memory limit: in a new cgroup both are unlimited,
            // so the memory limit goes first
            CgroupFs.write(dir.resolve("memory.limit_in_bytes"), Long.toString(memory.bytes()));
            Path memsw = dir.resolve("memory.memsw.limit_in_bytes");
            if (Files.exists(memsw)) {
                CgroupFs.write(memsw, Long.toString(memory.bytes() + swap.bytes()));
            } else if (hostHasSwap) {
                throw new ControllerUnavailableException(Controller.MEMORY, "cannot limit swap to " + swap + ": " + memsw
                        + " does not exist (boot with swapaccount=1) and this machine has swap");
            }
        }

        @Override
        public void readUsage(Path dir, UsageBuilder usage) {
            usage.readMemory(dir.resolve("memory.usage_in_bytes"), dir.resolve("memory.max_usage_in_bytes"),
                    CgroupUsage.PeakSource.MAX_USAGE_IN_BYTES, dir.resolve("memory.oom_control"));
        }

        /** Not after an OOM kill (its count only grows), nor with more left charged than a new cgroup's first charge. */
        @Override
        public boolean canResetCounters(Path dir, int processFloor, UsageBuilder counters) {
            Map<String, Long> oom = counters.readKeyed(dir.resolve("memory.oom_control"));
            long charged = counters.readLong(dir.resolve("memory.usage_in_bytes")).orElse(Long.MAX_VALUE);
            return oom.getOrDefault("oom_kill", 0L) == 0 && oom.getOrDefault("under_oom", 0L) == 0
                    && charged <= MEMORY_LEFT_FOR_REUSE;
        }

        /** The peak becomes what is charged now. */
        @Override
        public List<Path> counterResetFiles(Path dir) {
            return List.of(dir.resolve("memory.max_usage_in_bytes"));
        }
    }

    /** cpu.cfs_period_us, cpu.cfs_quota_us, cpu.shares. */
    static final class Cpu implements ControllerUnit {
        @Override
        public Controller controller() {
            return Controller.CPU;
        }

        @Override
        public void apply(Path dir, CgroupLimits limits) {
            limits.cpuWeight().ifPresent(w -> CgroupFs.write(dir.resolve("cpu.shares"), Long.toString(sharesOfWeight(w))));
            if (limits.cpuQuotaMicros().isPresent()) {
                CgroupFs.write(dir.resolve("cpu.cfs_period_us"), Long.toString(limits.cpuPeriodMicros()));
                CgroupFs.write(dir.resolve("cpu.cfs_quota_us"), Long.toString(limits.cpuQuotaMicros().getAsLong()));
            }
        }

        @Override
        public void readUsage(Path dir, UsageBuilder usage) {
        }
    }

    /** cpuacct.usage_user and usage_sys (ns), else cpuacct.stat (USER_HZ ticks). */
    static final class Cpuacct implements ControllerUnit {
        @Override
        public Controller controller() {
            return Controller.CPUACCT;
        }

        @Override
        public void apply(Path dir, CgroupLimits limits) {
        }

        @Override
        public void readUsage(Path dir, UsageBuilder usage) {
            OptionalLong user = usage.readLong(dir.resolve("cpuacct.usage_user"));
            OptionalLong sys = usage.readLong(dir.resolve("cpuacct.usage_sys"));
            if (user.isPresent() && sys.isPresent()) {
                usage.cpuUser = Duration.ofNanos(user.getAsLong());
                usage.cpuSystem = Duration.ofNanos(sys.getAsLong());
                return;
            }
            Map<String, Long> ticks = usage.readKeyed(dir.resolve("cpuacct.stat"));
            if (ticks.containsKey("user") || ticks.containsKey("system")) {
                usage.cpuUser = Duration.ofMillis(ticks.getOrDefault("user", 0L) * 1000 / USER_HZ);
                usage.cpuSystem = Duration.ofMillis(ticks.getOrDefault("system", 0L) * 1000 / USER_HZ);
            }
        }

        /**
         * Only where usage_user and usage_sys exist (Linux 4.7 on, both at once): a write of 0 to
         * cpuacct.usage zeroes them, not cpuacct.stat.
         */
        @Override
        public boolean canResetCounters(Path dir, int processFloor, UsageBuilder counters) {
            return counters.read(dir.resolve("cpuacct.usage_user")).isPresent();
        }

        @Override
        public List<Path> counterResetFiles(Path dir) {
            return List.of(dir.resolve("cpuacct.usage"));
        }
    }

    /** cpuset.cpus, cpuset.mems: a new v1 cpuset is empty, so it inherits its parent's first. */
    static final class Cpuset implements ControllerUnit {
        @Override
        public Controller controller() {
            return Controller.CPUSET;
        }

        @Override
        public void apply(Path dir, CgroupLimits limits) {
            limits.cpusetCpus().ifPresent(c -> CpuList.checkWithin("cpuset", c, dir.getParent().resolve("cpuset.cpus")));
            limits.cpusetMems().ifPresent(m -> CpuList.checkWithin("cpuset mems", m, dir.getParent().resolve("cpuset.mems")));
            CgroupFs.write(dir.resolve("cpuset.mems"),
                    limits.cpusetMems().orElseGet(() -> CgroupFs.read(dir.getParent().resolve("cpuset.mems"))));
            CgroupFs.write(dir.resolve("cpuset.cpus"),
                    limits.cpusetCpus().orElseGet(() -> CgroupFs.read(dir.getParent().resolve("cpuset.cpus"))));
        }

        @Override
        public void readUsage(Path dir, UsageBuilder usage) {
        }
    }

    /** blkio.weight (CFQ) or blkio.bfq.weight (BFQ), blkio.throttle.{read,write}_bps_device. */
    static final class Blkio implements ControllerUnit {
        @Override
        public Controller controller() {
            return Controller.IO;
        }

        @Override
        public void apply(Path dir, CgroupLimits limits) {
            if (limits.ioWeight().isPresent()) {
                int weight = limits.ioWeight().getAsInt();
                if (Files.exists(dir.resolve("blkio.weight"))) {
                    // CFQ: 10..1000, default 500
                    CgroupFs.write(dir.resolve("blkio.weight"), Integer.toString(Math.max(10, Math.min(1000, weight * 5))));
                } else if (Files.exists(dir.resolve("blkio.bfq.weight"))) {
                    // BFQ: 1..1000, default 100, the v2 scale cut at 1000
                    CgroupFs.write(dir.resolve("blkio.bfq.weight"), Integer.toString(Math.min(1000, weight)));
                } else {
                    throw new ControllerUnavailableException(Controller.IO, "cannot set the I/O weight to " + weight
                            + ": neither blkio.weight nor blkio.bfq.weight exists in " + dir
                            + " (no CFQ or BFQ I/O scheduler)");
                }
            }
            throttle(dir.resolve("blkio.throttle.read_bps_device"), limits.readBandwidth());
            throttle(dir.resolve("blkio.throttle.write_bps_device"), limits.writeBandwidth());
        }

        private static void throttle(Path file, Map<BlockDevice, DataSize> limits) {
            limits.forEach((device, perSecond) -> CgroupFs.write(file, device + " " + perSecond.bytes()));
        }

        @Override
        public void readUsage(Path dir, UsageBuilder usage) {
        }
    }

    /** freezer.state: no limits, no counters; used to freeze and to kill. */
    static final class Freezer implements ControllerUnit {
        @Override
        public Controller controller() {
            return Controller.FREEZER;
        }

        @Override
        public void apply(Path dir, CgroupLimits limits) {
        }

        @Override
        public void readUsage(Path dir, UsageBuilder usage) {
        }

        /** A frozen cgroup (paused, never resumed) would freeze its next processes. */
        @Override
        public boolean canResetCounters(Path dir, int processFloor, UsageBuilder counters) {
            return counters.read(dir.resolve("freezer.state")).orElse("").equals("THAWED");
        }
    }
}
