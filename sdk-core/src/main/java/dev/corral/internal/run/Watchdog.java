package dev.corral.internal.run;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * A run's two clocks: its wall-clock timeout, and its CPU-time limit, checked against the
 * cgroup's CPU counter every {@link #CPU_WATCH} (so the overshoot is at most that much CPU per
 * CPU). Each kills the container at most once and remembers that it did, for the result's
 * termination; both stop when the container ends.
 *
 * <pre>{@code
 * Watchdog w = new Watchdog(() -> launcher.signal(id, SIGKILL));
 * w.start(RunThreads.timers(), spec.timeout(), spec.resources().cpuTime(), cgroup::cpuUsed);
 * ... the container ends ...
 * w.stop();
 * w.timedOut();          // the timeout killed it
 * w.cpuTimeExceeded();   // the CPU-time limit did
 * }</pre>
 */
final class Watchdog {
    /** How often a CPU-time limit is checked. */
    static final Duration CPU_WATCH = Duration.ofMillis(10);

    private final Runnable kill;
    private volatile boolean timedOut;
    private volatile boolean cpuTimeExceeded;
    private volatile ScheduledFuture<?> timeout;
    private volatile ScheduledFuture<?> cpuWatch;

    /** @param kill kills the container */
    Watchdog(Runnable kill) {
        this.kill = kill;
    }

    /**
     * Starts the clocks the spec asks for, when the container runs.
     *
     * @param timers  where they tick
     * @param timeout the wall-clock limit, if any
     * @param cpuTime the CPU-time limit, if any
     * @param cpuUsed the CPU time the container's cgroup has counted; empty once the cgroup is
     *                no longer the container's own (or cannot tell)
     */
    void start(ScheduledExecutorService timers, Optional<Duration> timeout, Optional<Duration> cpuTime,
               Supplier<Optional<Duration>> cpuUsed) {
        timeout.ifPresent(t -> this.timeout = timers.schedule(this::timeoutReached, t.toNanos(), TimeUnit.NANOSECONDS));
        cpuTime.ifPresent(limit -> cpuWatch = timers.scheduleAtFixedRate(() -> checkCpu(limit, cpuUsed.get()),
                CPU_WATCH.toNanos(), CPU_WATCH.toNanos(), TimeUnit.NANOSECONDS));
    }

    /** The timeout fired: kill. */
    void timeoutReached() {
        timedOut = true;
        kill.run();
    }

    /** One CPU-time check: kill once {@code used} reaches {@code limit}, and only the first time. */
    void checkCpu(Duration limit, Optional<Duration> used) {
        if (used.isPresent() && used.get().compareTo(limit) >= 0 && !cpuTimeExceeded) {
            cpuTimeExceeded = true;
            kill.run();
        }
    }

    /** Stops both clocks (the container ended, failed or was closed); idempotent. */
    void stop() {
        for (ScheduledFuture<?> f : new ScheduledFuture<?>[] {timeout, cpuWatch}) {
            if (f != null) {
                f.cancel(false);
            }
        }
    }

    /** @return whether the timeout killed the container */
    boolean timedOut() {
        return timedOut;
    }

    /** @return whether the CPU-time limit killed the container */
    boolean cpuTimeExceeded() {
        return cpuTimeExceeded;
    }
}
