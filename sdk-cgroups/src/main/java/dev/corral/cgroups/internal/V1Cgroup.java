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
import java.util.Collections;
import java.util.EnumMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;

/** The cgroup v1 driver: one directory per hierarchy in use (co-mounted controllers share one). */
public final class V1Cgroup extends AbstractCgroup {

    private final Map<Controller, Path> dirs;
    private final List<Path> distinctDirs;
    private final List<ControllerUnit> units;
    private final List<Path> counterResetFiles;

    private V1Cgroup(String name, Map<Controller, Path> dirs, CgroupLimits limits, List<ControllerUnit> units,
            Set<Controller> unenforced, Consumer<Cgroup> onRemoved) {
        super(name, limits, unenforced, onRemoved);
        this.dirs = Collections.unmodifiableMap(new EnumMap<>(dirs));
        this.distinctDirs = List.copyOf(new LinkedHashSet<>(this.dirs.values()));
        this.units = units;
        List<Path> resets = new ArrayList<>();
        for (ControllerUnit unit : units) {
            resets.addAll(unit.counterResetFiles(this.dirs.get(unit.controller())));
        }
        this.counterResetFiles = List.copyOf(resets);
    }

    /**
     * Creates one directory per hierarchy and applies the limits; removes what it created if a
     * limit cannot be written.
     *
     * @param dirs the new cgroup's directory for each controller it uses
     * @param unenforced the controllers whose limits are knowingly not applied
     */
    public static V1Cgroup create(String name, Map<Controller, Path> dirs, CgroupLimits limits,
            Set<Controller> unenforced, boolean hostHasSwap, Consumer<Cgroup> onRemoved) {
        List<ControllerUnit> units = new ArrayList<>();
        for (Controller c : dirs.keySet()) {
            units.add(V1Units.of(c, hostHasSwap));
        }
        List<Path> created = new ArrayList<>();
        try {
            for (Path dir : new LinkedHashSet<>(dirs.values())) {
                if (!CgroupFs.mkdir(dir)) {
                    throw new CgroupException("cannot create cgroup " + dir + ": it exists already", dir.toString(), null, null);
                }
                created.add(dir);
            }
            for (ControllerUnit unit : units) {
                unit.apply(dirs.get(unit.controller()), limits);
            }
        } catch (RuntimeException e) {
            for (Path dir : created) {
                CgroupFs.rmdirIfUnused(dir);
            }
            throw e;
        }
        LOG.debug("created cgroup v1 {} with {} (unenforced {})", dirs, limits, unenforced);
        return new V1Cgroup(name, dirs, limits, units, unenforced, onRemoved);
    }

    /** @return a handle to an existing cgroup (no limits known), e.g. to remove a stale one */
    public static V1Cgroup existing(String name, Map<Controller, Path> dirs, Consumer<Cgroup> onRemoved) {
        List<ControllerUnit> units = new ArrayList<>();
        for (Controller c : dirs.keySet()) {
            units.add(V1Units.of(c, false));
        }
        return new V1Cgroup(name, dirs, CgroupLimits.none(), units, Set.of(), onRemoved);
    }

    @Override
    public CgroupVersion version() {
        return CgroupVersion.V1;
    }

    @Override
    public List<Path> procsFiles() {
        return inEachHierarchy("cgroup.procs");
    }

    @Override
    List<Path> selfJoinFiles() {
        return inEachHierarchy("tasks");
    }

    /** @return {@code file} in this cgroup's directory of each hierarchy */
    private List<Path> inEachHierarchy(String file) {
        return distinctDirs.stream().map(dir -> dir.resolve(file)).toList();
    }

    @Override
    Optional<Path> unifiedDirectory() {
        return Optional.empty();
    }

    @Override
    List<Path> directories() {
        return distinctDirs;
    }

    @Override
    void readUsage(UsageBuilder usage) {
        for (ControllerUnit unit : units) {
            unit.readUsage(dirs.get(unit.controller()), usage);
        }
    }

    /**
     * Empty (pids.current, which counts every process below, else each hierarchy's
     * cgroup.procs) and every controller able to set its counters back. Every controller is
     * asked, so that a recording reader learns every file the answer needs.
     */
    @Override
    boolean canResetCounters(int processFloor, UsageBuilder counters) {
        boolean can = true;
        if (!dirs.containsKey(Controller.PIDS)) { /* the pids controller checks pids.current itself */
            for (Path dir : distinctDirs) {
                if (!counters.read(dir.resolve("cgroup.procs")).orElse("").isBlank()) {
                    LOG.debug("cgroup {} is not reused: processes are left in {}", name(), dir);
                    can = false;
                }
            }
        }
        for (ControllerUnit unit : units) {
            if (!unit.canResetCounters(dirs.get(unit.controller()), processFloor, counters)) {
                LOG.debug("cgroup {} is not reused now: its {} counters cannot be set back exactly", name(),
                        unit.controller());
                can = false;
            }
        }
        return can;
    }

    @Override
    List<Path> counterResetFiles() {
        return counterResetFiles;
    }

    private Path freezerDir() {
        Path dir = dirs.get(Controller.FREEZER);
        if (dir == null) {
            throw new ControllerUnavailableException(Controller.FREEZER,
                    "cannot freeze cgroup " + name() + ": no freezer hierarchy is mounted");
        }
        return dir;
    }

    @Override
    public void freeze() {
        Path state = freezerDir().resolve("freezer.state");
        CgroupFs.write(state, "FROZEN");
        Waits.Backoff backoff = Waits.backoff(Waits.REMOVE_TIMEOUT);
        while (!CgroupFs.read(state).equals("FROZEN")) {
            if (!backoff.sleep()) {
                throw new CgroupException("cgroup " + state.getParent() + " did not freeze within "
                        + Waits.REMOVE_TIMEOUT.toSeconds() + " s (state " + CgroupFs.read(state) + ")");
            }
        }
    }

    @Override
    public void thaw() {
        CgroupFs.write(freezerDir().resolve("freezer.state"), "THAWED");
    }

    @Override
    public void kill() {
        if (distinctDirs.stream().noneMatch(Files::isDirectory)) {
            return;
        }
        killEach(dirs.containsKey(Controller.FREEZER));
        awaitEmpty();
    }
}
