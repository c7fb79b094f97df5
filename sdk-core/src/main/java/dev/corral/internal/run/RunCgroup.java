package dev.corral.internal.run;

import dev.corral.cgroups.Cgroup;
import dev.corral.cgroups.CgroupUsage;
import dev.corral.cgroups.internal.CgroupLease;
import dev.corral.internal.limits.ContainerCgroups;
import dev.corral.namespaces.launcher.ExitReport;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Executor;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A run's cgroup while it is the container's own: pause, resume and stats act on it and the
 * CPU-time watch reads it; at the end it is metered from what the launcher read at the reap and
 * then kept as a spare, handed back for reuse, or removed ({@link #afterExit}). From the moment
 * it is handed back it may serve another container, and this run leaves it alone. A run
 * without limits has none, and says so when asked.
 *
 * <pre>{@code
 * RunCgroup cg = new RunCgroup(ContainerCgroups.create(spec.resources(), 2), id);
 * cg.whileOwn("stats", result::isDone, Cgroup::usage);
 * cg.meterAtExit(report, true, usage -> ..., RunThreads.cleanup());  // once, on the I/O thread
 * }</pre>
 */
final class RunCgroup {
    private static final Logger log = LoggerFactory.getLogger(RunCgroup.class);

    /** What becomes of an ended container's cgroup. */
    enum AfterExit {
        /** the launcher set its counters back after reading them: a spare again at once, if what it read allows */
        KEEP_IF_RESET,
        /** handed back off the I/O thread, to be set back and kept as a spare (or removed if it cannot be) */
        RELEASE_FOR_REUSE,
        /** removed: a process of the container may be left in it, or its usage could not be read */
        REMOVE
    }

    private final Optional<CgroupLease> lease;
    private final long id;
    private final Object lock = new Object();
    private boolean released; /* guarded by lock: it may serve another container now */
    /* guarded by lock: a command was exec'd in the container (its starter was in the cgroup, so
       the cgroup is not reused), and its end was seen (no exec may start after) */
    private boolean execStarted;
    private boolean exitSeen;

    /**
     * @param lease the container's cgroup, if it has limits
     * @param id    the container's id, for the log
     */
    RunCgroup(Optional<CgroupLease> lease, long id) {
        this.lease = lease;
        this.id = id;
    }

    /**
     * The policy: a cgroup is reused only when no process of its container can be left in it
     * (the container had its own PID namespace, whose init the launcher reaped) and its usage
     * was read; it is set back at once if the launcher already set its counters back.
     *
     * @param usageRead       the cgroup's usage at the end was read
     * @param ownPidNamespace the container had its own PID namespace
     * @param countersReset   the launcher set the counters back right after reading them
     * @return what becomes of the cgroup
     */
    static AfterExit afterExit(boolean usageRead, boolean ownPidNamespace, boolean countersReset) {
        if (!usageRead || !ownPidNamespace) {
            return AfterExit.REMOVE;
        }
        return countersReset ? AfterExit.KEEP_IF_RESET : AfterExit.RELEASE_FOR_REUSE;
    }

    /** @return the lease the plan enters the container through, if it has a cgroup */
    Optional<CgroupLease> lease() {
        return lease;
    }

    /** @return the cgroup's directories (one per v1 hierarchy, or the v2 one); none without a cgroup */
    List<Path> directories() {
        return lease.map(l -> l.cgroup().procsFiles().stream().map(Path::getParent).toList()).orElse(List.of());
    }

    /**
     * @param what  the operation, for the message
     * @param ended whether the container has ended (asked under this cgroup's lock)
     * @param op    what to do with the cgroup
     * @return what {@code op} returns, run while the cgroup is still the container's own
     * @throws IllegalStateException if the container has no cgroup, or has ended
     */
    <T> T whileOwn(String what, BooleanSupplier ended, Function<Cgroup, T> op) {
        if (lease.isEmpty()) {
            throw new IllegalStateException(what + " needs the container's cgroup, and it has none: a container gets "
                    + "one when it has a resource limit, e.g. memory(...), cpus(...), pids(...) or cpuTimeLimit(...)");
        }
        synchronized (lock) {
            if (ended.getAsBoolean() || released) {
                throw new IllegalStateException(what + ": the container has ended");
            }
            return op.apply(lease.get().cgroup());
        }
    }

    /**
     * Starts an exec in the container, while it runs: {@code launch} is given the cgroup to join
     * (none once handed back), under this cgroup's lock, so that the container's end, seen by
     * {@link #meterAtExit}, comes either before (the exec is refused) or after (the cgroup is then
     * removed, not reused: the exec's starter was in it).
     *
     * @param ended  whether the container has ended
     * @param refuse the exception for an ended container
     * @param launch hands the exec's plan to the launcher
     */
    void startExec(BooleanSupplier ended, java.util.function.Supplier<? extends RuntimeException> refuse,
                   Consumer<Optional<CgroupLease>> launch) {
        synchronized (lock) {
            if (exitSeen || ended.getAsBoolean()) {
                throw refuse.get();
            }
            execStarted = true;
            launch.accept(released ? Optional.empty() : lease);
        }
    }

    /** @return the CPU time the cgroup counted, for the CPU-time watch; empty once handed back */
    Optional<Duration> cpuUsed() {
        synchronized (lock) {
            if (released || lease.isEmpty()) {
                return Optional.empty();
            }
            return lease.get().cgroup().usage().cpuTotal();
        }
    }

    /**
     * Meters the ended container from the counters the launcher read right after the reap (any
     * it could not read, and all if it was given none, are read here, on the I/O thread), tells
     * {@code metered}, and then keeps, hands back or removes the cgroup as {@link #afterExit}
     * says. Without a cgroup, tells {@code metered} that there is no usage.
     *
     * @param report          the launcher's report of the reap
     * @param ownPidNamespace the container had its own PID namespace
     * @param metered         told the usage, before the cgroup is handed back or removed
     * @param cleanup         where a hand-back or removal waits on the kernel
     */
    void meterAtExit(ExitReport report, boolean ownPidNamespace, Consumer<Optional<CgroupUsage>> metered,
                     Executor cleanup) {
        boolean hadExec;
        synchronized (lock) {
            exitSeen = true;
            hadExec = execStarted;
        }
        if (lease.isEmpty()) {
            metered.accept(Optional.empty());
            return;
        }
        List<Optional<String>> counters = Usages.countersRead(lease.get().counterDescriptors().size(), report);
        Optional<CgroupUsage> usage = Optional.empty();
        try {
            usage = Optional.of(lease.get().usage(counters));
        } catch (RuntimeException e) {
            log.warn("container {}: cannot read its cgroup's usage: {}", id, e.getMessage());
        }
        /* With its own PID namespace, as by default, the container's processes are gone
           already, and its cgroup may serve the next container; any left (a shared PID
           namespace) are killed by the removal. If the launcher set its counters back right
           after reading them, and what it read allows reuse, it is a spare again before the
           result, with no file read here. Else the result first, then the reuse or removal,
           which read, write and wait on the kernel (v1: one rmdir per hierarchy), off this
           thread. A removal the JVM's exit interrupts is finished by Cgroups.close() or the
           next start. */
        AfterExit after = afterExit(usage.isPresent(), ownPidNamespace && !hadExec, report.countersReset());
        boolean kept = after == AfterExit.KEEP_IF_RESET && keepIfReset(counters);
        metered.accept(usage);
        if (!kept) {
            cleanup.execute(() -> release(after != AfterExit.REMOVE));
        }
    }

    /** @return whether the cgroup, set back by the launcher, is a spare again (else it needs {@link #release}) */
    private boolean keepIfReset(List<Optional<String>> countersBeforeReset) {
        markReleased();
        try {
            return ContainerCgroups.keepIfReset(lease.get(), countersBeforeReset);
        } catch (RuntimeException e) {
            log.debug("container {}: its cgroup is not kept: {}", id, e.getMessage());
            return false;
        }
    }

    /**
     * Hands the cgroup back for reuse (if {@code reusable} and it can be set back) or removal.
     * Waits on the kernel: not for the launcher's I/O thread.
     */
    void release(boolean reusable) {
        if (lease.isPresent()) {
            markReleased();
            try {
                ContainerCgroups.release(lease.get(), reusable);
            } catch (RuntimeException e) {
                log.warn("container {}: cannot remove its cgroup: {}", id, e.getMessage());
            }
        }
    }

    /** Removes the cgroup off the caller's thread: the container never ran. */
    void removeSoon(Executor cleanup) {
        if (lease.isPresent()) {
            cleanup.execute(() -> release(false));
        }
    }

    /** Kills everything in the cgroup and removes it, off the caller's thread: the launcher is gone. */
    void killAndRemoveSoon(Executor cleanup) {
        if (lease.isPresent()) {
            cleanup.execute(() -> {
                try {
                    lease.get().cgroup().kill();
                } catch (RuntimeException ignored) {
                    /* the removal says what is wrong */
                }
                release(false);
            });
        }
    }

    /* From now on the cgroup may serve another container: pause, stats and the CPU watch leave it alone. */
    private void markReleased() {
        synchronized (lock) {
            released = true;
        }
    }
}
