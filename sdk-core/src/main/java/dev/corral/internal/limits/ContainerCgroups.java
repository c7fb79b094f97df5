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
import java.util.Optional;
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
 * <p>Making a cgroup costs a directory per hierarchy and a write per limit (about 0.4 ms on
 * cgroup v1), so a couple of spares with the limits of the last limited container are made
 * ahead on a thread of their own, and taken by the next containers with the same limits. Each
 * cgroup still serves one container only: its counters start at zero. Spares not taken within
 * a second are removed, so an idle JVM holds no cgroup.
 */
public final class ContainerCgroups {
    private static final Logger log = LoggerFactory.getLogger(ContainerCgroups.class);
    private static final int SPARES = 2;
    private static final Duration SPARE_IDLE = Duration.ofSeconds(1);
    private static final AtomicLong NAMES = new AtomicLong();
    private static Cgroups placement;
    private static Spares spares;

    private ContainerCgroups() {}

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
     * @return its cgroup, limits applied, never used before; empty if it needs none, or if
     *     cgroups are unavailable and every limit asked for was explicitly allowed to go unenforced
     * @throws ContainerStartException naming the missing controller or why no cgroup can be made
     */
    public static Optional<Cgroup> create(ResourceLimits limits) {
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
            Optional<Cgroup> spare = spares.take(limits.cgroup());
            return Optional.of(spare.isPresent() ? spare.get() : p.create(nextName(), limits.cgroup()));
        } catch (ControllerUnavailableException e) {
            throw new ContainerStartException("apply the resource limits", Optional.empty(), 0, "", e.getMessage()
                    + "; or allow running without it: limits(CgroupLimits.builder()...allowUnenforced(...))", e);
        } catch (CgroupException e) {
            throw new ContainerStartException("create the container's cgroup", Optional.empty(), 0, "", e.getMessage(), e);
        }
    }

    /** "c1", "c2"...: unique in this JVM's placement. */
    private static String nextName() {
        return "c" + NAMES.incrementAndGet();
    }

    /** Spare cgroups with the limits last asked for, made and dropped on one thread. */
    private static final class Spares {
        private final Cgroups placement;
        private final ScheduledExecutorService thread;
        private final Deque<Cgroup> ready = new ArrayDeque<>();
        private CgroupLimits limits; /* of the spares made; null until a first take */
        private int making;
        private long lastTake;
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

        /** A spare with exactly these limits, if one is ready; asks for the next ones either way. */
        synchronized Optional<Cgroup> take(CgroupLimits wanted) {
            lastTake = System.nanoTime();
            if (!wanted.equals(limits)) {
                dropAll();
                limits = wanted;
            }
            if (!idleCheck) {
                idleCheck = true;
                thread.schedule(this::dropIfIdle, SPARE_IDLE.toNanos(), TimeUnit.NANOSECONDS);
            }
            Cgroup c = ready.poll();
            while (ready.size() + making < SPARES) {
                making++;
                CgroupLimits l = limits;
                thread.execute(() -> make(l));
            }
            return Optional.ofNullable(c);
        }

        private void make(CgroupLimits l) {
            Cgroup c = null;
            try {
                c = placement.create(nextName(), l);
            } catch (RuntimeException e) { /* the container that needs it makes its own and reports why */
                log.debug("no spare cgroup: {}", e.getMessage());
            }
            synchronized (this) {
                making--;
                if (c != null && l.equals(limits)) {
                    ready.add(c);
                    c = null;
                }
            }
            if (c != null) {
                remove(c);
            }
        }

        private synchronized void dropIfIdle() {
            long idle = System.nanoTime() - lastTake;
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

        private static void remove(Cgroup c) {
            try {
                c.remove();
            } catch (RuntimeException e) {
                log.warn("cannot remove spare cgroup {}: {}", c, e.getMessage());
            }
        }
    }
}
