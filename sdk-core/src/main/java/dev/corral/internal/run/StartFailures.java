package dev.corral.internal.run;

import dev.corral.CommandNotExecutableException;
import dev.corral.CommandNotFoundException;
import dev.corral.ContainerSpec;
import dev.corral.ContainerStartException;
import dev.corral.Mount;
import dev.corral.MountSourceNotFoundException;
import dev.corral.NamespacePermissionException;
import dev.corral.Rootfs;
import dev.corral.RootfsUnavailableException;
import dev.corral.internal.mounts.MountPlanner.PlannedMount;
import dev.corral.internal.mounts.MountPlanner.Role;
import dev.corral.namespaces.launcher.LaunchFailure;
import dev.corral.namespaces.LaunchStep;
import dev.corral.namespaces.launcher.LaunchPlan.MountOp;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;

/** Turns the launcher's (step, errno, index) into a typed exception that says what to do. */
final class StartFailures {
    private static final int EPERM = 1, ENOENT = 2, EACCES = 13, ENOTDIR = 20, EINVAL = 22, ENOSPC = 28,
            ENOEXEC = 8, EUSERS = 87, ENAMETOOLONG = 36;

    private StartFailures() {}

    static ContainerStartException map(LaunchFailure f, ContainerSpec spec, List<String> command,
                                       List<PlannedMount> mounts) {
        LaunchStep step = f.step().orElse(null);
        int e = f.errno();
        String name = f.errnoName();
        Optional<LaunchStep> s = f.step();
        if (step == null) {
            return new ContainerStartException("unknown launcher step " + f, s, OptionalInt.of(e), Optional.of(name),
                    "the launcher and this library disagree: rebuild them together", null);
        }
        switch (step) {
            case CLONE:
                if (e == EPERM || e == EINVAL || e == ENOSPC || e == EUSERS) {
                    Optional<String> probed = dev.corral.namespaces.HostSecurity.probe().namespaceHint();
                    return new NamespacePermissionException("create the container's namespaces", s, OptionalInt.of(e), Optional.of(name),
                            probed.isPresent() ? probed.get()
                                    : e == ENOSPC || e == EUSERS
                                    ? "a namespace limit is reached: raise user.max_*_namespaces (sysctl) or end other containers"
                                    : "this process may not create the container's namespaces: run as root "
                                    + "(CAP_SYS_ADMIN), or where unprivileged user namespaces are enabled"
                                    + " (kernel.unprivileged_userns_clone=1, user.max_user_namespaces>0), and outside "
                                    + "a seccomp filter or security module that forbids clone/unshare (corral doctor tells)");
                }
                break;
            case UID_MAP:
            case GID_MAP:
            case SETGROUPS_DENY:
                return new NamespacePermissionException(step.action() + " for " + spec.security().userNamespace(), s, OptionalInt.of(e),
                        Optional.of(name), f.index() == 1 ? "newuidmap/newgidmap refused the map: check /etc/subuid and /etc/subgid "
                        + "hold ranges for this user (its message is on the launcher's stderr)"
                        : dev.corral.namespaces.HostSecurity.probe().namespaceHint().isPresent()
                        ? dev.corral.namespaces.HostSecurity.probe().namespaceHint().get()
                        : "this process may map only IDs it holds: use UserNamespace.auto() or callerAsRoot(), "
                        + "or run as root");
            case RLIMIT:
                return new ContainerStartException("set resource limit " + spec.security().rlimits().stream()
                        .filter(r -> r.resource().number() == rlimitResource(spec, f.index())).findFirst()
                        .map(Object::toString).orElse("#" + f.index()), s, OptionalInt.of(e), Optional.of(name),
                        "a hard limit can only be raised above the JVM's own with CAP_SYS_RESOURCE on the host (a user "
                        + "namespace does not give it); nofile also stops at fs.nr_open", null);
            case SECCOMP:
                return new ContainerStartException("install the seccomp filter", s, OptionalInt.of(e), Optional.of(name),
                        "the kernel refused the compiled profile (EINVAL: too long or invalid; EACCES: no_new_privs "
                        + "is off and the process lacks CAP_SYS_ADMIN)", null);
            case CAP_BOUNDING:
            case CAPSET:
            case CAP_AMBIENT:
                return new ContainerStartException(step.action() + " (capability " + f.index() + ")", s, OptionalInt.of(e), Optional.of(name),
                        "the capability is not in this process's own bounding set (nested in a container that dropped it?)",
                        null);
            case EXEC: {
                String cmd = command.get(0);
                String where = cmd.contains("/") ? "" : " (searched " + PlanFactory.searchPath(spec) + ")";
                if (e == ENOENT || e == ENOTDIR) {
                    return new CommandNotFoundException("command '" + cmd + "' not found in the container" + where,
                            s, OptionalInt.of(e), Optional.of(name), rootfsHint(spec) + "; or give its full path");
                }
                if (e == EACCES || e == ENOEXEC || e == EPERM) {
                    return new CommandNotExecutableException("command '" + cmd + "' cannot be executed in the container"
                            + where, s, OptionalInt.of(e), Optional.of(name), e == ENOEXEC
                            ? "it is not a program this kernel runs (wrong architecture, or a script without '#!')"
                            : "it needs execute permission (chmod +x) on a file system mounted without noexec");
                }
                break;
            }
            case CHDIR:
                return new ContainerStartException("change to the working directory " + spec.workingDirectory(), s, OptionalInt.of(e),
                        Optional.of(name), "create it in the root file system, or mount something there", null);
            case STDIO_OPEN:
                return new ContainerStartException("open " + stdioPath(spec, f.index()).map(p -> p + " ").orElse("")
                        + "for " + streamName(f.index()), s, OptionalInt.of(e), Optional.of(name),
                        e == ENOENT ? "the host path (or a directory on it) does not exist"
                                : "check the host path exists and this process may open it", null);
            default:
                break;
        }
        if (f.index() >= 0 && f.index() < mounts.size() && isMountStep(step)) {
            PlannedMount m = mounts.get(f.index());
            String what = describe(m);
            if (step == LaunchStep.MOUNT_FS && m.op().kind() == MountOp.Kind.OVERLAY) {
                return overlayFailure(m, s, e, name);
            }
            if (step == LaunchStep.MOUNT_BIND && e == EACCES && (m.role() == Role.ROOT || m.role() == Role.USER)) {
                /* a user namespace's root is an unprivileged host ID: it may not even see whether
                   a path under a private directory exists; the JVM can tell */
                java.nio.file.Path src = java.nio.file.Path.of(m.op().source());
                if (!java.nio.file.Files.exists(src)) {
                    e = ENOENT;
                    name = "ENOENT";
                } else if (m.role() == Role.ROOT && !java.nio.file.Files.isDirectory(src)) {
                    e = ENOTDIR;
                    name = "ENOTDIR";
                } else {
                    return new NamespacePermissionException(what, s, OptionalInt.of(e), Optional.of(name), "the container's root is an unprivileged "
                            + "host ID (user namespace): let others search " + src + " and its parents (chmod o+x), or "
                            + "map IDs that own it (userNamespace(...)), or opt in to privilegedRoot()");
                }
            }
            if (m.role() == Role.ROOT && (e == ENOENT || e == ENOTDIR) && spec.rootfs() instanceof Rootfs.Directory) {
                Rootfs.Directory d = (Rootfs.Directory) spec.rootfs();
                return new RootfsUnavailableException("root file system " + d.path()
                        + (e == ENOENT ? " does not exist" : " is not a directory"), s, OptionalInt.of(e), Optional.of(name),
                        "point Rootfs.directory(...) at an unpacked root file system (a directory with bin/, lib/, ...)");
            }
            if (m.role() == Role.USER && step == LaunchStep.MOUNT_BIND && e == ENOENT
                    && m.userMount().orElseThrow() instanceof Mount.Bind b) {
                return new MountSourceNotFoundException("bind mount source " + b.source() + " (for " + b.target()
                        + ") does not exist", s, OptionalInt.of(e), Optional.of(name), "create it on the host first, or fix the path");
            }
            if ((e == EPERM || e == EACCES) && PlanFactory.usesUserNamespace(spec)
                    && (step == LaunchStep.MOUNT_TARGET || isFileSystemStep(step))) {
                return new NamespacePermissionException(what, s, OptionalInt.of(e), Optional.of(name), "the container's root is an unprivileged host "
                        + "ID (user namespace) and may not create " + m.op().target() + " in a root file system it "
                        + "does not own: create the directory in the root file system first");
            }
            if (e == EPERM || e == EACCES) {
                return new NamespacePermissionException(what, s, OptionalInt.of(e), Optional.of(name),
                        "the launcher may not mount here: run as root, or check for a security module (AppArmor, "
                        + "SELinux) or a seccomp filter that forbids mount");
            }
            return new ContainerStartException(what, s, OptionalInt.of(e), Optional.of(name), null);
        }
        return new ContainerStartException(step.action(), s, OptionalInt.of(e), Optional.of(name), null);
    }

    /** The plan's rlimits are the spec's, in order, then possibly the judge's nofile: index -> resource. */
    private static int rlimitResource(ContainerSpec spec, int index) {
        var l = spec.security().rlimits();
        return index >= 0 && index < l.size() ? l.get(index).resource().number() : -1;
    }

    private static boolean isMountStep(LaunchStep step) {
        return switch (step) {
            case MOUNT_TARGET, MOUNT_KIND, MOUNT_BIND, MOUNT_BIND_SOURCE_STAT, MOUNT_BIND_FLAGS_OPEN, MOUNT_BIND_FLAGS,
                    MAKE_SYMLINK, MAKE_FILE -> true; /* an overlay layer's index is its attach op's */
            default -> isFileSystemStep(step);
        };
    }

    private static boolean isFileSystemStep(LaunchStep step) {
        return switch (step) {
            case MOUNT_FS, MOUNT_FS_OPEN, MOUNT_FS_CONFIG, MOUNT_FS_CREATE, MOUNT_FS_DETACHED, MOUNT_FS_ATTACH -> true;
            default -> false;
        };
    }

    private static ContainerStartException overlayFailure(PlannedMount m, Optional<LaunchStep> s, int e, String name) {
        return new ContainerStartException("mount the image's layers as an overlay on " + m.op().target(), s,
                OptionalInt.of(e), Optional.of(name),
                (e == EPERM || e == EACCES ? "overlayfs needs root (rootless overlay is issue 5)"
                        : e == ENAMETOOLONG ? "the layer paths do not fit in one page of mount options: "
                        + "use an image store with a shorter path"
                        : "the kernel refused the overlay (see dmesg): the image store must be on a file "
                        + "system overlayfs accepts for its upper directory (ext4, xfs, btrfs, tmpfs; not "
                        + "overlayfs itself, NFS or FUSE), and the kernel needs overlayfs (modprobe overlay)"),
                null);
    }

    private static String describe(PlannedMount m) {
        var op = m.op();
        if ((op.flags() & MountOp.IF_EXISTS) != 0) { /* the OCI paths */
            return op.source().equals(op.target()) ? "make " + op.target() + " read-only" : "mask " + op.target();
        }
        return switch (op.kind()) {
            case BIND -> "bind mount " + op.source() + " on " + op.target();
            case SYMLINK -> "create symlink " + op.target() + " -> " + op.source();
            case MKNOD -> "create device " + op.target();
            case FS -> "mount " + op.source() + " on " + op.target();
            case OVERLAY -> "mount overlay on " + op.target();
        };
    }

    private static String rootfsHint(ContainerSpec spec) {
        if (spec.rootfs() instanceof Rootfs.Image i) {
            return "the image " + i.reference() + " does not have it: pick an image that does";
        }
        if (spec.rootfs() instanceof Rootfs.Tarball t) {
            return "the archive " + t.archive() + " does not have it: add it to the archive";
        }
        return spec.rootfs() instanceof Rootfs.Directory d
                ? "install it in the root file system " + d.path()
                : "install it on the host (the host's /usr, /bin, /lib and /etc are visible read-only)";
    }

    /** The host file the spec names for one of fds 0-2, if it names one. */
    private static Optional<java.nio.file.Path> stdioPath(ContainerSpec spec, int fd) {
        if (fd == 0) {
            return spec.stdin() instanceof dev.corral.Input.FromFile in ? Optional.of(in.path().toAbsolutePath())
                    : Optional.empty();
        }
        return (fd == 1 ? spec.stdout() : spec.stderr()) instanceof dev.corral.Output.ToFile out
                ? Optional.of(out.path().toAbsolutePath()) : Optional.empty();
    }

    private static String streamName(int fd) {
        return switch (fd) {
            case 0 -> "stdin";
            case 1 -> "stdout";
            default -> "stderr";
        };
    }
}
