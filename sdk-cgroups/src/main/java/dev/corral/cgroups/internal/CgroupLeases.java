package dev.corral.cgroups.internal;

import dev.corral.cgroups.Cgroup;
import dev.corral.cgroups.CgroupLimits;
import dev.corral.cgroups.Cgroups;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A cgroup's whole life for containers that come one after another: made with their limits,
 * leased ({@link CgroupLease}, its files opened once), set back and leased again, or removed.
 *
 * <p>Making a cgroup costs a directory per hierarchy and a write per limit, and removing it an
 * rmdir per hierarchy and the kernel's work behind it (together about 0.6 ms of CPU on cgroup
 * v1), so a couple of spares with the limits of the last lease asked for are made ahead on a
 * thread of their own, and leased by the next containers with the same limits. A cgroup given
 * back by a container that had its own PID namespace (so none of its processes outlives it)
 * goes back among the spares if its counters can be set back exactly: the next container's
 * counters start at zero either way. The launcher sets them back as it reads them, and
 * {@link #keepIfReset} keeps the cgroup on the spot if what it read allows; else
 * {@link #giveBack} tries {@link CgroupLease#resetForReuse} off the result's path. Spares not
 * leased within a second are removed, so an idle JVM holds no cgroup. Those given back count as
 * coming: with them, the same few cgroups serve container after container, and none is made.
 *
 * <pre>{@code
 * CgroupLeases leases = new CgroupLeases(Cgroups.open());
 * CgroupLease c = leases.lease(limits, 2);            // an init and its command
 * ... the container runs and ends, the launcher reads its counters and sets them back ...
 * if (!leases.keepIfReset(c, countersRead)) {         // no file I/O
 *     leases.giveBack(c, true);                       // on a thread that may wait
 * }
 * }</pre>
 */
public final class CgroupLeases {
    private static final Logger log = LoggerFactory.getLogger(CgroupLeases.class);

    private final SparePolicy<CgroupLease> spares;

    /** @param placement where the cgroups are made */
    public CgroupLeases(Cgroups placement) {
        this.spares = new SparePolicy<>((name, limits) -> open(placement.create(name, limits)));
    }

    /**
     * @param limits       the cgroup's limits
     * @param processFloor the fewest processes its container holds at once (1: its command is
     *                     PID 1; 2: under an init), so that a reused cgroup's {@code pids.peak} is its own
     * @return a lease of a spare of exactly this kind if one is ready, else of a new cgroup; either
     *     way it is given back ({@link #giveBack}) once its container has ended
     * @throws dev.corral.cgroups.CgroupException if no cgroup can be made
     */
    public CgroupLease lease(CgroupLimits limits, int processFloor) {
        return spares.lease(limits, processFloor);
    }

    /**
     * A cgroup whose container has ended: a spare again if it may be and can be reset, else
     * removed (see {@link SparePolicy#giveBack}).
     *
     * @param c        a lease from {@link #lease}
     * @param reusable whether its container had its own PID namespace, so that none of its processes outlives it
     */
    public void giveBack(CgroupLease c, boolean reusable) {
        spares.giveBack(c, reusable);
    }

    /**
     * Keeps the cgroup of a container that has ended as a spare, if its counters were set back
     * right after they were read ({@link CgroupLease#counterResetDescriptors()}), what was read
     * allows reuse, and a spare is missing. Reads and writes no file (unless one decisive for
     * reuse was not read): for an I/O thread.
     *
     * @param c                   a lease of a container that had its own PID namespace
     * @param countersBeforeReset its {@link CgroupLease#counterDescriptors()} as read
     * @return true if kept; false if not, and then it needs {@link #giveBack}
     */
    public boolean keepIfReset(CgroupLease c, List<Optional<String>> countersBeforeReset) {
        return spares.keepIfReset(c, countersBeforeReset);
    }

    /** The lease of a new cgroup, which is removed if its files cannot be opened. */
    private static CgroupLease open(Cgroup c) {
        try {
            return CgroupLease.open(c);
        } catch (RuntimeException e) {
            try {
                c.remove();
            } catch (RuntimeException r) {
                log.warn("cannot remove cgroup {}: {}", c, r.getMessage());
            }
            throw e;
        }
    }
}
