package dev.corral.namespaces.launcher;

import dev.corral.namespaces.libc.OverlayLibC;
import dev.corral.namespaces.launcher.LaunchPlan.MountOp;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import jnr.ffi.LastError;
import jnr.ffi.LibraryLoader;
import jnr.ffi.annotations.In;
import jnr.ffi.annotations.SaveError;

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
    private static final int O_CLOEXEC = 0x80000;
    private static final long SYS_OPEN_TREE = 428; /* x86_64 and aarch64 alike (the unified table) */
    private static final int EPERM = 1;
    private static final int ENOSYS = 38;
    /** Descriptors left to the plan's other operations (a cgroup's files: at most 24) when layers are cloned. */
    private static final int RESERVED = 24;


    private static final OverlayLibC LIBC = LibraryLoader.create(OverlayLibC.class).load(LibraryLoader.DEFAULT_LIBRARY);
    private static final jnr.ffi.Runtime RUNTIME = jnr.ffi.Runtime.getRuntime(LIBC);

    private final List<Integer> opened = new ArrayList<>();

    /** A failure to clone a layer that naming it below {@code /oldroot} would not mend. */
    public static final class CloneException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        CloneException(String message) {
            super(message);
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
        plan.mount(new MountOp(MountOp.Kind.OVERLAY, request.flags(), 0, 0, 0, "", request.target(), options.toString()));
    }

    /** How the container's first process finds a host directory: its clone at /ovl-N, or below /oldroot. */
    private String name(LaunchPlan.Builder plan, String hostDir) {
        if (plan.descriptorCount() < LaunchPlan.MAX_PLAN_DESCRIPTORS - RESERVED) {
            int tree = (int) LIBC.syscall(SYS_OPEN_TREE, AT_FDCWD, hostDir.getBytes(StandardCharsets.UTF_8),
                    OPEN_TREE_CLONE | O_CLOEXEC);
            if (tree >= 0) {
                opened.add(tree);
                int place = plan.descriptor(tree);
                plan.attachInStaging(place);
                return "/ovl-" + place;
            }
            int errno = LastError.getLastError(RUNTIME);
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
        opened.forEach(LIBC::close);
        opened.clear();
    }
}
