package dev.corral.cgroups;

import dev.corral.cgroups.internal.CgroupFs;
import dev.corral.cgroups.internal.MountInfo;
import java.nio.file.Path;
import java.util.Collections;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * The cgroup file systems of this machine and where this process sits in them, read from
 * {@code /proc/self/mountinfo} and {@code /proc/self/cgroup}.
 *
 * <p>Both roots can be moved, so that the parsers and drivers can be tested on fixtures: the
 * proc root (normally {@code /proc}) and the file-system root under which the mount points
 * found in mountinfo are looked up (normally {@code /}).
 *
 * <pre>{@code
 * CgroupHierarchy h = CgroupHierarchy.detect();
 * h.mode();                          // UNIFIED, LEGACY or HYBRID
 * h.unifiedMount();                  // Optional[/sys/fs/cgroup] on pure v2
 * h.v1Mounts().get(Controller.MEMORY);   // /sys/fs/cgroup/memory on v1
 * h.ownUnifiedDirectory();           // this process's v2 cgroup, e.g. /sys/fs/cgroup/user.slice/...
 * }</pre>
 */
public final class CgroupHierarchy {

    private final CgroupMode mode;
    private final Path procRoot;
    private final Path unifiedMount;
    private final String unifiedRoot;
    private final String unifiedSelf;
    private final Map<Controller, Path> v1Mounts;
    private final Map<Controller, String> v1Roots;
    private final Map<Controller, String> v1Self;

    private CgroupHierarchy(CgroupMode mode, Path procRoot, Path unifiedMount, String unifiedRoot, String unifiedSelf,
            Map<Controller, Path> v1Mounts, Map<Controller, String> v1Roots, Map<Controller, String> v1Self) {
        this.mode = mode;
        this.procRoot = procRoot;
        this.unifiedMount = unifiedMount;
        this.unifiedRoot = unifiedRoot;
        this.unifiedSelf = unifiedSelf;
        this.v1Mounts = Collections.unmodifiableMap(v1Mounts);
        this.v1Roots = v1Roots;
        this.v1Self = v1Self;
    }

    /**
     * @return the hierarchy as this process sees it
     * @throws CgroupException if no cgroup file system is mounted
     */
    public static CgroupHierarchy detect() {
        return detect(Path.of("/proc"), Path.of("/"));
    }

    /**
     * @param procRoot where {@code self/mountinfo} and {@code self/cgroup} are read
     * @param fileSystemRoot the directory the mount points in mountinfo are resolved against
     * @return the hierarchy
     * @throws CgroupException if the files cannot be read or no cgroup file system is mounted
     */
    public static CgroupHierarchy detect(Path procRoot, Path fileSystemRoot) {
        return parse(CgroupFs.read(procRoot.resolve("self/mountinfo")), CgroupFs.read(procRoot.resolve("self/cgroup")),
                procRoot, fileSystemRoot);
    }

    /**
     * @param mountinfo the text of /proc/self/mountinfo
     * @param selfCgroup the text of /proc/self/cgroup
     * @param procRoot the proc root, used later for process facts (owner liveness, UID, swap)
     * @param fileSystemRoot the directory the mount points are resolved against
     * @return the hierarchy
     * @throws CgroupException if no cgroup file system is mounted
     * @throws IllegalArgumentException if a text is malformed
     */
    public static CgroupHierarchy parse(String mountinfo, String selfCgroup, Path procRoot, Path fileSystemRoot) {
        Path unifiedMount = null;
        String unifiedRoot = null;
        Map<Controller, Path> v1Mounts = new EnumMap<>(Controller.class);
        Map<Controller, String> v1Roots = new EnumMap<>(Controller.class);
        for (MountInfo.Mount m : MountInfo.parseMountInfo(mountinfo)) {
            Path where = fileSystemRoot.resolve(m.mountPoint().substring(1));
            if (m.fsType().equals("cgroup2")) {
                // prefer a mount of the whole hierarchy over a bind mount of part of it
                if (unifiedMount == null || (!unifiedRoot.equals("/") && m.root().equals("/"))) {
                    unifiedMount = where;
                    unifiedRoot = m.root();
                }
            } else if (m.fsType().equals("cgroup")) {
                for (String option : m.superOptions()) {
                    Optional<Controller> c = Controller.ofV1Name(option);
                    if (c.isPresent() && (!v1Mounts.containsKey(c.get())
                            || (!v1Roots.get(c.get()).equals("/") && m.root().equals("/")))) {
                        v1Mounts.put(c.get(), where);
                        v1Roots.put(c.get(), m.root());
                    }
                }
            }
        }
        CgroupMode mode;
        if (v1Mounts.isEmpty() && unifiedMount == null) {
            throw new CgroupException("no cgroup file system is mounted (no cgroup or cgroup2 line in mountinfo)");
        } else if (v1Mounts.isEmpty()) {
            mode = CgroupMode.UNIFIED;
        } else {
            mode = unifiedMount == null ? CgroupMode.LEGACY : CgroupMode.HYBRID;
        }
        String unifiedSelf = null;
        Map<Controller, String> v1Self = new EnumMap<>(Controller.class);
        for (MountInfo.CgroupLine line : MountInfo.parseCgroup(selfCgroup)) {
            if (line.hierarchyId() == 0 && line.controllers().isEmpty()) {
                unifiedSelf = line.path();
            } else {
                for (String name : line.controllers()) {
                    Controller.ofV1Name(name).ifPresent(c -> v1Self.put(c, line.path()));
                }
            }
        }
        return new CgroupHierarchy(mode, procRoot, unifiedMount, unifiedRoot, unifiedSelf, v1Mounts, v1Roots, v1Self);
    }

    /** @return how the cgroups are laid out */
    public CgroupMode mode() {
        return mode;
    }

    /** @return the proc root this hierarchy was read from */
    public Path procRoot() {
        return procRoot;
    }

    /** @return the version of the driver Corral uses here: v2 on UNIFIED, else v1 */
    public CgroupVersion driverVersion() {
        return mode == CgroupMode.UNIFIED ? CgroupVersion.V2 : CgroupVersion.V1;
    }

    /** @return where the cgroup2 file system is mounted, if it is */
    public Optional<Path> unifiedMount() {
        return Optional.ofNullable(unifiedMount);
    }

    /** @return where each v1 controller's hierarchy is mounted (co-mounted ones share a path) */
    public Map<Controller, Path> v1Mounts() {
        return v1Mounts;
    }

    /** @return the controllers the v2 root offers ({@code cgroup.controllers}), empty without v2 */
    public Set<Controller> unifiedControllers() {
        Set<Controller> controllers = EnumSet.noneOf(Controller.class);
        if (unifiedMount != null) {
            controllers.addAll(controllersIn(unifiedMount));
        }
        return controllers;
    }

    /** @return the controllers listed in a v2 directory's {@code cgroup.controllers} */
    static Set<Controller> controllersIn(Path dir) {
        Set<Controller> controllers = EnumSet.noneOf(Controller.class);
        for (String name : CgroupFs.readIfExists(dir.resolve("cgroup.controllers")).orElse("").split("\\s+")) {
            Controller.ofV2Name(name).ifPresent(controllers::add);
        }
        return controllers;
    }

    /** @return this process's cgroup v2 directory, if v2 is mounted and it is visible there */
    public Optional<Path> ownUnifiedDirectory() {
        return unifiedMount == null || unifiedSelf == null ? Optional.empty()
                : resolve(unifiedMount, unifiedRoot, unifiedSelf);
    }

    /** @return this process's directory in a v1 controller's hierarchy, if visible there */
    public Optional<Path> ownV1Directory(Controller controller) {
        Path mount = v1Mounts.get(controller);
        String self = v1Self.get(controller);
        return mount == null || self == null ? Optional.empty() : resolve(mount, v1Roots.get(controller), self);
    }

    private static Optional<Path> resolve(Path mount, String mountRoot, String cgroup) {
        String root = mountRoot.endsWith("/") ? mountRoot : mountRoot + "/";
        if (cgroup.equals(mountRoot)) {
            return Optional.of(mount);
        }
        if (!cgroup.startsWith(root)) {
            return Optional.empty();   // outside the part of the hierarchy that is mounted
        }
        return Optional.of(mount.resolve(cgroup.substring(root.length())));
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof CgroupHierarchy)) {
            return false;
        }
        CgroupHierarchy h = (CgroupHierarchy) o;
        return mode == h.mode && procRoot.equals(h.procRoot) && Objects.equals(unifiedMount, h.unifiedMount)
                && Objects.equals(unifiedRoot, h.unifiedRoot) && Objects.equals(unifiedSelf, h.unifiedSelf)
                && v1Mounts.equals(h.v1Mounts) && v1Roots.equals(h.v1Roots) && v1Self.equals(h.v1Self);
    }

    @Override
    public int hashCode() {
        return Objects.hash(mode, procRoot, unifiedMount, unifiedRoot, unifiedSelf, v1Mounts, v1Roots, v1Self);
    }

    @Override
    public String toString() {
        Map<Controller, Path> shown = new HashMap<>(v1Mounts);
        return "CgroupHierarchy[" + mode + (unifiedMount == null ? "" : " v2=" + unifiedMount + " self=" + unifiedSelf)
                + (shown.isEmpty() ? "" : " v1=" + shown + " self=" + v1Self) + "]";
    }

    /** @return the v1 hierarchies, one entry per distinct mount, with the controllers it holds */
    Map<Path, Set<Controller>> v1Hierarchies() {
        Map<Path, Set<Controller>> byMount = new HashMap<>();
        v1Mounts.forEach((c, p) -> byMount.computeIfAbsent(p, k -> EnumSet.noneOf(Controller.class)).add(c));
        return byMount;
    }

    static List<Controller> v1MeteringControllers() {
        return List.of(Controller.MEMORY, Controller.CPUACCT, Controller.PIDS, Controller.FREEZER);
    }
}
