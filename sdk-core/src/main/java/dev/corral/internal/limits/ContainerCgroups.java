package dev.corral.internal.limits;

import dev.corral.ContainerStartException;
import dev.corral.ResourceLimits;
import dev.corral.cgroups.Cgroup;
import dev.corral.cgroups.CgroupException;
import dev.corral.cgroups.CgroupLimits;
import dev.corral.cgroups.Cgroups;
import dev.corral.cgroups.Controller;
import dev.corral.cgroups.ControllerUnavailableException;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where a container's cgroup comes from: one {@link Cgroups} placement per JVM, opened on the
 * first limited container (which also removes cgroups left by JVMs killed earlier), closed when
 * the JVM exits. A container without limits gets no cgroup.
 *
 * <p>Making a cgroup costs a directory per hierarchy and a write per limit, and removing it an
 * rmdir per hierarchy and the kernel's work behind it (together about 0.6 ms of CPU on cgroup
 * v1), so a couple of spares with the limits of the last limited container are made ahead on
 * a thread of their own, and taken by the next containers with the same limits. On cgroup v1,
 * the cgroup of a container that had its own PID namespace (so none of its processes outlives
 * it) goes back among the spares once it has ended, if its counters can be set back exactly:
 * the next container's counters start at zero either way. The launcher sets them back as it
 * reads them, and {@link #keepIfReset} keeps the cgroup on the spot if what it read allows
 * ({@link Cgroup#isResetForReuse}); else {@link #release} tries {@link Cgroup#resetForReuse}
 * off the result's path. Spares not taken within a second are removed, so an idle JVM holds
 * no cgroup.
 *
 * <pre>{@code
 * Cgroup c = ContainerCgroups.create(spec.resources(), 2).orElseThrow(); // an init and its command
 * ... the container runs and ends, the launcher reads its counters and sets them back ...
 * if (!ContainerCgroups.keepIfReset(c, countersRead)) {                  // no file I/O
 *     ContainerCgroups.release(c, true);                                // on a thread that may wait
 * }
 * }</pre>
 */
public final class ContainerCgroups {
    private static final Logger log = LoggerFactory.getLogger(ContainerCgroups.class);
    private static final int SPARES = 2;
    private static final Duration SPARE_IDLE = Duration.ofSeconds(1);
    private static final Duration REUSE_RETRY = Duration.ofMillis(5);
    private static final AtomicLong NAMES = new AtomicLong();
    private static Cgroups placement;
    private static Spares spares;

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
            spares = new Spares(p);
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
    public static Optional<Cgroup> create(ResourceLimits limits, int processFloor) {
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
            Kind kind = new Kind(limits.cgroup(), processFloor);
            Optional<Cgroup> spare = spares.take(kind);
            if (spare.isPresent()) {
                return spare;
            }
            Cgroup c = p.create(nextName(), limits.cgroup());
            spares.inUse(c, kind);
            return Optional.of(c);
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
    public static void release(Cgroup cgroup, boolean reusable) {
        Spares s;
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
     * @param countersBeforeReset its {@link Cgroup#counterFiles()} as the launcher read them
     * @return true if kept; false if not, and then it needs {@link #release}
     */
    public static boolean keepIfReset(Cgroup cgroup, Map<java.nio.file.Path, Optional<String>> countersBeforeReset) {
        Spares s;
        synchronized (ContainerCgroups.class) {
            s = spares;
        }
        return s.keepIfReset(cgroup, countersBeforeReset);
    }

    /** Which containers a spare may serve: the same limits, and as few processes at least as its floor. */
    private record Kind(CgroupLimits limits, int processFloor) {}

    /** "c1", "c2"...: unique in this JVM's placement. */
    private static String nextName() {
        return "c" + NAMES.incrementAndGet();
    }

    /**
     * Spare cgroups of the kind last asked for, made and dropped on one thread. Those given back
     * by ended containers count as coming: with them, the same few cgroups serve container after
     * container, and none is made.
     */
    private static final class Spares {
        private final Cgroups placement;
        private final ScheduledExecutorService thread;
        private final Deque<Cgroup> ready = new ArrayDeque<>();
        private final Map<Cgroup, Kind> inUse = new IdentityHashMap<>(); /* given back once their container ends */
        private Kind kind; /* of the spares made; null until a first take */
        private int making;
        private long lastUse;
        private boolean idleCheck;

        Spares(Cgroups placement) {
            this.placement = placement;
            ScheduledThreadPoolExecutor t = new ScheduledThreadPoolExecutor(1, r -> {
                Thread th = new Thread(r, "corral-cgroup-spares");
                th.setDaemon(true);
                return th;
            });
            t.setKeepAliveTime(10, TimeUnit.SECONDS);
            t.allowCoreThreadTimeOut(true);
            this.thread = t;
        }

        /**
         * A spare of exactly this kind, if one is ready; asks for the next ones either way. The
         * caller makes its own if none is, and notes it {@link #inUse}: it is given back like
         * the spares.
         */
        synchronized Optional<Cgroup> take(Kind wanted) {
            if (!wanted.equals(kind)) {
                dropAll();
                kind = wanted;
            }
            touch();
            Cgroup c = ready.poll();
            if (c != null) {
                inUse(c, wanted);
            }
            topUp();
            return Optional.ofNullable(c);
        }

        /** Notes that {@code c}, of {@code k}, serves a container now, and will be given back. */
        synchronized void inUse(Cgroup c, Kind k) {
            inUse.put(c, k);
        }

        /** Makes spares until, with those being made and those of this kind coming back, there are enough. */
        private void topUp() {
            long coming = inUse.values().stream().filter(kind::equals).count();
            while (ready.size() + making + coming < SPARES) {
                making++;
                Kind k = kind;
                thread.execute(() -> make(k));
            }
        }

        private void make(Kind k) {
            Cgroup c = null;
            try {
                c = placement.create(nextName(), k.limits());
            } catch (RuntimeException e) { /* the container that needs it makes its own and reports why */
                log.debug("no spare cgroup: {}", e.getMessage());
            }
            synchronized (this) {
                making--;
                if (c != null && k.equals(kind)) {
                    ready.add(c);
                    c = null;
                }
            }
            if (c != null) {
                remove(c);
            }
        }

        /**
         * A cgroup whose container has ended: a spare again if it may be and can be reset, else
         * removed. One that cannot be reset at once is tried once more a little later, while a
         * new spare is made in its place: most often kernel objects of its last processes were
         * still charged (they are freed an RCU grace period after their exit), but it may never
         * be (v2, an OOM kill, a pids peak above the floor), and the next container should not
         * wait for that. If the retry succeeds it is kept even with the spares complete, as one
         * more: the next such wait then needs no new spare, where it would otherwise be made
         * and removed again and again.
         */
        void giveBack(Cgroup c, boolean reusable) {
            Kind k = wouldKeep(c);
            if (reusable && k != null) {
                /* still counted as in use while it is reset: no spare is made in its place meanwhile */
                if (c.resetForReuse(k.processFloor())) {
                    if (!forget(c, true)) {
                        remove(c);
                    }
                    return;
                }
                forget(c, false);
                thread.schedule(() -> {
                    if (!(c.resetForReuse(k.processFloor()) && keep(c, k, SPARES + 1))) {
                        remove(c);
                    }
                }, REUSE_RETRY.toNanos(), TimeUnit.NANOSECONDS);
                return;
            }
            forget(c, false);
            remove(c);
        }

        /** @see ContainerCgroups#keepIfReset */
        boolean keepIfReset(Cgroup c, Map<java.nio.file.Path, Optional<String>> countersBeforeReset) {
            Kind k = wouldKeep(c);
            if (k == null || !c.isResetForReuse(countersBeforeReset, k.processFloor())) {
                return false;
            }
            synchronized (this) {
                if (!k.equals(inUse.get(c)) || !keep(c, k, SPARES)) {
                    return false;
                }
                inUse.remove(c);
                return true;
            }
        }

        /** @return the kind of {@code c} if it is the kind asked for now and a ready spare is missing, else null */
        private synchronized Kind wouldKeep(Cgroup c) {
            Kind k = inUse.get(c);
            return k != null && k.equals(kind) && ready.size() < SPARES ? k : null;
        }

        /**
         * {@code c} no longer serves a container: kept among the ready spares if {@code reset}
         * and one is missing, else a new spare is made in its place if one is missing.
         *
         * @return whether it was kept
         */
        private synchronized boolean forget(Cgroup c, boolean reset) {
            Kind k = inUse.remove(c);
            if (k == null) {
                return false;
            }
            if (reset && keep(c, k, SPARES)) {
                return true;
            }
            if (k.equals(kind)) {
                topUp();
            }
            return false;
        }

        /** Adds {@code c}, reset, to the ready spares if it is still of the kind asked for and fewer than {@code most} are ready. */
        private synchronized boolean keep(Cgroup c, Kind k, int most) {
            if (!k.equals(kind) || ready.size() >= most) {
                return false;
            }
            ready.add(c);
            touch(); /* kept for a second from now, as a new spare */
            return true;
        }

        /** Notes a use now: ready spares are dropped a second after the last one. */
        private void touch() {
            lastUse = System.nanoTime();
            if (!idleCheck) {
                idleCheck = true;
                thread.schedule(this::dropIfIdle, SPARE_IDLE.toNanos(), TimeUnit.NANOSECONDS);
            }
        }

        private synchronized void dropIfIdle() {
            long idle = System.nanoTime() - lastUse;
            if (idle < SPARE_IDLE.toNanos()) {
                thread.schedule(this::dropIfIdle, SPARE_IDLE.toNanos() - idle, TimeUnit.NANOSECONDS);
                return;
            }
            idleCheck = false;
            dropAll();
        }

        /** Removes the ready spares, on the spares' thread. */
        private synchronized void dropAll() {
            java.util.List<Cgroup> old = java.util.List.copyOf(ready);
            ready.clear();
            if (!old.isEmpty()) {
                thread.execute(() -> old.forEach(Spares::remove));
            }
        }

        static void remove(Cgroup c) {
            try {
                c.remove();
            } catch (RuntimeException e) {
                log.warn("cannot remove cgroup {}: {}", c, e.getMessage());
            }
        }
    }
}
