package dev.corral.internal.limits;

import dev.corral.ContainerStartException;
import dev.corral.ResourceLimits;
import dev.corral.cgroups.CgroupException;
import dev.corral.cgroups.Cgroups;
import dev.corral.cgroups.Controller;
import dev.corral.cgroups.ControllerUnavailableException;
import dev.corral.cgroups.internal.CgroupLease;
import dev.corral.cgroups.internal.CgroupLeases;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where a container's cgroup comes from: one {@link Cgroups} placement per JVM, opened on the
 * first limited container (which also removes cgroups left by JVMs killed earlier), closed when
 * the JVM exits, and its {@link CgroupLeases}, which own each cgroup's life (spares made ahead,
 * reuse, removal). A container without limits gets no cgroup. This class only translates a
 * container's limits and the cgroup library's failures into Corral's.
 *
 * <pre>{@code
 * CgroupLease c = ContainerCgroups.create(spec.resources(), 2).orElseThrow(); // an init and its command
 * ... the container runs and ends, the launcher reads its counters and sets them back ...
 * if (!ContainerCgroups.keepIfReset(c, countersRead)) {                      // no file I/O
 *     ContainerCgroups.release(c, true);                                     // on a thread that may wait
 * }
 * }</pre>
 */
public final class ContainerCgroups {
    private static final Logger log = LoggerFactory.getLogger(ContainerCgroups.class);
    private static Cgroups placement;
    private static CgroupLeases spares;

    private ContainerCgroups() {}

    /**
     * Removes, off the caller's thread, the cgroups left by Corral JVMs that were killed, the
     * first time this JVM starts any container, limited or not: a JVM that never sets a limit
     * would otherwise never look. Opening the placement does it ({@link Cgroups#open()}); a JVM
     * that exits first leaves the rest to the next.
     *
     * @param executor where to do it
     */
    public static void sweepStaleSoon(java.util.concurrent.Executor executor) {
        if (SWEEP_STARTED.compareAndSet(false, true)) {
            executor.execute(() -> {
                try {
                    placement();
                } catch (RuntimeException e) {
                    log.debug("could not look for stale cgroups: {}", e.toString());
                }
            });
        }
    }

    private static final java.util.concurrent.atomic.AtomicBoolean SWEEP_STARTED =
            new java.util.concurrent.atomic.AtomicBoolean();

    private static synchronized Cgroups placement() {
        if (placement == null) {
            placement = Cgroups.open();
            Cgroups p = placement;
            spares = new CgroupLeases(p);
            Runtime.getRuntime().addShutdownHook(new Thread(p::close, "corral-cgroups-close"));
        }
        return placement;
    }

    /**
     * @param limits the container's limits
     * @param processFloor the fewest processes the container holds at once (1: its command is
     *     PID 1; 2: under Corral's init), so that a reused cgroup's {@code pids.peak} is its own
     * @return its cgroup, limits applied, new or reset for reuse; empty if it needs none, or if
     *     cgroups are unavailable and every limit asked for was explicitly allowed to go unenforced
     * @throws ContainerStartException naming the missing controller or why no cgroup can be made
     */
    public static Optional<CgroupLease> create(ResourceLimits limits, int processFloor) {
        if (!limits.needsCgroup()) {
            return Optional.empty();
        }
        try {
            Cgroups p = placement();
            if (p.unavailableReason().isPresent() && limits.cpuTime().isEmpty()
                    && limits.cgroup().allowedUnenforced().containsAll(limits.cgroup().requiredControllers())) {
                log.debug("a container runs without a cgroup, as its limits allow: {}", p.unavailableReason().get());
                return Optional.empty();
            }
            if (limits.cpuTime().isPresent() && !p.availableControllers().contains(Controller.CPUACCT)) {
                throw new ControllerUnavailableException(Controller.CPUACCT,
                        "a CPU-time limit is read from the cgroup's CPU accounting, which is not available here"
                                + p.unavailableReason().map(r -> ": " + r).orElse(""));
            }
            CgroupLeases leases;
            synchronized (ContainerCgroups.class) {
                leases = spares;
            }
            return Optional.of(leases.lease(limits.cgroup(), processFloor));
        } catch (ControllerUnavailableException e) {
            throw new ContainerStartException("apply the resource limits", Optional.empty(), OptionalInt.empty(), Optional.empty(), e.getMessage()
                    + "; or allow running without it: limits(CgroupLimits.builder()...allowUnenforced(...))", e);
        } catch (CgroupException e) {
            throw new ContainerStartException("create the container's cgroup", Optional.empty(), OptionalInt.empty(), Optional.empty(), e.getMessage(), e);
        }
    }

    /**
     * Gives back the cgroup of a container that has ended, once its usage is read: kept as a
     * spare if it can be reset for reuse, else removed. Waits on the kernel: not for the
     * launcher's I/O thread.
     *
     * @param cgroup from {@link #create}
     * @param reusable whether none of the container's processes can be left (its own PID
     *     namespace, its first process reaped), so that it may serve another container
     */
    public static void release(CgroupLease cgroup, boolean reusable) {
        CgroupLeases s;
        synchronized (ContainerCgroups.class) {
            s = spares; /* set with the placement that made the cgroup */
        }
        s.giveBack(cgroup, reusable);
    }

    /**
     * Keeps the cgroup of a container that has ended as a spare, if the launcher set its
     * counters back right after reading them, what it read allows reuse, and a spare is missing.
     * Reads and writes no file (unless one decisive for reuse was not read): for the launcher's
     * I/O thread.
     *
     * @param cgroup from {@link #create}, of a container that had its own PID namespace
     * @param countersBeforeReset its {@link CgroupLease#counterDescriptors()} as the launcher read them
     * @return true if kept; false if not, and then it needs {@link #release}
     */
    public static boolean keepIfReset(CgroupLease cgroup, List<Optional<String>> countersBeforeReset) {
        CgroupLeases s;
        synchronized (ContainerCgroups.class) {
            s = spares;
        }
        return s.keepIfReset(cgroup, countersBeforeReset);
    }
}
