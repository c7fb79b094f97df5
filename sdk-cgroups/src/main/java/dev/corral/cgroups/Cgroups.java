package dev.corral.cgroups;

import dev.corral.unit.DataSize;
import dev.corral.cgroups.internal.CgroupFs;
import dev.corral.cgroups.internal.OwnerTag;
import dev.corral.cgroups.internal.ProcInfo;
import dev.corral.cgroups.internal.V1Cgroup;
import dev.corral.cgroups.internal.V1CpusetInit;
import dev.corral.cgroups.internal.V2Cgroup;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where Corral creates cgroups, and the factory of {@link Cgroup} handles.
 *
 * <p>Placement: as root, under a {@code corral} cgroup at the top of each hierarchy
 * ({@code /sys/fs/cgroup/corral} on v2, {@code /sys/fs/cgroup/<controller>/corral} on v1), or
 * under the parent the caller names. Without root, on cgroup v2, under the delegated subtree
 * this user owns (found from {@code /proc/self/cgroup}); if this JVM sits at the top of that
 * subtree, it moves itself into a leaf first, since cgroup v2 gives controllers only to cgroups
 * without processes. Rootless on v1 or hybrid there is no placement: {@link #unavailableReason()}
 * says why, and {@link #create} fails unless every limit asked for may go unenforced.
 *
 * <p>Owner records: every cgroup sits in a directory {@code jvm-<pid ns>-<pid>-<start time>} of
 * the JVM that created it. {@link #open()} removes the directories of JVMs that died without
 * cleaning up (e.g. SIGKILL) and never touches anything else.
 *
 * <pre>{@code
 * try (Cgroups cgroups = Cgroups.open()) {
 *     Cgroup cg = cgroups.create("build-42", CgroupLimits.builder()
 *             .memory(DataSize.ofGibibytes(2)).cpus(2).pids(512).build());
 *     ...
 *     cg.remove();
 * }   // removes what is left of this JVM's cgroups
 * }</pre>
 */
public final class Cgroups implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Cgroups.class);
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,127}");
    private static final Pattern PARENT = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]*(/[A-Za-z0-9][A-Za-z0-9._-]*)*");
    /** The leaf a rootless JVM moves itself into, next to its cgroups. */
    static final String SELF_LEAF = "_jvm";
    /** Controllers a cgroup gets whenever they are available, to meter it. */
    private static final Set<Controller> METERING =
            EnumSet.of(Controller.MEMORY, Controller.PIDS, Controller.CPUACCT, Controller.FREEZER);
    /**
     * On v1, controllers a cgroup also gets whenever they are available, so that a runtime in a
     * container that sees its own cgroup finds it in each hierarchy it needs: HotSpot ignores
     * every cgroup limit unless memory, cpu, cpuacct and cpuset all have one. (On v2 the one
     * directory is all of them.)
     */
    private static final Set<Controller> VIEW_V1 = EnumSet.of(Controller.CPU, Controller.CPUSET);

    private final CgroupHierarchy hierarchy;
    private final ProcInfo proc;
    private final boolean rootless;
    private final boolean hostHasSwap;
    private final OwnerTag owner;
    private final String unavailable;
    /** v2: the top of what may be written (the mount as root, the delegated cgroup rootless). */
    private final Path top;
    /** v2: the parent, below {@link #top}. */
    private final Path unifiedParent;
    /** v1: the parent in each hierarchy, by controller. */
    private final Map<Controller, Path> v1Parents;
    private final Set<Controller> available;

    private final List<Path> created = new ArrayList<>();
    private final Map<Path, Set<Controller>> enabled = new HashMap<>();
    private final Set<Path> jvmDirsReady = new LinkedHashSet<>();
    private final Map<String, Cgroup> live = new LinkedHashMap<>();
    private boolean closed; /* after close(), create() refuses: nothing may be made that no one removes */
    private boolean movedSelf;

    private Cgroups(Builder b) {
        hierarchy = b.hierarchy != null ? b.hierarchy : CgroupHierarchy.detect();
        proc = new ProcInfo(hierarchy.procRoot());
        rootless = proc.effectiveUid() != 0;
        hostHasSwap = proc.hasSwap();
        owner = b.owner != null ? b.owner : OwnerTag.current(new ProcInfo(Path.of("/proc")));
        String reason = null;
        Path topDir = null;
        Path parent = null;
        Map<Controller, Path> parents = new EnumMap<>(Controller.class);
        Set<Controller> avail = EnumSet.noneOf(Controller.class);
        if (hierarchy.driverVersion() == CgroupVersion.V2) {
            if (!rootless) {
                topDir = hierarchy.unifiedMount().orElseThrow();
            } else {
                Optional<Path> own = hierarchy.ownUnifiedDirectory();
                if (own.isEmpty()) {
                    reason = "this process's cgroup v2 is not visible under " + hierarchy.unifiedMount().orElseThrow();
                } else {
                    topDir = delegationRoot(own.get());
                    if (topDir == null) {
                        reason = "no cgroup v2 subtree is delegated to uid " + proc.effectiveUid() + ": " + own.get()
                                + " is owned by uid " + uid(own.get())
                                + " (ask the service manager for one, e.g. systemd-run --user -p Delegate=yes --scope ...)";
                    }
                }
            }
            if (topDir != null) {
                parent = topDir.resolve(b.parent);
                avail.addAll(CgroupHierarchy.controllersIn(topDir));
                avail.add(Controller.FREEZER);   // cgroup.freeze is in every non-root v2 cgroup
                avail.add(Controller.CPUACCT);   // cpu.stat likewise
            }
        } else if (rootless) {
            reason = "this machine's cgroups are " + hierarchy.mode() + ": the controllers' v1 hierarchies belong to root,"
                    + " and rootless Corral needs a delegated cgroup v2 subtree (pure cgroup v2 with systemd,"
                    + " e.g. systemd-run --user -p Delegate=yes --scope ...)";
        } else {
            hierarchy.v1Mounts().forEach((c, mount) -> parents.put(c, mount.resolve(b.parent)));
            avail.addAll(parents.keySet());
        }
        unavailable = reason;
        top = topDir;
        unifiedParent = parent;
        v1Parents = Collections.unmodifiableMap(parents);
        available = Collections.unmodifiableSet(avail);
        LOG.debug("cgroups: {} rootless={} parent={} available={} unavailable={}", hierarchy, rootless,
                parent != null ? parent : parents.values(), avail, reason);
    }

    /** @return placement found from this machine's hierarchy, stale cgroups of dead JVMs removed */
    public static Cgroups open() {
        return builder().build();
    }

    /** @return a builder to choose the hierarchy, the parent and stale cleanup */
    public static Builder builder() {
        return new Builder();
    }

    private Path delegationRoot(Path own) {
        long uid = proc.effectiveUid();
        Path mount = hierarchy.unifiedMount().orElseThrow();
        Path root = null;
        for (Path dir = own; dir != null && dir.startsWith(mount) && !dir.equals(mount); dir = dir.getParent()) {
            if (uid(dir) != uid || !Files.isWritable(dir.resolve("cgroup.procs"))
                    || !Files.isWritable(dir.resolve("cgroup.subtree_control"))) {
                break;
            }
            root = dir;
        }
        return root;
    }

    private static long uid(Path dir) {
        try {
            return ((Number) Files.getAttribute(dir, "unix:uid")).longValue();
        } catch (IOException e) {
            throw new CgroupException("cannot stat " + dir + ": " + CgroupFs.reason(e), dir.toString(), null, e);
        }
    }

    /** @return the hierarchy this instance works in */
    public CgroupHierarchy hierarchy() {
        return hierarchy;
    }

    /** @return the driver version of the cgroups {@link #create} makes */
    public CgroupVersion version() {
        return hierarchy.driverVersion();
    }

    /** @return whether this process runs without root, and so needs a delegated subtree */
    public boolean rootless() {
        return rootless;
    }

    /** @return the controllers whose limits can be applied here */
    public Set<Controller> availableControllers() {
        return available;
    }

    /** @return why no cgroup can be created here at all, or empty if they can */
    public Optional<String> unavailableReason() {
        return Optional.ofNullable(unavailable);
    }

    /** @return the parent directories Corral creates its cgroups under (one per v1 hierarchy) */
    public List<Path> parentDirectories() {
        if (unifiedParent != null) {
            return List.of(unifiedParent);
        }
        return List.copyOf(new LinkedHashSet<>(v1Parents.values()));
    }

    /**
     * Creates a cgroup with these limits. Every limit is checked first: a controller that is not
     * available is a {@link ControllerUnavailableException} before anything is created, unless
     * the limits allow it to go unenforced.
     *
     * @param name a name unique among the live cgroups of this instance: letters, digits,
     *     {@code .}, {@code _} and {@code -}, up to 128 characters, starting with a letter or digit
     * @param limits the limits
     * @return the new cgroup, limits applied, empty of processes
     * @throws ControllerUnavailableException naming a missing controller
     * @throws CgroupException naming the file and value that failed, or why no cgroup can be made
     *     (also after {@link #close()})
     */
    public synchronized Cgroup create(String name, CgroupLimits limits) {
        Objects.requireNonNull(limits, "limits");
        if (name == null || !NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("a cgroup name is 1 to 128 letters, digits, '.', '_' or '-', starting"
                    + " with a letter or digit; was '" + name + "'");
        }
        if (live.containsKey(name)) {
            throw new IllegalArgumentException("a cgroup named '" + name + "' exists already");
        }
        if (closed) {
            throw new CgroupException("cannot create cgroup " + name + ": this Cgroups is closed");
        }
        Set<Controller> required = limits.requiredControllers();
        Set<Controller> unenforced = EnumSet.noneOf(Controller.class);
        for (Controller c : required) {
            if (!available.contains(c)) {
                if (!limits.allowedUnenforced().contains(c)) {
                    throw new ControllerUnavailableException(c, missing(c, limits));
                }
                unenforced.add(c);
                LOG.debug("cgroup {}: {} limits go unenforced, as allowed: {}", name, c, missing(c, limits));
            }
        }
        if (unavailable != null) {
            throw new CgroupException("cannot create cgroup " + name + ": " + unavailable);
        }
        Set<Controller> use = EnumSet.noneOf(Controller.class);
        for (Controller c : Controller.values()) {
            if (available.contains(c) && (required.contains(c) || METERING.contains(c)
                    || (version() == CgroupVersion.V1 && VIEW_V1.contains(c)))) {
                use.add(c);
            }
        }
        Cgroup cgroup;
        if (version() == CgroupVersion.V2) {
            Path jvmDir = readyUnified(use);
            Set<Controller> enabledHere = EnumSet.noneOf(Controller.class);
            for (Controller c : use) {
                if (c.v2Name().isPresent()) {
                    enabledHere.add(c);
                }
            }
            cgroup = V2Cgroup.create(name, jvmDir.resolve(name), limits, enabledHere, unenforced, hostHasSwap, this::forget);
        } else {
            Map<Controller, Path> dirs = new EnumMap<>(Controller.class);
            for (Controller c : use) {
                dirs.put(c, readyV1(c).resolve(name));
            }
            cgroup = V1Cgroup.create(name, dirs, limits, unenforced, hostHasSwap, this::forget);
        }
        live.put(name, cgroup);
        return cgroup;
    }

    private String missing(Controller c, CgroupLimits limits) {
        String what = "cannot apply " + limits + ": the " + c.name().toLowerCase(java.util.Locale.ROOT) + " controller";
        if (unavailable != null) {
            return what + " is unavailable: " + unavailable;
        }
        if (version() == CgroupVersion.V1) {
            return what + " (" + c.v1Name() + ") has no cgroup v1 hierarchy mounted";
        }
        String listed = CgroupFs.readIfExists(top.resolve("cgroup.controllers")).orElse("");
        if (rootless) {
            return what + " (" + c.v2Name().orElse(c.v1Name()) + ") is not delegated to " + top
                    + " (its cgroup.controllers lists '" + listed + "'): the parent must enable it in its"
                    + " cgroup.subtree_control (systemd: Delegate=" + c.v2Name().orElse("yes") + "; as root: echo +"
                    + c.v2Name().orElse("") + " > " + top.getParent().resolve("cgroup.subtree_control") + ")";
        }
        return what + " (" + c.v2Name().orElse(c.v1Name()) + ") is not offered by " + top + " (cgroup.controllers: '"
                + listed + "'): the kernel lacks it, or it is bound to a cgroup v1 hierarchy";
    }

    private synchronized void forget(Cgroup cgroup) {
        live.remove(cgroup.name(), cgroup);
    }

    /** v2: makes sure parent/jvm-tag exists and every level enables {@code use}; returns it. */
    private Path readyUnified(Set<Controller> use) {
        Path jvmDir = unifiedParent.resolve(owner.directoryName());
        List<Path> chain = new ArrayList<>();
        for (Path dir = jvmDir; !dir.equals(top); dir = dir.getParent()) {
            chain.add(0, dir);
        }
        if (jvmDirsReady.add(jvmDir)) {
            for (Path dir : chain) {
                mkdirRecorded(dir);
            }
            Optional<Path> own = hierarchy.ownUnifiedDirectory();
            if (rootless && own.isPresent() && !movedSelf && (own.get().equals(top) || chain.contains(own.get()))) {
                // no internal processes: this JVM leaves the cgroups that must enable controllers
                Path leaf = jvmDir.resolve(SELF_LEAF);
                CgroupFs.mkdir(leaf);
                CgroupFs.write(leaf.resolve("cgroup.procs"), Long.toString(ProcessHandle.current().pid()));
                movedSelf = true;
                List<Long> children = moveDescendants(own.get(), leaf);
                LOG.debug("moved this JVM and the processes it started {} from {} into the leaf {}", children, own.get(), leaf);
            }
        }
        chain.add(0, top);
        chain.remove(chain.size() - 1);
        chain.add(jvmDir);
        for (Path dir : chain) {
            enable(dir, use);
        }
        return jvmDir;
    }

    /**
     * Moves the processes this JVM started before it left {@code from} (the launcher and what it
     * holds) into {@code leaf} too: one left behind would keep controllers from {@code from}'s
     * children. A process forked while the others move is caught by the next pass.
     */
    private static List<Long> moveDescendants(Path from, Path leaf) {
        List<Long> moved = new ArrayList<>();
        for (int pass = 0; pass < 5; pass++) {
            Set<Long> ours = new HashSet<>();
            ProcessHandle.current().descendants().forEach(p -> ours.add(p.pid()));
            List<Long> left = new ArrayList<>(CgroupFs.readPids(from.resolve("cgroup.procs")));
            left.retainAll(ours);
            if (left.isEmpty()) {
                break;
            }
            for (long pid : left) {
                try {
                    CgroupFs.write(leaf.resolve("cgroup.procs"), Long.toString(pid));
                    moved.add(pid);
                } catch (CgroupException e) {
                    if (ProcessHandle.of(pid).isPresent()) {
                        throw e;
                    }
                }
            }
        }
        return moved;
    }

    private void enable(Path dir, Set<Controller> use) {
        Set<Controller> done = enabled.computeIfAbsent(dir, d -> {
            Set<Controller> now = EnumSet.noneOf(Controller.class);
            for (String n : CgroupFs.read(d.resolve("cgroup.subtree_control")).split("\\s+")) {
                Controller.ofV2Name(n).ifPresent(now::add);
            }
            return now;
        });
        for (Controller c : use) {
            if (c.v2Name().isEmpty() || done.contains(c)) {
                continue;
            }
            Path file = dir.resolve("cgroup.subtree_control");
            try {
                CgroupFs.write(file, "+" + c.v2Name().get());
            } catch (CgroupException e) {
                List<Long> pids = CgroupFs.readPids(dir.resolve("cgroup.procs"));
                String hint = pids.isEmpty() ? "" : "; " + dir + " holds processes " + pids + ", and cgroup v2 gives"
                        + " controllers only to the children of cgroups without processes: start the JVM in a leaf cgroup";
                throw new CgroupException(e.getMessage() + hint, file.toString(), "+" + c.v2Name().get(), e);
            }
            done.add(c);
            LOG.debug("enabled {} in {}", c.v2Name().get(), file);
        }
    }

    /** v1: makes sure parent/jvm-tag exists in the hierarchy of {@code c}; returns it. */
    private Path readyV1(Controller c) {
        Path jvmDir = v1Parents.get(c).resolve(owner.directoryName());
        if (jvmDirsReady.add(jvmDir)) {
            Path mount = hierarchy.v1Mounts().get(c);
            List<Path> chain = new ArrayList<>();
            for (Path dir = jvmDir; !dir.equals(mount); dir = dir.getParent()) {
                chain.add(0, dir);
            }
            boolean cpuset = hierarchy.v1Mounts().get(Controller.CPUSET) != null
                    && hierarchy.v1Mounts().get(Controller.CPUSET).equals(mount);
            for (Path dir : chain) {
                mkdirRecorded(dir);
                if (cpuset) {
                    V1CpusetInit.inherit(dir);
                }
            }
        }
        return jvmDir;
    }

    private void mkdirRecorded(Path dir) {
        if (CgroupFs.mkdir(dir)) {
            created.add(dir);
            LOG.debug("created {}", dir);
        }
    }

    /**
     * Removes the cgroups of Corral JVMs that are dead (killed, crashed) from under the parent:
     * kills what still runs in them, then removes them. Directories that are not owner records,
     * and those of live JVMs or of JVMs in other PID namespaces, are left alone.
     *
     * @return the directories removed
     */
    public synchronized List<Path> removeStale() {
        List<Path> removed = new ArrayList<>();
        if (unavailable != null) {
            return removed;
        }
        if (version() == CgroupVersion.V2) {
            for (Path dir : staleIn(unifiedParent)) {
                V2Cgroup.existing(dir.getFileName().toString(), dir, c -> { }).remove();
                removed.add(dir);
            }
            return log(removed);
        }
        Map<String, Map<Controller, Path>> byOwner = new LinkedHashMap<>();
        v1Parents.forEach((c, parent) -> {
            for (Path dir : staleIn(parent)) {
                byOwner.computeIfAbsent(dir.getFileName().toString(), k -> new EnumMap<>(Controller.class)).put(c, dir);
            }
        });
        byOwner.forEach((name, dirs) -> {
            V1Cgroup.existing(name, dirs, c -> { }).remove();
            removed.addAll(new LinkedHashSet<>(dirs.values()));
        });
        return log(removed);
    }

    private static List<Path> log(List<Path> removed) {
        if (!removed.isEmpty()) {
            LOG.debug("removed the cgroups of dead JVMs: {}", removed);
        }
        return removed;
    }

    private List<Path> staleIn(Path parent) {
        List<Path> stale = new ArrayList<>();
        try (DirectoryStream<Path> children = Files.newDirectoryStream(parent, Files::isDirectory)) {
            for (Path child : children) {
                Optional<OwnerTag> tag = OwnerTag.parse(child.getFileName().toString());
                if (tag.isPresent() && !tag.get().equals(owner) && tag.get().isDead(proc)) {
                    stale.add(child);
                }
            }
        } catch (NoSuchFileException e) {
            // no parent yet: nothing stale
        } catch (IOException e) {
            throw new CgroupException("cannot list " + parent + ": " + CgroupFs.reason(e), parent.toString(), null, e);
        }
        return stale;
    }

    /**
     * Removes every cgroup this instance created that is still there, then this JVM's owner
     * directories and the parents it created, where they are empty. Afterwards
     * {@link #create} throws: a cgroup made then would outlive its owner's cleanup.
     */
    @Override
    public synchronized void close() {
        closed = true;
        for (Cgroup cgroup : new ArrayList<>(live.values())) {
            cgroup.remove();
        }
        List<Path> dirs = new ArrayList<>(jvmDirsReady);
        dirs.addAll(created);
        dirs.sort((a, b) -> Integer.compare(b.getNameCount(), a.getNameCount()));
        for (Path dir : new LinkedHashSet<>(dirs)) {
            if (!movedSelf || !dir.equals(unifiedParent.resolve(owner.directoryName()))) {
                CgroupFs.rmdirIfUnused(dir);
            }
        }
        jvmDirsReady.clear();
        created.clear();
        enabled.clear();
    }

    /**
     * Chooses the hierarchy, the parent and stale cleanup.
     *
     * <pre>{@code
     * Cgroups cgroups = Cgroups.builder().parent("corral/judge").build();
     * }</pre>
     */
    public static final class Builder {
        private CgroupHierarchy hierarchy;
        private String parent = "corral";
        private boolean removeStale = true;
        private OwnerTag owner;

        private Builder() {
        }

        /** Tests only: the owner record to create cgroups under, instead of this JVM's. */
        Builder owner(OwnerTag owner) {
            this.owner = owner;
            return this;
        }

        /**
         * @param hierarchy the hierarchy to work in (default: {@link CgroupHierarchy#detect()})
         * @return this builder
         */
        public Builder hierarchy(CgroupHierarchy hierarchy) {
            this.hierarchy = Objects.requireNonNull(hierarchy, "hierarchy");
            return this;
        }

        /**
         * @param parent the parent cgroup, relative to the top of each hierarchy as root and to
         *     the delegated subtree rootless (default {@code corral}); created if missing
         * @return this builder
         */
        public Builder parent(String parent) {
            if (parent == null || !PARENT.matcher(parent).matches()) {
                throw new IllegalArgumentException("parent must be a relative cgroup path such as corral/judge,"
                        + " made of letters, digits, '.', '_' and '-'; was '" + parent + "'");
            }
            this.parent = parent;
            return this;
        }

        /**
         * @param removeStale whether {@link #build()} removes the cgroups of dead JVMs (default true)
         * @return this builder
         */
        public Builder removeStaleOnOpen(boolean removeStale) {
            this.removeStale = removeStale;
            return this;
        }

        /** @return the placement, with stale cgroups removed if asked */
        public Cgroups build() {
            Cgroups cgroups = new Cgroups(this);
            if (removeStale) {
                cgroups.removeStale();
            }
            return cgroups;
        }
    }
}
