package dev.corral.cgroups.internal;

import dev.corral.cgroups.Cgroup;
import dev.corral.cgroups.CgroupException;
import dev.corral.cgroups.CgroupLimits;
import dev.corral.cgroups.CgroupVersion;
import dev.corral.cgroups.Controller;
import dev.corral.cgroups.ControllerUnavailableException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;

/** The cgroup v2 driver: one directory in the unified hierarchy. */
public final class V2Cgroup extends AbstractCgroup {

    private final Path dir;
    private final List<ControllerUnit> units;

    private V2Cgroup(String name, Path dir, CgroupLimits limits, List<ControllerUnit> units,
            Set<Controller> unenforced, Consumer<Cgroup> onRemoved) {
        super(name, limits, unenforced, onRemoved);
        this.dir = dir;
        this.units = units;
    }

    /**
     * Creates the cgroup directory and applies the limits; removes the directory again if a
     * limit cannot be written.
     *
     * @param dir the new cgroup's directory; its parent must enable {@code enabled} in
     *     {@code cgroup.subtree_control}
     * @param enabled the controllers enabled for the new cgroup
     * @param unenforced the controllers whose limits are knowingly not applied
     */
    public static V2Cgroup create(String name, Path dir, CgroupLimits limits, Set<Controller> enabled,
            Set<Controller> unenforced, boolean hostHasSwap, Consumer<Cgroup> onRemoved) {
        List<ControllerUnit> units = new ArrayList<>();
        for (Controller c : enabled) {
            ControllerUnit unit = V2Units.of(c, hostHasSwap);
            if (unit != null) {
                units.add(unit);
            }
        }
        if (!CgroupFs.mkdir(dir)) {
            throw new CgroupException("cannot create cgroup " + dir + ": it exists already", dir.toString(), null, null);
        }
        try {
            for (ControllerUnit unit : units) {
                unit.apply(dir, limits);
            }
        } catch (RuntimeException e) {
            CgroupFs.rmdirIfUnused(dir);
            throw e;
        }
        LOG.debug("created cgroup v2 {} with {} (controllers {}, unenforced {})", dir, limits, enabled, unenforced);
        return new V2Cgroup(name, dir, limits, units, unenforced, onRemoved);
    }

    /** @return a handle to an existing cgroup (no limits known), e.g. to remove a stale one */
    public static V2Cgroup existing(String name, Path dir, Consumer<Cgroup> onRemoved) {
        return new V2Cgroup(name, dir, CgroupLimits.none(), List.of(), Set.of(), onRemoved);
    }

    @Override
    public CgroupVersion version() {
        return CgroupVersion.V2;
    }

    @Override
    public List<Path> procsFiles() {
        return List.of(dir.resolve("cgroup.procs"));
    }

    @Override
    List<Path> selfJoinFiles() {
        return procsFiles();
    }

    @Override
    Optional<Path> unifiedDirectory() {
        return Optional.of(dir);
    }

    @Override
    List<Path> directories() {
        return List.of(dir);
    }

    @Override
    boolean populated() {
        if (!Files.isDirectory(dir)) {
            return false;
        }
        return CgroupFs.readKey(dir.resolve("cgroup.events"), "populated").orElse(1) != 0;
    }

    @Override
    void readUsage(UsageBuilder usage) {
        V2Units.Cpu.readCpuStat(dir, usage);
        for (ControllerUnit unit : units) {
            unit.readUsage(dir, usage);
        }
    }

    /** cpu.stat's usage and memory.peak only grow (a write to memory.peak resets it for that open file only). */
    @Override
    boolean canResetCounters(int processFloor, UsageBuilder counters) {
        return false;
    }

    @Override
    List<Path> counterResetFiles() {
        return List.of();
    }

    @Override
    public void freeze() {
        Path freeze = dir.resolve("cgroup.freeze");
        if (!Files.exists(freeze)) {
            throw new ControllerUnavailableException(Controller.FREEZER,
                    "cannot freeze " + dir + ": no cgroup.freeze (Linux 5.2 or later has it)");
        }
        CgroupFs.write(freeze, "1");
        Waits.Backoff backoff = Waits.backoff(Waits.REMOVE_TIMEOUT);
        while (CgroupFs.readKey(dir.resolve("cgroup.events"), "frozen").orElse(0) != 1) {
            if (!backoff.sleep()) {
                throw new CgroupException("cgroup " + dir + " did not freeze within " + Waits.REMOVE_TIMEOUT.toSeconds() + " s");
            }
        }
    }

    @Override
    public void thaw() {
        if (Files.exists(dir.resolve("cgroup.freeze"))) {
            CgroupFs.write(dir.resolve("cgroup.freeze"), "0");
        }
    }

    @Override
    public void kill() {
        if (!Files.isDirectory(dir)) {
            return;
        }
        Path kill = dir.resolve("cgroup.kill");
        if (Files.exists(kill)) {
            CgroupFs.write(kill, "1");
        } else {
            killEach(Files.exists(dir.resolve("cgroup.freeze")));
        }
        awaitEmpty();
    }
}
