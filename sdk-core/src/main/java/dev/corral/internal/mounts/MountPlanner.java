package dev.corral.internal.mounts;

import dev.corral.ContainerSpec;
import dev.corral.Mount;
import dev.corral.Rootfs;
import dev.corral.namespaces.launcher.LaunchPlan.MountOp;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Where a container's mount table is decided: the root file system, {@code /proc}, a minimal
 * {@code /dev}, the OCI masked and read-only paths of {@code /proc}, {@code /tmp}, then the
 * caller's mounts, parents before children. The launcher executes the list in order
 * ({@code mounts.c}, {@code mounts_set_up}), each entry one of its generic operations (bind,
 * file system, symbolic link, device node) with the flags and options decided here.
 *
 * <pre>{@code
 * List<PlannedMount> table = MountPlanner.plan(spec, false);
 * }</pre>
 */
public final class MountPlanner {

    /** The host directories the host read-only view shows, as bubblewrap's common use does. */
    static final List<String> HOST_VIEW = List.of("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc");

    /** Device nodes of the minimal /dev: name, major, minor. */
    private static final Object[][] DEVICES = {
        {"null", 1, 3}, {"zero", 1, 5}, {"full", 1, 7}, {"random", 1, 8}, {"urandom", 1, 9}, {"tty", 5, 0},
    };

    /** Masked in /proc, as the OCI runtimes do (crun, runc): kernel memory, keys, timers, sysrq. */
    static final List<String> MASKED_PROC = List.of("/proc/acpi", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
            "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi", "/proc/sysrq-trigger");

    /** Read-only in /proc: sysctls and bus, file system and interrupt settings. */
    static final List<String> READ_ONLY_PROC = List.of("/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys");

    private static final int BIND_RO = MountOp.RDONLY | MountOp.NOSUID | MountOp.NODEV | MountOp.RECURSIVE;

    /**
     * One operation with what it means to the caller, for error messages.
     *
     * @param op          the operation
     * @param role        what it is for
     * @param userMount   the caller's mount it comes from, if any
     */
    public record PlannedMount(MountOp op, Role role, java.util.Optional<Mount> userMount) {}

    /** What a planned operation is for. */
    public enum Role {
        /** The root file system itself. */
        ROOT,
        /** Part of the host read-only view. */
        HOST_VIEW,
        /** /proc, /dev, /tmp. */
        SYSTEM,
        /** A mount the caller asked for. */
        USER
    }

    private MountPlanner() {}

    /**
     * @param spec          the container
     * @param userNamespace whether the container has a user namespace (device nodes are then
     *                      bound from the host, since mknod is not allowed there)
     * @return the operations in order
     */
    public static List<PlannedMount> plan(ContainerSpec spec, boolean userNamespace) {
        return plan(spec, userNamespace, java.util.Optional.empty());
    }

    /**
     * @param spec          the container
     * @param userNamespace whether the container has a user namespace
     * @param root          the root mount prepared on the host (an image's overlay), used
     *                      instead of what the spec's root file system would give
     * @return the operations in order
     */
    public static List<PlannedMount> plan(ContainerSpec spec, boolean userNamespace, java.util.Optional<MountOp> root) {
        List<PlannedMount> ops = new ArrayList<>();
        if (root.isPresent()) {
            ops.add(new PlannedMount(root.get(), Role.ROOT, java.util.Optional.empty()));
        } else if (spec.rootfs() instanceof Rootfs.Directory d) {
            ops.add(new PlannedMount(MountOp.bind(hostPath(d.path()), "/", MountOp.RECURSIVE), Role.ROOT,
                    java.util.Optional.empty()));
        } else {
            ops.add(new PlannedMount(MountOp.tmpfs("/", MountOp.NOSUID | MountOp.NODEV, "mode=0755"), Role.ROOT,
                    java.util.Optional.empty()));
            for (String dir : HOST_VIEW) {
                Path p = Path.of(dir);
                if (Files.isSymbolicLink(p)) {
                    try {
                        ops.add(system(MountOp.symlink(Files.readSymbolicLink(p).toString(), dir), Role.HOST_VIEW));
                    } catch (IOException e) {
                        /* not readable: leave it out, as a missing directory */
                    }
                } else if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
                    ops.add(system(MountOp.bind(dir, dir, BIND_RO), Role.HOST_VIEW));
                }
            }
        }
        ops.add(system(MountOp.proc("/proc"), Role.SYSTEM));
        addDev(ops, userNamespace);
        if (spec.security().maskedPaths()) { /* after /dev: a file's mask is its /dev/null */
            /* the container's procfs is the kernel's, as the host's is: a directory here is one there */
            MASKED_PROC.forEach(p -> ops.add(system(MountOp.mask(p, Files.isDirectory(Path.of(p))), Role.SYSTEM)));
            READ_ONLY_PROC.forEach(p -> ops.add(system(MountOp.readOnly(p), Role.SYSTEM)));
        }
        ops.add(system(MountOp.tmpfs("/tmp", MountOp.NOSUID | MountOp.NODEV, "mode=1777"), Role.SYSTEM));

        List<Mount> user = new ArrayList<>(spec.mounts());
        user.sort(Comparator.comparingInt(m -> depth(m.target()))); /* stable: parents first */
        for (Mount m : user) {
            MountOp op;
            if (m instanceof Mount.Bind b) {
                int flags = MountOp.NOSUID | MountOp.NODEV | MountOp.RECURSIVE | (b.readOnly() ? MountOp.RDONLY : 0);
                op = MountOp.bind(hostPath(b.source()), b.target(), flags);
            } else if (m instanceof Mount.Volume v) {
                Path dir = v.store().volume(v.name()); /* created on first use */
                /* store data, owned by host IDs: idmapped so a user namespace's root owns it too */
                int flags = MountOp.NOSUID | MountOp.NODEV | MountOp.IDMAP | (v.readOnly() ? MountOp.RDONLY : 0);
                op = MountOp.bind(hostPath(dir), v.target(), flags);
            } else {
                Mount.Tmpfs t = (Mount.Tmpfs) m;
                String data = "mode=1777" + t.size().map(s -> ",size=" + s.bytes()).orElse("");
                op = MountOp.tmpfs(t.target(), MountOp.NOSUID | MountOp.NODEV, data);
            }
            ops.add(new PlannedMount(op, Role.USER, java.util.Optional.of(m)));
        }
        if (spec.security().maskedPaths() && user.stream().anyMatch(m -> m.target().equals("/sys"))) {
            ops.add(system(MountOp.mask("/sys/firmware", true), Role.SYSTEM)); /* sysfs's is a directory */
        }
        return ops;
    }

    /** The host's cgroup mounts, read once: where each of a container's cgroup directories lives. */
    private static volatile dev.corral.cgroups.CgroupHierarchy hierarchy;

    /**
     * The container's own cgroup, and nothing above or beside it, read-only at
     * {@code /sys/fs/cgroup}: a tmpfs on {@code /sys}, then each of the cgroup's directories
     * (one per v1 hierarchy, or the v2 one) bound read-only where the host mounts its hierarchy
     * ({@code /sys/fs/cgroup/memory}, ... or {@code /sys/fs/cgroup} itself on v2), then the whole
     * of {@code /sys} read-only. The container's first process enters its cgroup namespace once
     * it is in the cgroup, so {@code /proc/self/cgroup} says {@code /} and the kernel shows each
     * bind's root in {@code /proc/self/mountinfo} as {@code /} too: the pair HotSpot, Go, .NET
     * and Node look for to find their memory and CPU limits. Without a cgroup namespace both
     * show the same host path, which HotSpot also follows.
     *
     * <pre>{@code
     * mounts.addAll(MountPlanner.cgroupView(spec, cgroupDirs, prepared.rootMount()));
     * }</pre>
     *
     * @param spec       the container
     * @param cgroupDirs the container's cgroup directories on the host
     * @param root       the root mount prepared on the host, if any
     * @return the operations, none if the container has no mount namespace, mounts something at
     *     or below {@code /sys} itself, or has a root directory without {@code /sys}
     */
    public static List<PlannedMount> cgroupView(ContainerSpec spec, List<Path> cgroupDirs, java.util.Optional<MountOp> root) {
        if (cgroupDirs.isEmpty() || !spec.security().namespaces().contains(dev.corral.namespaces.Namespace.MOUNT)
                || spec.mounts().stream().anyMatch(m -> m.target().equals("/sys") || m.target().startsWith("/sys/"))
                || (root.isEmpty() && spec.rootfs() instanceof Rootfs.Directory d
                        && !Files.isDirectory(d.path().resolve("sys"), LinkOption.NOFOLLOW_LINKS))) {
            return List.of(); /* never create /sys in a caller's directory */
        }
        dev.corral.cgroups.CgroupHierarchy h = hierarchy;
        if (h == null) {
            hierarchy = h = dev.corral.cgroups.CgroupHierarchy.detect();
        }
        List<Path> mountPoints = new ArrayList<>(h.v1Mounts().values());
        h.unifiedMount().ifPresent(mountPoints::add);
        List<PlannedMount> ops = new ArrayList<>();
        ops.add(system(MountOp.tmpfs("/sys", MountOp.NOSUID | MountOp.NODEV | MountOp.NOEXEC, "mode=0755,size=64k"),
                Role.SYSTEM));
        java.util.Set<String> targets = new java.util.HashSet<>();
        for (Path dir : cgroupDirs) {
            Path mount = mountPoints.stream().filter(dir::startsWith)
                    .max(Comparator.comparingInt(Path::getNameCount)).orElse(null);
            if (mount == null) {
                continue;
            }
            String target = mount.startsWith("/sys/fs/cgroup") ? mount.toString()
                    : "/sys/fs/cgroup/" + mount.getFileName();
            if (targets.add(target)) {
                ops.add(system(MountOp.bind(dir.toString(), target,
                        MountOp.RDONLY | MountOp.NOSUID | MountOp.NODEV | MountOp.NOEXEC), Role.SYSTEM));
            }
        }
        ops.add(system(MountOp.readOnly("/sys"), Role.SYSTEM));
        return ops;
    }

    private static void addDev(List<PlannedMount> ops, boolean userNamespace) {
        ops.add(system(MountOp.tmpfs("/dev", MountOp.NOSUID | MountOp.NOEXEC, "mode=0755,size=64k"), Role.SYSTEM));
        for (Object[] dev : DEVICES) {
            String path = "/dev/" + dev[0];
            ops.add(system(userNamespace
                    ? MountOp.bind(path, path, MountOp.NOSUID | MountOp.NOEXEC)
                    : MountOp.mknod(path, 0666, (Integer) dev[1], (Integer) dev[2]), Role.SYSTEM));
        }
        ops.add(system(MountOp.devpts("/dev/pts", "newinstance,ptmxmode=0666,mode=0620"), Role.SYSTEM));
        ops.add(system(MountOp.symlink("pts/ptmx", "/dev/ptmx"), Role.SYSTEM));
        ops.add(system(MountOp.tmpfs("/dev/shm", MountOp.NOSUID | MountOp.NODEV, "mode=1777"), Role.SYSTEM));
        ops.add(system(MountOp.symlink("/proc/self/fd", "/dev/fd"), Role.SYSTEM));
        ops.add(system(MountOp.symlink("/proc/self/fd/0", "/dev/stdin"), Role.SYSTEM));
        ops.add(system(MountOp.symlink("/proc/self/fd/1", "/dev/stdout"), Role.SYSTEM));
        ops.add(system(MountOp.symlink("/proc/self/fd/2", "/dev/stderr"), Role.SYSTEM));
    }

    private static PlannedMount system(MountOp op, Role role) {
        return new PlannedMount(op, role, java.util.Optional.empty());
    }

    private static int depth(String path) {
        return (int) path.chars().filter(c -> c == '/').count();
    }

    /**
     * The launcher resolves host paths below the host's root after leaving it, where an
     * absolute symlink on the way would point elsewhere: resolve symlinks now. A path that
     * does not exist is passed on as it is, for the launcher to report ENOENT at its step.
     */
    static String hostPath(Path path) {
        try {
            return path.toRealPath().toString();
        } catch (IOException e) {
            return path.toAbsolutePath().normalize().toString();
        }
    }
}
