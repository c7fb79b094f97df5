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
 * @param cgroupJoinFiles v1 {@code tasks} files the container's first process writes itself to
 *                      (through descriptors the launcher opens), after its mounts, before the command.
 *                      The launcher keeps these, the counter files and the cgroup directory open
 *                      for the next plans that name them: a path must name the same cgroup for as
 *                      long as the launcher lives (a removed cgroup's path is never given again)
 * @param uidMap        the user namespace's {@code uid_map}
 * @param gidMap        the user namespace's {@code gid_map}
 * @param capabilities  the capability sets, or empty to leave them as the kernel makes them
 * @param denySetgroups write {@code deny} to the user namespace's {@code setgroups} before its
 *                      gid map, and leave the supplementary groups alone (rootless without newgidmap)
 * @param uidMapTool    a {@code newuidmap} program that writes the uid map instead of the launcher
 * @param gidMapTool    a {@code newgidmap} program that writes the gid map instead of the launcher
 * @param cgroupDirectory a cgroup v2 directory to clone the container into ({@code clone3}
 *                      {@code CLONE_INTO_CGROUP}; its {@code cgroup.procs} where that is not possible)
 * @param execFd        exec the command through this descriptor ({@code execveat}, {@code AT_EMPTY_PATH}):
 *                      the launcher opens the resolved program {@code O_PATH} onto it before the
 *                      rlimits, so that a seccomp filter may allow only that one exec
 * @param counterFiles  files (a cgroup's counters, up to 16) the launcher reads right after the
 *                      container's first process is reaped and sends with the exit, in
 *                      {@link ExitReport#counterFiles()}: read there, they cost the result's path
 *                      no JVM file reads
 * @param counterResetFiles files (up to 16) the launcher writes "0" to right after it has read
 *                      every counter file, before it sends the exit: they set a cgroup's counters
 *                      back for its next container ({@link ExitReport#countersReset()})
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
        List<String> cgroupJoinFiles,
        Optional<String> uidMap,
        Optional<String> gidMap,
        Optional<CapabilitySets> capabilities,
        boolean denySetgroups,
        Optional<String> uidMapTool,
        Optional<String> gidMapTool,
        OptionalInt execFd,
        Optional<String> cgroupDirectory,
        List<String> counterFiles,
        List<String> counterResetFiles) {

    /** The most counter files a plan may name (the launcher's MAX_COUNTER_FILES). */
    public static final int MAX_COUNTER_FILES = Wire.MAX_COUNTER_FILES;

    /** Checks the shape the launcher relies on; values are the caller's business. */
    public LaunchPlan {
        Objects.requireNonNull(stagingDir, "stagingDir");
        mounts = List.copyOf(mounts);
        stdio = List.copyOf(stdio);
        argv = List.copyOf(argv);
        env = List.copyOf(env);
        rlimits = List.copyOf(rlimits);
        cgroupJoinFiles = List.copyOf(cgroupJoinFiles);
        counterFiles = List.copyOf(counterFiles);
        counterResetFiles = List.copyOf(counterResetFiles);
        if (counterFiles.size() > MAX_COUNTER_FILES || counterResetFiles.size() > MAX_COUNTER_FILES) {
            throw new IllegalArgumentException("a plan has at most " + MAX_COUNTER_FILES + " counter files and as many"
                    + " counter reset files, not " + counterFiles.size() + " and " + counterResetFiles.size());
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
     * @param kind   what to do
     * @param flags  {@link #RDONLY}, {@link #NOSUID}, {@link #NODEV}, {@link #NOEXEC}, {@link #RECURSIVE},
     *               {@link #IDMAP}
     * @param mode   permission bits, for {@link Kind#MKDIR} and {@link Kind#MKNOD}
     * @param major  device major number, for {@link Kind#MKNOD}
     * @param minor  device minor number, for {@link Kind#MKNOD}
     * @param source a host path for {@link Kind#BIND}; the link's contents for {@link Kind#SYMLINK}
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

        /** The kinds of operation the launcher knows; the numbers cross the wire. */
        public enum Kind {
            /** Bind a host path. */
            BIND(Wire.MOUNT_BIND),
            /** Mount a tmpfs. */
            TMPFS(Wire.MOUNT_TMPFS),
            /** Mount a procfs of the container's PID namespace. */
            PROC(Wire.MOUNT_PROC),
            /** Mount a new devpts instance. */
            DEVPTS(Wire.MOUNT_DEVPTS),
            /** Mount an mqueue file system. */
            MQUEUE(Wire.MOUNT_MQUEUE),
            /** Create a directory. */
            MKDIR(Wire.MOUNT_MKDIR),
            /** Create a symbolic link. */
            SYMLINK(Wire.MOUNT_SYMLINK),
            /** Create a character device node. */
            MKNOD(Wire.MOUNT_MKNOD),
            /**
             * Hide a path if it exists: bind the host's {@code /dev/null} read-only over a file, or
             * mount an empty read-only tmpfs over a directory (OCI masked paths).
             */
            MASK(Wire.MOUNT_MASK),
            /** Bind a path of the new root onto itself read-only, recursively, if it exists (OCI read-only paths). */
            READONLY(Wire.MOUNT_READONLY),
            /**
             * Mount an overlay: {@code source} holds the host lower directories joined by
             * {@code ':'}, top first; {@code data} holds options, where {@code upperdir=} and
             * {@code workdir=} values are host paths. The launcher resolves every host path below
             * the host's root, as for {@link #BIND}.
             */
            OVERLAY(Wire.MOUNT_OVERLAY);

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
            return new MountOp(Kind.TMPFS, flags, 0, 0, 0, "", target, data);
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

        /** @param target container path @return a procfs mount */
        public static MountOp proc(String target) {
            return new MountOp(Kind.PROC, 0, 0, 0, 0, "", target, "");
        }

        /** @param target container path @param data options @return a devpts mount */
        public static MountOp devpts(String target, String data) {
            return new MountOp(Kind.DEVPTS, 0, 0, 0, 0, "", target, data);
        }

        /** @param target container path @param mode permissions @return a directory creation */
        public static MountOp mkdir(String target, int mode) {
            return new MountOp(Kind.MKDIR, 0, mode, 0, 0, "", target, "");
        }

        /** @param linkContents what the link points to @param target container path @return a symlink creation */
        public static MountOp symlink(String linkContents, String target) {
            return new MountOp(Kind.SYMLINK, 0, 0, 0, 0, linkContents, target, "");
        }

        /** @param target container path @return a mask over it, if it exists */
        public static MountOp mask(String target) {
            return new MountOp(Kind.MASK, 0, 0, 0, 0, "", target, "");
        }

        /** @param target container path @return a read-only self-bind, if it exists */
        public static MountOp readOnly(String target) {
            return new MountOp(Kind.READONLY, 0, 0, 0, 0, "", target, "");
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
        private final List<String> cgroupJoinFiles = new ArrayList<>();
        private String uidMap;
        private String gidMap;
        private CapabilitySets capabilities;
        private boolean denySetgroups;
        private String uidMapTool;
        private String gidMapTool;
        private Integer execFd;
        private String cgroupDirectory;
        private final List<String> counterFiles = new ArrayList<>();
        private final List<String> counterResetFiles = new ArrayList<>();

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
        /** @param file a v1 tasks file to join through @return this */
        public Builder cgroupJoinFile(String file) { cgroupJoinFiles.add(file); return this; }
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
        /** @param dir a cgroup v2 directory to clone into @return this */
        public Builder cgroupDirectory(String dir) { this.cgroupDirectory = dir; return this; }
        /** @param file a file to read right after the exit @return this */
        public Builder counterFile(String file) { counterFiles.add(file); return this; }
        /** @param file a file to write "0" to once the counter files are read @return this */
        public Builder counterResetFile(String file) { counterResetFiles.add(file); return this; }

        /** @return the plan */
        public LaunchPlan build() {
            return new LaunchPlan(cloneFlags, commandAsPid1, stagingDir, mounts, rootReadOnly,
                    Optional.ofNullable(hostname), loopback, Arrays.asList(stdio), argv, env,
                    Optional.ofNullable(searchPath), Optional.ofNullable(cwd), Optional.ofNullable(user),
                    rlimits, noNewPrivs, Optional.ofNullable(seccomp),
                    umask == null ? OptionalInt.empty() : OptionalInt.of(umask), cgroupJoinFiles,
                    Optional.ofNullable(uidMap), Optional.ofNullable(gidMap), Optional.ofNullable(capabilities),
                    denySetgroups, Optional.ofNullable(uidMapTool), Optional.ofNullable(gidMapTool),
                    execFd == null ? OptionalInt.empty() : OptionalInt.of(execFd), Optional.ofNullable(cgroupDirectory),
                    counterFiles, counterResetFiles);
        }
    }
}
