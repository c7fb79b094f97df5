package dev.corral.cgroups.internal;

import dev.corral.cgroups.CgroupLimits;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link CgroupLeases}' policy, without the kernel: which cgroups are kept as spares, for which
 * limits, how many, for how long, and which are set back or removed once their container has
 * ended. {@code L} is {@link CgroupLease} in production and a fake in {@code SparePolicyTest}.
 *
 * <pre>{@code
 * SparePolicy<CgroupLease> spares = new SparePolicy<>((name, limits) -> CgroupLease.open(cgroups.create(name, limits)));
 * CgroupLease c = spares.lease(limits, 2);
 * spares.giveBack(c, true);
 * }</pre>
 */
final class SparePolicy<L extends SparePolicy.Spare> {
    /** What the policy needs of one cgroup's lease: {@link CgroupLease} in production, a test's fake. */
    interface Spare {
        /** @see CgroupLease#resetForReuse */
        boolean resetForReuse(int processFloor);

        /** @see CgroupLease#isResetForReuse */
        boolean isResetForReuse(List<Optional<String>> countersBeforeReset, int processFloor);

        /** Closes its files and removes the cgroup. */
        void close();
    }

    /** Makes a cgroup with these limits under this name, and its lease. */
    interface Maker<L> {
        L make(String name, CgroupLimits limits);
    }

    private static final Logger log = LoggerFactory.getLogger(CgroupLeases.class);
    private static final int SPARES = 2;
    private static final Duration SPARE_IDLE = Duration.ofSeconds(1);
    private static final Duration REUSE_RETRY = Duration.ofMillis(5);
    private static final AtomicLong NAMES = new AtomicLong();

    /** Which containers a spare may serve: the same limits, and as few processes at least as its floor. */
    private record Kind(CgroupLimits limits, int processFloor) {}

    private final Maker<L> maker;
    private final ScheduledExecutorService thread;
    private final Deque<L> ready = new ArrayDeque<>();
    private final java.util.Map<L, Kind> inUse = new IdentityHashMap<>(); /* given back once their container ends */
    private Kind kind; /* of the spares made; null until a first take */
    private int making;
    private long lastUse;
    private boolean idleCheck;

    /** @param maker makes a cgroup and its lease (a spare's, on the spares' thread) */
    SparePolicy(Maker<L> maker) {
        this.maker = maker;
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
    private synchronized Optional<L> take(Kind wanted) {
        if (!wanted.equals(kind)) {
            dropAll();
            kind = wanted;
        }
        touch();
        L c = ready.poll();
        if (c != null) {
            inUse(c, wanted);
        }
        topUp();
        return Optional.ofNullable(c);
    }

    /** Notes that {@code c}, of {@code k}, serves a container now, and will be given back. */
    private synchronized void inUse(L c, Kind k) {
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
        L c = null;
        try {
            c = maker.make(nextName(), k.limits());
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
    void giveBack(L c, boolean reusable) {
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
    boolean keepIfReset(L c, List<Optional<String>> countersBeforeReset) {
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
    private synchronized Kind wouldKeep(L c) {
        Kind k = inUse.get(c);
        return k != null && k.equals(kind) && ready.size() < SPARES ? k : null;
    }

    /**
     * {@code c} no longer serves a container: kept among the ready spares if {@code reset}
     * and one is missing, else a new spare is made in its place if one is missing.
     *
     * @return whether it was kept
     */
    private synchronized boolean forget(L c, boolean reset) {
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
    private synchronized boolean keep(L c, Kind k, int most) {
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
        List<L> old = List.copyOf(ready);
        ready.clear();
        if (!old.isEmpty()) {
            thread.execute(() -> old.forEach(SparePolicy::remove));
        }
    }

    private static void remove(Spare c) {
        try {
            c.close();
        } catch (RuntimeException e) {
            log.warn("cannot remove cgroup {}: {}", c, e.getMessage());
        }
    }

    /**
     * @param limits       the cgroup's limits
     * @param processFloor the fewest processes its container holds at once (1: its command is
     *                     PID 1; 2: under an init), so that a reused cgroup's {@code pids.peak} is its own
     * @return a lease of a spare of exactly this kind if one is ready, else of a new cgroup; either
     *     way it is given back ({@link #giveBack}) once its container has ended
     * @throws dev.corral.cgroups.CgroupException if no cgroup can be made
     */
    L lease(CgroupLimits limits, int processFloor) {
        Kind kind = new Kind(limits, processFloor);
        Optional<L> spare = take(kind);
        if (spare.isPresent()) {
            return spare.get();
        }
        L c = maker.make(nextName(), limits);
        inUse(c, kind);
        return c;
    }

    /** "c1", "c2"...: unique in this JVM's placement. */
    private static String nextName() {
        return "c" + NAMES.incrementAndGet();
    }
}
