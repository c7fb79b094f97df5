package dev.corral.namespaces.launcher;

import dev.corral.namespaces.launcher.LaunchPlan.MountOp;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The JVM's side of overlay mounts: each layer's tree cloned here ({@code open_tree}
 * {@code OPEN_TREE_CLONE}, with this process's view and rights, which are the launcher's) and
 * handed to the launcher with the plan; the container's first process attaches clone N at
 * {@code /ovl-N} in its staging tmpfs, where overlay can use it, and the overlay's options, the
 * final string the kernel gets, name it there. Where this process may not clone trees
 * (unprivileged: {@code EPERM}; before Linux 5.2: {@code ENOSYS}), a directory is named by its
 * host path below {@code /oldroot}, for the container to reach with its own rights; and so once
 * the plan's descriptors run short. The upper and work directories share their parent, which
 * is cloned once (overlay wants them on one mount). The launcher decides nothing here and
 * rewrites no option.
 *
 * <p>A bind's source is cloned here too ({@link #bind}), so that the container's (possibly
 * unprivileged) root needs no access to the paths leading to it; and idmapped: an owner-mapped
 * bind's for a user namespace of its own maps, which {@link #OverlayTrees(Launcher)}'s launcher
 * makes; an image's layers and a store volume's for the container's user namespace, by the
 * launcher once that exists ({@link #idmapForContainer}).
 *
 * <pre>{@code
 * try (OverlayTrees trees = new OverlayTrees()) {
 *     trees.add(plan, MountOp.overlay(List.of("/store/layers/a"), "/store/runs/1/upper", "/store/runs/1/work", "/", 0));
 *     launcher.launch(plan.build(), listener);   // the launcher holds its own copies from here on
 * }                                              // this process's copies closed
 * }</pre>
 */
public final class OverlayTrees implements AutoCloseable {
    private static final int AT_FDCWD = -100;
    private static final int OPEN_TREE_CLONE = 1;
    private static final long SYS_OPEN_TREE = 428; /* x86_64 and aarch64 alike (the unified table) */
    private static final int EPERM = 1;
    private static final int ENOSYS = 38;
    /** Descriptors left to the plan's other operations (a cgroup's files: at most 24) when layers are cloned. */
    private static final int RESERVED = 24;



    private static final long SYS_MOUNT_SETATTR = 442;
    private static final int AT_RECURSIVE = 0x8000;
    private static final int AT_EMPTY_PATH = 0x1000;
    private static final long MOUNT_ATTR_IDMAP = 0x00100000L;

    private final List<Integer> opened = new ArrayList<>();
    /* the places of the trees to idmap for the container's user namespace */
    private final List<Integer> forContainer = new ArrayList<>();
    /* makes an owner-mapped bind's user namespace; none: binds are not cloned */
    private final java.util.Optional<Launcher> launcher;

    /** Clones overlays' layers only; a bind's source is opened by its path in the container. */
    public OverlayTrees() {
        this.launcher = java.util.Optional.empty();
    }

    /**
     * Clones overlays' layers and binds' sources.
     *
     * @param launcher the launcher the plan goes to: it makes an owner-mapped bind's user namespace
     */
    public OverlayTrees(Launcher launcher) {
        this.launcher = java.util.Optional.of(launcher);
    }

    /**
     * A failure to clone a layer that naming it below {@code /oldroot} would not mend, or to
     * clone and idmap an owner-mapped bind's source.
     */
    public static final class CloneException extends RuntimeException {
        private static final long serialVersionUID = 1L;
        private final boolean bind;

        CloneException(String message) {
            this(message, false);
        }

        CloneException(String message, boolean bind) {
            super(message);
            this.bind = bind;
        }

        /** @return whether it is an owner-mapped bind's, not an overlay layer's */
        public boolean ofBind() {
            return bind;
        }
    }

    /**
     * Adds an overlay mount to a plan: its layers cloned and attached for it, its options final.
     *
     * @param plan    the plan being built
     * @param request an overlay from {@link MountOp#overlay} (host paths), with any further options
     *                in its {@code data}
     * @throws CloneException if a layer cannot be cloned for another reason than missing rights
     * @throws IllegalArgumentException if the options would not fit in a page, or upper and work
     *     directories do not share their parent
     */
    public void add(LaunchPlan.Builder plan, MountOp request) {
        List<String> lowers = List.of(request.source().split(":"));
        StringBuilder options = new StringBuilder("lowerdir=");
        for (int i = 0; i < lowers.size(); i++) {
            options.append(i == 0 ? "" : ":").append(name(plan, lowers.get(i)));
        }
        String upper = null, work = null;
        for (String option : request.data().split(",")) {
            if (option.startsWith("upperdir=")) {
                upper = option.substring("upperdir=".length());
            } else if (option.startsWith("workdir=")) {
                work = option.substring("workdir=".length());
            } else if (!option.isEmpty()) {
                options.append(',').append(option);
            }
        }
        if (upper != null || work != null) {
            int us = upper == null ? -1 : upper.lastIndexOf('/'), ws = work == null ? -1 : work.lastIndexOf('/');
            if (us <= 0 || ws <= 0 || !upper.substring(0, us).equals(work.substring(0, ws))) {
                throw new IllegalArgumentException("an overlay's upper and work directories must share their parent: "
                        + upper + ", " + work);
            }
            String parent = name(plan, upper.substring(0, us));
            options.append(",upperdir=").append(parent).append(upper.substring(us))
                    .append(",workdir=").append(parent).append(work.substring(ws));
        }
        if (options.toString().getBytes(StandardCharsets.UTF_8).length > MountOp.MAX_OPTIONS) {
            throw new IllegalArgumentException("an overlay's options are longer than a page: " + options);
        }
        plan.mount(new MountOp(MountOp.Kind.FS, request.flags(), 0, 0, 0, "overlay", request.target(), options.toString()));
    }

    /** How the container's first process finds a host directory: its clone at /ovl-N, or below /oldroot. */
    /**
     * Adds a mount; a bind of a host path with its source cloned where this process may (else the container
     * opens it by its path), and an owner-mapped one ({@link MountOp#bindAsOwner}) idmapped now.
     *
     * @param plan the plan being built
     * @param op   a mount, not an overlay ({@link #add})
     * @throws CloneException if an owner-mapped bind cannot be cloned and idmapped
     */
    public void bind(LaunchPlan.Builder plan, MountOp op) {
        int mount = plan.mountCount();
        plan.mount(op);
        boolean owner = (op.flags() & MountOp.IDMAP) != 0 && !op.data().isEmpty();
        if (op.kind() != MountOp.Kind.BIND || (op.flags() & MountOp.IN_ROOT) != 0 || launcher.isEmpty()) {
            return;
        }
        int flags = OPEN_TREE_CLONE | NativeCalls.O_CLOEXEC | ((op.flags() & MountOp.RECURSIVE) != 0 ? AT_RECURSIVE : 0);
        int tree = plan.descriptorCount() < LaunchPlan.MAX_PLAN_DESCRIPTORS - RESERVED
                ? openTree(op.source(), flags) : -1;
        if (tree < 0 && owner) {
            throw new CloneException("cannot clone " + op.source() + " to idmap it as its owner: "
                    + (plan.descriptorCount() < LaunchPlan.MAX_PLAN_DESCRIPTORS - RESERVED ? error() : "too many mounts"), true);
        }
        if (tree < 0) {
            return; /* EPERM (unprivileged), ENOENT...: the container opens it by its path, and says why not */
        }
        opened.add(tree);
        int place = plan.descriptor(tree);
        plan.mountTree(new LaunchPlan.MountTree(mount, place));
        if (owner) {
            idmapAsOwner(tree, op);
        } else if ((op.flags() & MountOp.IDMAP) != 0) {
            forContainer.add(place);
        }
    }

    /* An owner-mapped bind's data is "UID_MAP|GID_MAP": its tree idmapped for a user namespace
       of those maps, which takes the source's owner to the container's user on the host. */
    private void idmapAsOwner(int tree, MountOp op) {
        String[] maps = op.data().split("\\|", 2);
        Launcher l = launcher.orElseThrow();
        if (maps.length != 2 || l.onIoThread()) {
            throw new CloneException("cannot idmap " + op.source() + " as its owner here", true);
        }
        int ns = l.userNamespace(maps[0], maps[1]).orElseThrow(() -> new CloneException("cannot idmap "
                + op.source() + " as its owner: the launcher could not make a user namespace ("
                + l.namespacePoolFailures() + ")", true));
        try {
            if (idmap(tree, ns) < 0) {
                throw new CloneException("cannot idmap " + op.source() + " as its owner: " + error(), true);
            }
        } finally {
            NativeCalls.CLOSE.call(ns);
        }
    }

    private static long idmap(int tree, int userns) {
        java.nio.ByteBuffer attr = java.nio.ByteBuffer.allocate(32).order(java.nio.ByteOrder.nativeOrder());
        attr.putLong(MOUNT_ATTR_IDMAP).putLong(0).putLong(0).putLong(userns);
        long empty = NativeCalls.copyIn(new byte[1]);
        long attrs = NativeCalls.copyIn(attr.array());
        try {
            return NativeCalls.SYSCALL.call(SYS_MOUNT_SETATTR, tree, empty, AT_EMPTY_PATH, attrs, 32);
        } finally {
            NativeCalls.free(empty);
            NativeCalls.free(attrs);
        }
    }

    /** @return open_tree's descriptor of a host path's tree, or -1 with errno */
    private static int openTree(String path, int flags) {
        long name = NativeCalls.copyIn((path + "\0").getBytes(StandardCharsets.UTF_8));
        try {
            return (int) NativeCalls.SYSCALL.call(SYS_OPEN_TREE, AT_FDCWD, name, flags, 0, 0);
        } finally {
            NativeCalls.free(name);
        }
    }

    private static String error() {
        int errno = NativeCalls.errno();
        return Errno.name(errno) + " (" + Errno.description(errno).toLowerCase(Locale.ROOT) + ")";
    }

    /**
     * Has the launcher idmap, for the container's user namespace, the overlays' layers and the
     * binds marked {@link MountOp#IDMAP} without maps of their own (a store's volumes): in the
     * user namespace, the container's root is an unprivileged host ID, to which they would look
     * foreign; idmapped (5.12; overlay on idmapped layers 5.19), their host root is its root, and
     * its writes land with host IDs. Call it once the plan's trees are all added, for a plan with
     * a user namespace only.
     *
     * @param plan the plan being built
     */
    public void idmapForContainer(LaunchPlan.Builder plan) {
        plan.attachedInStaging().forEach(plan::idmap);
        forContainer.forEach(plan::idmap);
    }

    private String name(LaunchPlan.Builder plan, String hostDir) {
        if (plan.descriptorCount() < LaunchPlan.MAX_PLAN_DESCRIPTORS - RESERVED) {
            int tree = openTree(hostDir, OPEN_TREE_CLONE | NativeCalls.O_CLOEXEC);
            if (tree >= 0) {
                opened.add(tree);
                int place = plan.descriptor(tree);
                plan.attachInStaging(place);
                return "/ovl-" + place;
            }
            int errno = NativeCalls.errno();
            if (errno != EPERM && errno != ENOSYS) {
                throw new CloneException("cannot clone the overlay layer " + hostDir + ": " + Errno.name(errno)
                        + " (" + Errno.description(errno).toLowerCase(Locale.ROOT) + ")");
            }
        }
        return "/oldroot" + hostDir;
    }

    /** Closes this process's copies of the clones (the launcher has its own once the plan is sent). */
    @Override
    public void close() {
        opened.forEach(NativeCalls.CLOSE::call);
        opened.clear();
    }
}
