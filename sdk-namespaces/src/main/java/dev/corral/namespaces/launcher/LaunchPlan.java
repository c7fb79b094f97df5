package dev.corral.namespaces.launcher;

import dev.corral.namespaces.IdMapping;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * Everything the launcher needs to start one container, fully resolved by Java: the launcher
 * executes it and decides nothing. Encoded by {@link PlanCodec}.
 *
 * <pre>{@code
 * LaunchPlan plan = LaunchPlan.builder()
 *         .cloneFlags(Namespace.PID.cloneFlag() | Namespace.MOUNT.cloneFlag())
 *         .stagingDir("/tmp")
 *         .mount(MountOp.bind("/srv/rootfs", "/", MountOp.RECURSIVE))
 *         .mount(MountOp.proc("/proc"))
 *         .argv(List.of("/bin/true"))
 *         .build();
 * }</pre>
 *
 * @param cloneFlags    the {@code CLONE_NEW*} flags
 * @param commandAsPid1 true to exec the command as the container's PID 1, false for a minimal init
 * @param stagingDir    an existing host directory the launcher mounts its staging tmpfs on
 * @param mounts        the mount operations, in order, targets relative to the new root
 * @param rootReadOnly  make the root mount read-only once every mount is in place
 * @param hostname      the hostname, in a UTS namespace
 * @param loopback      bring up {@code lo}, in a network namespace
 * @param stdio         what becomes fds 0, 1 and 2 (exactly three)
 * @param argv          the command and its arguments (at least the command)
 * @param env           the whole environment, {@code K=V} strings
 * @param searchPath    where to look up a command without a slash, or empty for none
 * @param cwd           the working directory inside the container
 * @param user          the user to switch to before exec
 * @param rlimits       resource limits to set
 * @param noNewPrivs    set {@code no_new_privs}
 * @param seccomp       a compiled seccomp program to install last
 * @param umask         the command's umask
 * @param uidMap        the user namespace's {@code uid_map}
 * @param gidMap        the user namespace's {@code gid_map}
 * @param capabilities  the capability sets, or empty to leave them as the kernel makes them
 * @param denySetgroups write {@code deny} to the user namespace's {@code setgroups} before its
 *                      gid map, and leave the supplementary groups alone (rootless without newgidmap)
 * @param uidMapTool    a {@code newuidmap} program that writes the uid map instead of the launcher
 * @param gidMapTool    a {@code newgidmap} program that writes the gid map instead of the launcher
 * @param execFd        exec the command through this descriptor ({@code execveat}, {@code AT_EMPTY_PATH}):
 *                      the launcher opens the resolved program {@code O_PATH} onto it before the
 *                      rlimits, so that a seccomp filter may allow only that one exec
 * @param descriptors   this JVM's descriptors sent with the plan ({@code SCM_RIGHTS}, at most
 *                      {@link #MAX_PLAN_DESCRIPTORS}); the operations below name them by their
 *                      place in this list. The caller keeps them open until the plan is sent;
 *                      the launcher closes its copies once the container is reaped
 * @param writeZero     descriptors the container's first process writes {@code "0"} to after its
 *                      mounts, before the command (cgroup v1 {@code tasks} files: it moves itself in)
 * @param cloneIntoCgroup a cgroup v2 directory to clone the container into ({@code clone3}
 *                      {@code CLONE_INTO_CGROUP}), with its {@code cgroup.procs} for where that is
 *                      not possible
 * @param readAtReap    descriptors (a cgroup's counters, up to {@link #MAX_COUNTER_FILES}) the
 *                      launcher reads right after the container's first process is reaped and
 *                      sends with the exit, in {@link ExitReport#counterFiles()}: read there, they
 *                      cost the result's path no JVM file reads
 * @param zeroAtReap    descriptors (up to {@link #MAX_COUNTER_FILES}) the launcher writes
 *                      {@code "0"} to right after it has read every {@code readAtReap} one whole,
 *                      before it sends the exit: they set a cgroup's counters back for its next
 *                      container ({@link ExitReport#countersReset()})
 * @param attachInStaging detached mount trees (descriptors from {@code open_tree}) the container's
 *                      first process attaches at {@code /ovl-N} in its staging tmpfs, N the
 *                      descriptor's place, for an overlay's options to name (see {@link OverlayTrees})
 * @param setns         namespaces the container's first process joins, in order, first thing after
 *                      the launcher lets it go on: before it joins or makes any other (a namespace
 *                      owned by another user namespace than the container's own cannot be joined
 *                      from inside a new user namespace)
 * @param commandParentDeath the command is killed ({@code SIGKILL}) when the process that started it
 *                      dies: for a command started in a running container's namespaces (an exec),
 *                      whose starter stays outside its PID namespace and is what a kill reaches
 * @param mountTrees    detached copies of binds' sources (descriptors from {@code open_tree}, see
 *                      {@link OverlayTrees#bind}), each attached at its bind's target instead of the
 *                      source opened by its path
 * @param idmap         detached mount trees (places of descriptors) the launcher idmaps for the
 *                      container's user namespace before it lets the container go on; only in a plan
 *                      with a user namespace
 * @param ttyPair       the pseudo-terminal (places of its master and slave) of a plan whose stdio is
 *                      {@link StdioOp#tty}: opened by the {@link Launcher} as it sends the plan
 * @param gate          a descriptor (its place) the container's first process writes {@code "0"} to after
 *                      its mounts and {@code writeZero} descriptors, before the command, staying dumpable
 *                      until then (see {@link GatePipe}): a pipe kept full holds it there until this JVM
 *                      has done what the command must find done (pasta's network configured)
 */
public record LaunchPlan(
        int cloneFlags,
        boolean commandAsPid1,
        String stagingDir,
        List<MountOp> mounts,
        boolean rootReadOnly,
        Optional<String> hostname,
        boolean loopback,
        List<StdioOp> stdio,
        List<String> argv,
        List<String> env,
        Optional<String> searchPath,
        Optional<String> cwd,
        Optional<UserIds> user,
        List<RlimitOp> rlimits,
        boolean noNewPrivs,
        Optional<SeccompBytes> seccomp,
        OptionalInt umask,
        Optional<String> uidMap,
        Optional<String> gidMap,
        Optional<CapabilitySets> capabilities,
        boolean denySetgroups,
        Optional<String> uidMapTool,
        Optional<String> gidMapTool,
        OptionalInt execFd,
        List<Integer> descriptors,
        List<Integer> writeZero,
        Optional<CgroupClone> cloneIntoCgroup,
        List<Integer> readAtReap,
        List<Integer> zeroAtReap,
        List<SetnsOp> setns,
        List<Integer> attachInStaging,
        boolean commandParentDeath,
        List<MountTree> mountTrees,
        List<Integer> idmap,
        Optional<TtyPair> ttyPair,
        OptionalInt gate) {

    /** The most descriptors a plan may read at the reap, and write 0 to then (the launcher's MAX_COUNTER_FILES). */
    public static final int MAX_COUNTER_FILES = Wire.MAX_COUNTER_FILES;
    /** The most descriptors one plan carries. */
    public static final int MAX_PLAN_DESCRIPTORS = Wire.MAX_PLAN_DESCRIPTORS;
    /** The most namespaces one plan joins. */
    public static final int MAX_SETNS = Wire.MAX_SETNS;

    /** Checks the shape the launcher relies on; values are the caller's business. */
    public LaunchPlan {
        Objects.requireNonNull(stagingDir, "stagingDir");
        mounts = List.copyOf(mounts);
        stdio = List.copyOf(stdio);
        argv = List.copyOf(argv);
        env = List.copyOf(env);
        rlimits = List.copyOf(rlimits);
        descriptors = List.copyOf(descriptors);
        writeZero = List.copyOf(writeZero);
        readAtReap = List.copyOf(readAtReap);
        zeroAtReap = List.copyOf(zeroAtReap);
        setns = List.copyOf(setns);
        attachInStaging = List.copyOf(attachInStaging);
        mountTrees = List.copyOf(mountTrees);
        idmap = List.copyOf(idmap);
        if (descriptors.size() > MAX_PLAN_DESCRIPTORS || readAtReap.size() > MAX_COUNTER_FILES
                || zeroAtReap.size() > MAX_COUNTER_FILES || setns.size() > MAX_SETNS) {
            throw new IllegalArgumentException("a plan has at most " + MAX_PLAN_DESCRIPTORS + " descriptors, "
                    + MAX_COUNTER_FILES + " to read at the reap and as many to write 0 to then, and " + MAX_SETNS
                    + " namespaces to join; not " + descriptors.size() + ", " + readAtReap.size() + ", "
                    + zeroAtReap.size() + " and " + setns.size());
        }
        int n = descriptors.size();
        java.util.stream.IntStream named = java.util.stream.Stream.of(writeZero, readAtReap, zeroAtReap, attachInStaging,
                        idmap, mountTrees.stream().map(MountTree::descriptor).toList(),
                        ttyPair.map(t -> List.of(t.master(), t.slave())).orElse(List.of()),
                        cloneIntoCgroup.map(c -> List.of(c.directory(), c.procs())).orElse(List.of()),
                        setns.stream().map(SetnsOp::descriptor).toList(),
                        gate.isPresent() ? List.of(gate.getAsInt()) : List.<Integer>of())
                .flatMap(List::stream).mapToInt(Integer::intValue);
        if (!named.allMatch(i -> i >= 0 && i < n)) {
            throw new IllegalArgumentException("a descriptor operation names a descriptor the plan does not carry ("
                    + n + " carried)");
        }
        List<MountOp> all = mounts;
        if (mountTrees.stream().anyMatch(t -> t.mount() < 0 || t.mount() >= all.size()
                || all.get(t.mount()).kind() != MountOp.Kind.BIND)
                || mountTrees.stream().map(MountTree::mount).distinct().count() != mountTrees.size()) {
            throw new IllegalArgumentException("a mount tree is for one bind of the plan, and a bind has one at most");
        }
        if (mounts.stream().anyMatch(m -> m.kind() == MountOp.Kind.OVERLAY)) {
            throw new IllegalArgumentException("an overlay request's host directories must be resolved into a file"
                    + " system's options (OverlayTrees.add) before it is planned");
        }
        if (stdio.size() != 3) {
            throw new IllegalArgumentException("a plan has exactly three stdio entries, not " + stdio.size());
        }
        if (argv.isEmpty()) {
            throw new IllegalArgumentException("a plan needs a command");
        }
    }

    /** @return a builder with no namespaces, no mounts, stdio on /dev/null */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * One mount-table operation, applied inside the new root in plan order.
     *
     * <p>The launcher knows four generic operations ({@link Kind}); what a tmpfs, a procfs, an OCI
     * mask or read-only path is, with its flags and options, is decided here, by the factories.
     *
     * <pre>{@code
     * MountOp tmp = MountOp.tmpfs("/tmp", MountOp.NOSUID | MountOp.NODEV, "mode=1777");
     * tmp.kind();     // FS
     * tmp.source();   // "tmpfs": the file system type
     * }</pre>
     *
     * @param kind   what to do
     * @param flags  {@link #RDONLY}, {@link #NOSUID}, {@link #NODEV}, {@link #NOEXEC}, {@link #RECURSIVE},
     *               {@link #IDMAP}, {@link #IF_EXISTS}, {@link #IN_ROOT}, {@link #BEFORE_USERNS}
     * @param mode   permission bits, for {@link Kind#MKNOD}
     * @param major  device major number, for {@link Kind#MKNOD}
     * @param minor  device minor number, for {@link Kind#MKNOD}
     * @param source a host path (or with {@link #IN_ROOT} a path in the new root) for {@link Kind#BIND};
     *               the file system type for {@link Kind#FS}; the link's contents for {@link Kind#SYMLINK}
     * @param target an absolute, normalised path inside the container
     * @param data   file system options, e.g. {@code size=64m,mode=1777} for a tmpfs
     */
    public record MountOp(Kind kind, int flags, int mode, int major, int minor, String source, String target, String data) {
        /** Read-only. */
        public static final int RDONLY = Wire.MF_RDONLY;
        /** Ignore setuid bits. */
        public static final int NOSUID = Wire.MF_NOSUID;
        /** No device files. */
        public static final int NODEV = Wire.MF_NODEV;
        /** No execution. */
        public static final int NOEXEC = Wire.MF_NOEXEC;
        /** Bind the whole subtree (with its submounts) and apply the flags to all of it. */
        public static final int RECURSIVE = Wire.MF_RECURSIVE;
        /**
         * For a bind in a user namespace: an idmapped mount for it, so that host root's files are
         * the container root's (used for store-managed data such as volumes); ignored without
         * a user namespace or where the launcher may not clone mounts. With maps in its data
         * ({@link #bindAsOwner}): idmapped by those, with or without a user namespace.
         */
        public static final int IDMAP = Wire.MF_IDMAP;
        /** Do nothing when the target (or a bind's source) does not exist, instead of creating the target. */
        public static final int IF_EXISTS = Wire.MF_IF_EXISTS;
        /** A bind's source is a path in the new root (as it is when the operation runs), not on the host. */
        public static final int IN_ROOT = Wire.MF_IN_ROOT;
        /**
         * A file system the container's first process makes detached before it joins a user
         * namespace the plan hands over ({@link SetnsOp}), in the rights of its clone's own, and
         * attaches at its place: a procfs of the clone's PID namespace needs them.
         */
        public static final int BEFORE_USERNS = Wire.MF_BEFORE_USERNS;

        /** The kinds of operation the launcher knows; the numbers cross the wire. */
        public enum Kind {
            /** Bind a path onto the target: a host path, or with {@link #IN_ROOT} one in the new root. */
            BIND(Wire.MOUNT_BIND),
            /** Mount a file system: its type in {@code source}, its options in {@code data}. */
            FS(Wire.MOUNT_FS),
            /** Create a symbolic link. */
            SYMLINK(Wire.MOUNT_SYMLINK),
            /** Create a character device node. */
            MKNOD(Wire.MOUNT_MKNOD),
            /**
             * A request for an overlay, never planned as such: {@link MountOp#overlay} makes it with
             * host paths ({@code source}: the lower directories joined by {@code ':'}), and
             * {@link OverlayTrees#add} turns it into an {@link #FS} mount of type {@code overlay} whose
             * options name the layers as the container's first process finds them.
             */
            OVERLAY(Wire.MOUNT_FS);

            final int wire;

            Kind(int wire) {
                this.wire = wire;
            }

            static Kind fromWire(int wire) {
                for (Kind k : values()) {
                    if (k.wire == wire) {
                        return k;
                    }
                }
                throw new IllegalArgumentException("unknown mount kind " + wire);
            }
        }

        /** Checks the target is absolute. */
        public MountOp {
            Objects.requireNonNull(kind, "kind");
            Objects.requireNonNull(source, "source");
            Objects.requireNonNull(data, "data");
            if (!target.startsWith("/")) {
                throw new IllegalArgumentException("mount target must be absolute: " + target);
            }
        }

        /** @param source host path @param target container path @param flags flags @return a bind mount */
        public static MountOp bind(String source, String target, int flags) {
            return new MountOp(Kind.BIND, flags, 0, 0, 0, source, target, "");
        }

        /**
         * A bind idmapped by a user namespace of its own, which the launcher makes with these
         * maps (host root only: the kernel lets no one else idmap a host file system). The
         * launcher fails the start with {@code EPERM} when it cannot clone the source.
         *
         * @param source host path
         * @param target container path
         * @param flags  flags ({@link #IDMAP} is added; {@link #RECURSIVE} is not allowed)
         * @param uid    one uid line: the on-disk owner as {@code containerId}, the kernel ID
         *               it shows as (the container user's host uid) as {@code hostId}
         * @param gid    one gid line, likewise
         * @return the mount
         */
        public static MountOp bindAsOwner(String source, String target, int flags, IdMapping uid, IdMapping gid) {
            if ((flags & RECURSIVE) != 0) {
                throw new IllegalArgumentException("an idmapped bind covers its top mount only: no RECURSIVE");
            }
            return new MountOp(Kind.BIND, flags | IDMAP, 0, 0, 0, source, target,
                    uid.containerId() + " " + uid.hostId() + " " + uid.count() + "|"
                    + gid.containerId() + " " + gid.hostId() + " " + gid.count());
        }

        /** @param target container path @param flags flags @param data options @return a tmpfs mount */
        public static MountOp tmpfs(String target, int flags, String data) {
            return new MountOp(Kind.FS, flags, 0, 0, 0, "tmpfs", target, data);
        }

        /**
         * @param lowerDirs host directories, top first; none may contain ',', ':' or '\\'
         * @param upperDir  host directory for writes, or empty for a read-only overlay
         * @param workDir   empty host directory on the upper's file system, or empty with no upper
         * @param target    container path
         * @param flags     {@link #RDONLY}, {@link #NOSUID}, {@link #NODEV}, {@link #NOEXEC}
         * @return an overlay mount
         */
        public static MountOp overlay(List<String> lowerDirs, String upperDir, String workDir, String target, int flags) {
            String data = upperDir.isEmpty() ? "" : "upperdir=" + upperDir + ",workdir=" + workDir;
            return new MountOp(Kind.OVERLAY, flags, 0, 0, 0, String.join(":", lowerDirs), target, data);
        }

        /** The most bytes of options the kernel takes for one mount: a page, less its NUL. */
        public static final int MAX_OPTIONS = 4095;

        /* How OverlayTrees names a host directory of an overlay: by the staging path its clone is
           attached at, "/ovl-N" (N a descriptor's place, below MAX_PLAN_DESCRIPTORS: at most 7
           bytes), or where it cannot clone the tree, below the host's root at /oldroot: never
           shorter (8 bytes and the path), so the longest is counted. */
        private static final int OLD_ROOT_PREFIX = "/oldroot".length();

        /**
         * The length of the longest option string the kernel may get for this mount (at most
         * {@link #MAX_OPTIONS} to mount): its {@code data}, and for an overlay request the
         * {@code lowerdir=}, {@code upperdir=} and {@code workdir=} options {@link OverlayTrees}
         * writes, each directory named below {@code /oldroot} (a staging path is never longer).
         *
         * <pre>{@code
         * MountOp op = MountOp.overlay(List.of("/store/layers/a"), "/store/runs/1/upper", "/store/runs/1/work", "/", 0);
         * boolean fits = op.launcherOptionsLength() <= MountOp.MAX_OPTIONS;   // true
         * }</pre>
         *
         * @return the length in bytes (host paths are ASCII in practice; UTF-8 is counted)
         */
        public int launcherOptionsLength() {
            int n = utf8(data);
            if (kind != Kind.OVERLAY) {
                return n;
            }
            n += "lowerdir=".length();
            String[] lowers = source.split(":", -1);
            for (String lower : lowers) {
                n += OLD_ROOT_PREFIX + utf8(lower) + 1; /* and a ':' or, after the last, the ',' data's first option gains */
            }
            for (String option : data.split(",", -1)) {
                if (option.startsWith("upperdir=") || option.startsWith("workdir=")) {
                    n += OLD_ROOT_PREFIX; /* the host path, below /oldroot */
                }
            }
            return n;
        }

        private static int utf8(String s) {
            return s.getBytes(java.nio.charset.StandardCharsets.UTF_8).length;
        }

        /**
         * @param target container path
         * @return a procfs mount (nosuid, nodev, noexec), made before the container joins a user
         *     namespace it is handed ({@link #BEFORE_USERNS})
         */
        public static MountOp proc(String target) {
            return new MountOp(Kind.FS, NOSUID | NODEV | NOEXEC | BEFORE_USERNS, 0, 0, 0, "proc", target, "");
        }

        /** @param target container path @param data options @return a devpts mount (nosuid, noexec) */
        public static MountOp devpts(String target, String data) {
            return new MountOp(Kind.FS, NOSUID | NOEXEC, 0, 0, 0, "devpts", target, data);
        }

        /** @param linkContents what the link points to @param target container path @return a symlink creation */
        public static MountOp symlink(String linkContents, String target) {
            return new MountOp(Kind.SYMLINK, 0, 0, 0, 0, linkContents, target, "");
        }

        /**
         * An OCI masked path, if it exists: an empty read-only tmpfs over a directory, the new
         * root's {@code /dev/null} bound read-only over anything else (so {@code /dev/null} must be
         * in place by then).
         *
         * @param target    container path
         * @param directory whether it is a directory
         * @return the mask
         */
        public static MountOp mask(String target, boolean directory) {
            return directory
                    ? new MountOp(Kind.FS, RDONLY | NOSUID | NODEV | NOEXEC | IF_EXISTS, 0, 0, 0, "tmpfs", target,
                            "mode=0555,size=4k")
                    /* not nodev: the mask is a device node, and must open (empty), not fail */
                    : new MountOp(Kind.BIND, RDONLY | NOSUID | NOEXEC | IN_ROOT | IF_EXISTS, 0, 0, 0, "/dev/null", target, "");
        }

        /**
         * @param target container path
         * @return an OCI read-only path, if it exists: bound onto itself, recursively read-only,
         *     nosuid, nodev and noexec
         */
        public static MountOp readOnly(String target) {
            return new MountOp(Kind.BIND, RDONLY | NOSUID | NODEV | NOEXEC | RECURSIVE | IN_ROOT | IF_EXISTS, 0, 0, 0,
                    target, target, "");
        }

        /**
         * @param target container path @param mode permissions @param major major number
         * @param minor minor number @return a character device creation
         */
        public static MountOp mknod(String target, int mode, int major, int minor) {
            return new MountOp(Kind.MKNOD, 0, mode, major, minor, "", target, "");
        }
    }

    /**
     * What one of fds 0, 1, 2 becomes.
     *
     * @param kind      inherit the launcher's (the JVM's), /dev/null, a file, or a stream relayed to the JVM
     * @param openFlags {@code open(2)} flags for {@link Kind#FILE}
     * @param mode      creation mode for {@link Kind#FILE}
     * @param path      the host path for {@link Kind#FILE}, else empty
     */
    public record StdioOp(Kind kind, int openFlags, int mode, String path) {
        /** The kinds of stdio; the numbers cross the wire. */
        public enum Kind {
            /** The JVM's own descriptor. */
            INHERIT(Wire.STDIO_INHERIT),
            /** {@code /dev/null}. */
            NULL(Wire.STDIO_NULL),
            /** A host file, opened by the launcher. */
            FILE(Wire.STDIO_FILE),
            /** A pipe in the container, relayed by the launcher to a socket the JVM accepts. */
            RELAY(Wire.STDIO_RELAY),
            /**
             * A pseudo-terminal (all three fds): its slave is the command's controlling terminal,
             * its master relayed from the JVM's stream 0 and to its stream 1; the mode holds the
             * window size as {@code rows << 16 | columns}.
             */
            TTY(Wire.STDIO_TTY),
            /** fd 2 only: what fd 1 is, so that both are written in order ({@code 2>&1}). */
            STDOUT(Wire.STDIO_STDOUT);

            final int wire;

            Kind(int wire) {
                this.wire = wire;
            }

            static Kind fromWire(int wire) {
                for (Kind k : values()) {
                    if (k.wire == wire) {
                        return k;
                    }
                }
                throw new IllegalArgumentException("unknown stdio kind " + wire);
            }
        }

        /** {@code O_RDONLY}. */
        public static final int O_RDONLY = 0;
        /** {@code O_WRONLY|O_CREAT|O_TRUNC}. */
        public static final int O_WRITE_TRUNCATE = 0x1 | 0x40 | 0x200;
        /** {@code O_WRONLY|O_CREAT|O_APPEND}. */
        public static final int O_WRITE_APPEND = 0x1 | 0x40 | 0x400;

        /** Checks the path is given for a file. */
        public StdioOp {
            Objects.requireNonNull(kind, "kind");
            Objects.requireNonNull(path, "path");
        }

        /** @return the JVM's own descriptor */
        public static StdioOp inherit() {
            return new StdioOp(Kind.INHERIT, 0, 0, "");
        }

        /** @return /dev/null */
        public static StdioOp devNull() {
            return new StdioOp(Kind.NULL, 0, 0, "");
        }

        /** @return a stream relayed to the JVM */
        public static StdioOp relay() {
            return new StdioOp(Kind.RELAY, 0, 0, "");
        }

        /**
         * @param rows    the window's rows, 1 to 65535
         * @param columns the window's columns, 1 to 65535
         * @return a pseudo-terminal of that window size (to be given for all three fds)
         */
        public static StdioOp tty(int rows, int columns) {
            if (rows < 1 || rows > 0xffff || columns < 1 || columns > 0xffff) {
                throw new IllegalArgumentException("a terminal of " + columns + "x" + rows + " characters");
            }
            return new StdioOp(Kind.TTY, 0, rows << 16 | columns, "");
        }

        /** @return for fd 2: what fd 1 is ({@code 2>&1}) */
        public static StdioOp sameAsStdout() {
            return new StdioOp(Kind.STDOUT, 0, 0, "");
        }

        /** @param path host path @param openFlags open flags @param mode creation mode @return a file */
        public static StdioOp file(String path, int openFlags, int mode) {
            return new StdioOp(Kind.FILE, openFlags, mode, path);
        }
    }

    /**
     * The IDs to run the command as.
     *
     * @param uid    user ID
     * @param gid    group ID
     * @param groups supplementary groups
     */
    public record UserIds(int uid, int gid, List<Integer> groups) {
        /** Copies the groups. */
        public UserIds {
            groups = List.copyOf(groups);
        }
    }

    /**
     * A resource limit.
     *
     * @param resource the {@code RLIMIT_*} number
     * @param soft     soft limit ({@code -1} is infinity)
     * @param hard     hard limit ({@code -1} is infinity)
     */
    public record RlimitOp(int resource, long soft, long hard) {}

    /**
     * A compiled seccomp program: {@code struct sock_filter} entries, 8 bytes each, little-endian.
     *
     * @param program the bytes
     */
    public record SeccompBytes(byte[] program) {
        /** Copies and checks the length. */
        public SeccompBytes {
            if (program.length == 0 || program.length % 8 != 0) {
                throw new IllegalArgumentException("a seccomp program is a non-empty multiple of 8 bytes");
            }
            program = program.clone();
        }

        @Override
        public byte[] program() {
            return program.clone();
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof SeccompBytes s && Arrays.equals(program, s.program);
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(program);
        }

        @Override
        public String toString() {
            return "SeccompBytes[" + program.length / 8 + " instructions]";
        }
    }

    /**
     * Capability sets as bit masks (bit N is capability N).
     *
     * @param bounding    kept in the bounding set; every other capability is dropped from it
     * @param effective   effective set
     * @param permitted   permitted set
     * @param inheritable inheritable set
     * @param ambient     ambient capabilities to raise
     */
    public record CapabilitySets(long bounding, long effective, long permitted, long inheritable, long ambient) {}

    /**
     * Clone into a cgroup v2 directory ({@code clone3} {@code CLONE_INTO_CGROUP}); where the kernel
     * cannot, the container's first process writes {@code "0"} to its {@code cgroup.procs}.
     *
     * @param directory the directory's place among the plan's descriptors
     * @param procs     its {@code cgroup.procs}' place
     */
    public record CgroupClone(int directory, int procs) {}

    /**
     * Join a namespace: {@code setns(descriptor, nstype)}.
     *
     * @param descriptor the namespace's place among the plan's descriptors
     * @param nstype     its {@code CLONE_NEW*} flag, e.g. {@code Namespace.NETWORK.cloneFlag()}
     */
    public record SetnsOp(int descriptor, int nstype) {}

    /**
     * A bind's source as a detached mount tree.
     *
     * @param mount      the bind's place among the plan's mounts
     * @param descriptor the tree's place among the plan's descriptors
     */
    public record MountTree(int mount, int descriptor) {}

    /**
     * A pseudo-terminal pair.
     *
     * @param master its master's place among the plan's descriptors
     * @param slave  its slave's place
     */
    public record TtyPair(int master, int slave) {}

    /**
     * @param master a pseudo-terminal's master
     * @param slave  its slave
     * @return this plan with them as its terminal, carried as its last two descriptors
     */
    public LaunchPlan withTerminal(int master, int slave) {
        List<Integer> fds = new ArrayList<>(descriptors);
        fds.add(master);
        fds.add(slave);
        return new LaunchPlan(cloneFlags, commandAsPid1, stagingDir, mounts, rootReadOnly, hostname, loopback, stdio,
                argv, env, searchPath, cwd, user, rlimits, noNewPrivs, seccomp, umask, uidMap, gidMap, capabilities,
                denySetgroups, uidMapTool, gidMapTool, execFd, fds, writeZero, cloneIntoCgroup, readAtReap, zeroAtReap,
                setns, attachInStaging, commandParentDeath, mountTrees, idmap,
                Optional.of(new TtyPair(fds.size() - 2, fds.size() - 1)), gate);
    }

    /** @return whether its stdio is a terminal ({@link StdioOp#tty}), which the launcher needs opened */
    public boolean wantsTerminal() {
        return ttyPair.isEmpty() && stdio.stream().anyMatch(s -> s.kind() == StdioOp.Kind.TTY);
    }

    /** Builds a {@link LaunchPlan}; every list starts empty, stdio on /dev/null. */
    public static final class Builder {
        private int cloneFlags;
        private boolean commandAsPid1;
        private String stagingDir = "/tmp";
        private final List<MountOp> mounts = new ArrayList<>();
        private boolean rootReadOnly;
        private String hostname;
        private boolean loopback;
        private final StdioOp[] stdio = {StdioOp.devNull(), StdioOp.devNull(), StdioOp.devNull()};
        private List<String> argv = List.of();
        private List<String> env = List.of();
        private String searchPath;
        private String cwd;
        private UserIds user;
        private final List<RlimitOp> rlimits = new ArrayList<>();
        private boolean noNewPrivs;
        private SeccompBytes seccomp;
        private Integer umask;
        private String uidMap;
        private String gidMap;
        private CapabilitySets capabilities;
        private boolean denySetgroups;
        private String uidMapTool;
        private String gidMapTool;
        private Integer execFd;
        private final List<Integer> descriptors = new ArrayList<>();
        private final List<Integer> writeZero = new ArrayList<>();
        private CgroupClone cloneIntoCgroup;
        private final List<Integer> readAtReap = new ArrayList<>();
        private final List<Integer> zeroAtReap = new ArrayList<>();
        private final List<SetnsOp> setns = new ArrayList<>();
        private final List<Integer> attachInStaging = new ArrayList<>();
        private boolean commandParentDeath;
        private final List<MountTree> mountTrees = new ArrayList<>();
        private final List<Integer> idmap = new ArrayList<>();
        private TtyPair ttyPair;
        private Integer gate;

        Builder() {}

        /** @param flags CLONE_NEW* flags @return this */
        public Builder cloneFlags(int flags) { this.cloneFlags = flags; return this; }
        /** @param value true for no init @return this */
        public Builder commandAsPid1(boolean value) { this.commandAsPid1 = value; return this; }
        /** @param dir an existing host directory @return this */
        public Builder stagingDir(String dir) { this.stagingDir = dir; return this; }
        /** @param op a mount operation @return this */
        public Builder mount(MountOp op) { mounts.add(op); return this; }
        /** @param value read-only root @return this */
        public Builder rootReadOnly(boolean value) { this.rootReadOnly = value; return this; }
        /** @param name the hostname @return this */
        public Builder hostname(String name) { this.hostname = name; return this; }
        /** @param value bring lo up @return this */
        public Builder loopback(boolean value) { this.loopback = value; return this; }
        /** @param fd 0, 1 or 2 @param op what it becomes @return this */
        public Builder stdio(int fd, StdioOp op) {
            if (op.kind() == StdioOp.Kind.STDOUT && fd != 2) {
                throw new IllegalArgumentException("STDOUT (2>&1) is for fd 2 only, not fd " + fd);
            }
            stdio[fd] = Objects.requireNonNull(op);
            return this;
        }
        /** @param argv command and arguments @return this */
        public Builder argv(List<String> argv) { this.argv = List.copyOf(argv); return this; }
        /** @param env K=V strings @return this */
        public Builder env(List<String> env) { this.env = List.copyOf(env); return this; }
        /** @param path a PATH value @return this */
        public Builder searchPath(String path) { this.searchPath = path; return this; }
        /** @param dir working directory @return this */
        public Builder cwd(String dir) { this.cwd = dir; return this; }
        /** @param ids the user @return this */
        public Builder user(UserIds ids) { this.user = ids; return this; }
        /** @param op a resource limit @return this */
        public Builder rlimit(RlimitOp op) { rlimits.add(op); return this; }
        /** @param value set no_new_privs @return this */
        public Builder noNewPrivs(boolean value) { this.noNewPrivs = value; return this; }
        /** @param program compiled filter @return this */
        public Builder seccomp(SeccompBytes program) { this.seccomp = program; return this; }
        /** @param mask the umask @return this */
        public Builder umask(int mask) { this.umask = mask; return this; }
        /** @param map uid_map contents @return this */
        public Builder uidMap(String map) { this.uidMap = map; return this; }
        /** @param map gid_map contents @return this */
        public Builder gidMap(String map) { this.gidMap = map; return this; }
        /** @param sets capability sets @return this */
        public Builder capabilities(CapabilitySets sets) { this.capabilities = sets; return this; }
        /** @param value deny setgroups in the user namespace @return this */
        public Builder denySetgroups(boolean value) { this.denySetgroups = value; return this; }
        /** @param program a newuidmap path @return this */
        public Builder uidMapTool(String program) { this.uidMapTool = program; return this; }
        /** @param program a newgidmap path @return this */
        public Builder gidMapTool(String program) { this.gidMapTool = program; return this; }
        /** @param fd the descriptor to exec the command through @return this */
        public Builder execFd(int fd) { this.execFd = fd; return this; }
        /**
         * @param fd one of this JVM's descriptors, to send with the plan
         * @return its place among the plan's descriptors, for the operations (the same for the same fd)
         */
        public int descriptor(int fd) {
            int at = descriptors.indexOf(fd);
            if (at < 0) {
                descriptors.add(fd);
                at = descriptors.size() - 1;
            }
            return at;
        }
        /** @param index a descriptor's place, to write "0" to before the command @return this */
        public Builder writeZero(int index) { writeZero.add(index); return this; }
        /** @param clone the cgroup v2 directory to clone into, and its cgroup.procs @return this */
        public Builder cloneIntoCgroup(CgroupClone clone) { this.cloneIntoCgroup = clone; return this; }
        /** @param index a descriptor's place, to read right after the reap @return this */
        public Builder readAtReap(int index) { readAtReap.add(index); return this; }
        /** @param index a descriptor's place, to write "0" to once every readAtReap one is read @return this */
        public Builder zeroAtReap(int index) { zeroAtReap.add(index); return this; }
        /** @param op a namespace to join @return this */
        public Builder setns(SetnsOp op) { setns.add(op); return this; }
        /** @param index a detached mount tree's place, to attach at /ovl-INDEX in the staging tmpfs @return this */
        public Builder attachInStaging(int index) { attachInStaging.add(index); return this; }
        /** @param value kill the command when its starter dies (an exec) @return this */
        public Builder commandParentDeath(boolean value) { this.commandParentDeath = value; return this; }
        /** @param tree a bind's source as a detached mount tree @return this */
        public Builder mountTree(MountTree tree) { mountTrees.add(tree); return this; }
        /** @param index a detached mount tree's place, to idmap for the container's user namespace @return this */
        public Builder idmap(int index) { idmap.add(index); return this; }
        /** @param pair a pseudo-terminal's places @return this */
        public Builder ttyPair(TtyPair pair) { this.ttyPair = pair; return this; }
        /** @param index a descriptor's place (a {@link GatePipe}'s write end), the container's gate @return this */
        public Builder gate(int index) { this.gate = index; return this; }
        /** @return the places of the trees attached in the staging tmpfs so far */
        public List<Integer> attachedInStaging() { return List.copyOf(attachInStaging); }
        /** @return how many mounts the plan has so far */
        public int mountCount() { return mounts.size(); }
        /** @return how many descriptors the plan carries so far */
        public int descriptorCount() { return descriptors.size(); }

        /** @return the plan */
        public LaunchPlan build() {
            return new LaunchPlan(cloneFlags, commandAsPid1, stagingDir, mounts, rootReadOnly,
                    Optional.ofNullable(hostname), loopback, Arrays.asList(stdio), argv, env,
                    Optional.ofNullable(searchPath), Optional.ofNullable(cwd), Optional.ofNullable(user),
                    rlimits, noNewPrivs, Optional.ofNullable(seccomp),
                    umask == null ? OptionalInt.empty() : OptionalInt.of(umask),
                    Optional.ofNullable(uidMap), Optional.ofNullable(gidMap), Optional.ofNullable(capabilities),
                    denySetgroups, Optional.ofNullable(uidMapTool), Optional.ofNullable(gidMapTool),
                    execFd == null ? OptionalInt.empty() : OptionalInt.of(execFd),
                    descriptors, writeZero, Optional.ofNullable(cloneIntoCgroup), readAtReap, zeroAtReap, setns,
                    attachInStaging, commandParentDeath, mountTrees, idmap, Optional.ofNullable(ttyPair),
                    gate == null ? OptionalInt.empty() : OptionalInt.of(gate));
        }
    }
}
