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
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;

/** The cgroup v2 controllers, one class each. */
final class V2Units {

    private V2Units() {
    }

    /** @return the unit of {@code controller}, or null if v2 has none for it */
    static ControllerUnit of(Controller controller, boolean hostHasSwap) {
        switch (controller) {
            case MEMORY: return new Memory(hostHasSwap);
            case CPU: return new Cpu();
            case CPUSET: return new Cpuset();
            case PIDS: return new Pids();
            case IO: return new Io();
            default: return null;
        }
    }

    /** memory.max, memory.swap.max; memory.current, memory.peak, memory.events. */
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
            // swap first: memory.swap.max is independent of memory.max on v2
            Path swapMax = dir.resolve("memory.swap.max");
            DataSize swap = limits.swap().orElse(DataSize.ZERO);
            if (Files.exists(swapMax)) {
                CgroupFs.write(swapMax, Long.toString(swap.bytes()));
            } else if (hostHasSwap) {
                throw new ControllerUnavailableException(Controller.MEMORY, "cannot limit swap to " + swap
                        + ": " + swapMax + " does not exist (the kernel has no swap accounting) and this machine has swap");
            }
            CgroupFs.write(dir.resolve("memory.max"), Long.toString(limits.memory().get().bytes()));
        }

        @Override
        public void readUsage(Path dir, UsageBuilder usage) {
            usage.readMemory(dir.resolve("memory.current"), dir.resolve("memory.peak"), CgroupUsage.PeakSource.MEMORY_PEAK,
                    dir.resolve("memory.events"));
        }
    }

    /** cpu.max, cpu.weight (usage comes from cpu.stat, present without the controller). */
    static final class Cpu implements ControllerUnit {
        @Override
        public Controller controller() {
            return Controller.CPU;
        }

        @Override
        public void apply(Path dir, CgroupLimits limits) {
            limits.cpuWeight().ifPresent(w -> CgroupFs.write(dir.resolve("cpu.weight"), Integer.toString(w)));
            limits.cpuQuotaMicros().ifPresent(q ->
                    CgroupFs.write(dir.resolve("cpu.max"), q + " " + limits.cpuPeriodMicros()));
        }

        @Override
        public void readUsage(Path dir, UsageBuilder usage) {
            /* V2Cgroup reads cpu.stat whether or not the controller is enabled */
        }

        static void readCpuStat(Path dir, UsageBuilder usage) {
            Map<String, Long> stat = usage.readKeyed(dir.resolve("cpu.stat"));
            if (stat.containsKey("user_usec")) {
                usage.cpuUser = Duration.ofNanos(stat.get("user_usec") * 1000);
            }
            if (stat.containsKey("system_usec")) {
                usage.cpuSystem = Duration.ofNanos(stat.get("system_usec") * 1000);
            }
        }
    }

    /** cpuset.cpus, cpuset.mems. */
    static final class Cpuset implements ControllerUnit {
        @Override
        public Controller controller() {
            return Controller.CPUSET;
        }

        @Override
        public void apply(Path dir, CgroupLimits limits) {
            limits.cpusetCpus().ifPresent(c -> CpuList.checkWithin("cpuset", c,
                    dir.getParent().resolve("cpuset.cpus.effective")));
            limits.cpusetMems().ifPresent(m -> CpuList.checkWithin("cpuset mems", m,
                    dir.getParent().resolve("cpuset.mems.effective")));
            limits.cpusetMems().ifPresent(m -> CgroupFs.write(dir.resolve("cpuset.mems"), m));
            limits.cpusetCpus().ifPresent(c -> CgroupFs.write(dir.resolve("cpuset.cpus"), c));
        }

        @Override
        public void readUsage(Path dir, UsageBuilder usage) {
        }
    }

    /** pids.max; pids.current, pids.peak (Linux 6.1+): the same files on v1, which uses this unit too. */
    static final class Pids implements ControllerUnit {
        @Override
        public Controller controller() {
            return Controller.PIDS;
        }

        @Override
        public void apply(Path dir, CgroupLimits limits) {
            limits.pids().ifPresent(p -> CgroupFs.write(dir.resolve("pids.max"), Long.toString(p)));
        }

        @Override
        public void readUsage(Path dir, UsageBuilder usage) {
            usage.pidsCurrent = usage.readLong(dir.resolve("pids.current"));
            usage.pidsPeak = usage.readLong(dir.resolve("pids.peak"));
            Long hits = usage.readKeyed(dir.resolve("pids.events")).get("max");
            usage.pidsLimitHits = hits == null ? OptionalLong.empty() : OptionalLong.of(hits);
        }

        /**
         * pids.peak cannot be written, but it is exact for the next user if it is at most the
         * fewest processes that user will hold: its own peak is then the larger. pids.events
         * cannot be written either: a cgroup whose limit refused a fork is not reused.
         */
        @Override
        public boolean canResetCounters(Path dir, int processFloor, UsageBuilder counters) {
            long current = counters.readLong(dir.resolve("pids.current")).orElse(0);
            long peak = counters.readLong(dir.resolve("pids.peak")).orElse(0);
            long hits = counters.readKeyed(dir.resolve("pids.events")).getOrDefault("max", 0L);
            return current == 0 && peak <= processFloor && hits == 0;
        }
    }

    /** io.weight (or io.bfq.weight), io.max. */
    static final class Io implements ControllerUnit {
        @Override
        public Controller controller() {
            return Controller.IO;
        }

        @Override
        public void apply(Path dir, CgroupLimits limits) {
            if (limits.ioWeight().isPresent()) {
                int weight = limits.ioWeight().getAsInt();
                Path file = dir.resolve("io.weight");
                if (Files.exists(file)) {
                    CgroupFs.write(file, "default " + weight);
                } else if (Files.exists(dir.resolve("io.bfq.weight"))) {
                    CgroupFs.write(dir.resolve("io.bfq.weight"), "default " + Math.min(1000, weight));
                } else {
                    throw new ControllerUnavailableException(Controller.IO, "cannot set the I/O weight to " + weight
                            + ": neither io.weight nor io.bfq.weight exists in " + dir
                            + " (the kernel has neither the iocost controller nor the BFQ scheduler)");
                }
            }
            for (String line : ioMaxLines(limits)) {
                CgroupFs.write(dir.resolve("io.max"), line);
            }
        }

        /** @return one {@code io.max} line per device, e.g. {@code 8:0 rbps=1048576 wbps=max} */
        static Set<String> ioMaxLines(CgroupLimits limits) {
            Set<BlockDevice> devices = new LinkedHashSet<>(limits.readBandwidth().keySet());
            devices.addAll(limits.writeBandwidth().keySet());
            Set<String> lines = new LinkedHashSet<>();
            for (BlockDevice d : devices) {
                DataSize r = limits.readBandwidth().get(d);
                DataSize w = limits.writeBandwidth().get(d);
                lines.add(d + " rbps=" + (r == null ? "max" : Long.toString(r.bytes()))
                        + " wbps=" + (w == null ? "max" : Long.toString(w.bytes())));
            }
            return lines;
        }

        @Override
        public void readUsage(Path dir, UsageBuilder usage) {
        }
    }
}
