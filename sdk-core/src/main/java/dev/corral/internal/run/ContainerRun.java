package dev.corral.internal.run;

import dev.corral.ContainerException;
import dev.corral.ContainerProcess;
import dev.corral.ContainerResult;
import dev.corral.ContainerSpec;
import dev.corral.ContainerStartException;
import dev.corral.Input;
import dev.corral.Terminal;
import dev.corral.Output;
import dev.corral.ResourceUsage;
import dev.corral.Termination;
import dev.corral.cgroups.Cgroup;
import dev.corral.cgroups.CgroupUsage;
import dev.corral.cgroups.internal.CgroupLease;
import dev.corral.internal.limits.ContainerCgroups;
import dev.corral.namespaces.launcher.OverlayTrees;
import dev.corral.internal.image.PreparedRootfs;
import dev.corral.internal.mounts.MountPlanner;
import dev.corral.internal.mounts.MountPlanner.PlannedMount;
import dev.corral.internal.stdio.BytesFeeder;
import dev.corral.internal.stdio.CaptureSink;
import dev.corral.internal.stdio.PipeStreams;
import dev.corral.internal.stdio.Splice;
import dev.corral.internal.files.ScratchBox;
import dev.corral.Mount;
import dev.corral.namespaces.Namespace;
import dev.corral.namespaces.launcher.ExitReport;
import dev.corral.namespaces.launcher.LaunchFailure;
import dev.corral.namespaces.launcher.LaunchListener;
import dev.corral.namespaces.launcher.Launcher;
import dev.corral.namespaces.launcher.LauncherUnavailableException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One container's life, from plan to result: its launcher events arrive on the launcher's
 * I/O thread, its timeout on the one timer thread; it holds no thread of its own.
 */
public final class ContainerRun implements ContainerProcess, LaunchListener, CaptureSink.Owner {
    private static final Logger log = LoggerFactory.getLogger(ContainerRun.class);
    private static final int SIGKILL = 9;
    private static final Duration CLOSE_WAIT = Duration.ofSeconds(30);
    /** How often a CPU-time limit is checked: the overshoot is at most this much CPU per CPU. */
    private static final Duration CPU_WATCH = Duration.ofMillis(10);
    private static volatile ScheduledExecutorService timers;
    private static volatile java.util.concurrent.Executor cleanup;

    private final ContainerSpec spec;
    private final List<String> command;
    private final List<PlannedMount> mounts;
    private final CompletableFuture<Long> started = new CompletableFuture<>();
    private final CompletableFuture<ContainerResult> result = new CompletableFuture<>();
    private final CompletableFuture<SocketChannel> stdinPipe = new CompletableFuture<>();
    private final CompletableFuture<SocketChannel> stdoutPipe = new CompletableFuture<>();
    private final CompletableFuture<SocketChannel> stderrPipe = new CompletableFuture<>();
    private final AtomicBoolean closed = new AtomicBoolean();
    private final CaptureSink stdoutSink;
    private final CaptureSink stderrSink;
    private Launcher launcher;
    private long id;
    private volatile boolean timedOut;
    private volatile boolean outputLimited;
    private volatile boolean killedByCaller;
    private volatile ScheduledFuture<?> timeoutTask;
    private ExitReport exit; /* I/O thread only */
    private CgroupLease lease; /* null: no limits, no cgroup */
    private Cgroup cgroup; /* the lease's */
    private volatile boolean cpuTimeExceeded;
    private volatile ScheduledFuture<?> cpuWatch;
    private boolean cgroupDone; /* usage read (guarded by this) */
    private volatile long startNanos; /* when the launcher reported the container running, for stats() */
    /* once set, the cgroup may serve another container: pause, resume, stats and the CPU-time
       watch no longer touch it (guarded by cgroupLock) */
    private boolean cgroupReleased;
    private final Object cgroupLock = new Object();
    private CgroupUsage cgroupUsage;
    private PreparedRootfs prepared;
    /* an interaction's wires: this container's stdin is the reader of one, its stdout the writer of the other */
    private Splice stdinFrom;
    private Splice stdoutTo;
    private ScratchBox scratch; /* null: the spec has no scratch directory */

    private ContainerRun(ContainerSpec spec, List<String> command, List<PlannedMount> mounts) {
        this.spec = spec;
        this.command = command;
        this.mounts = mounts;
        this.stdoutSink = spec.stdout() instanceof Output.Capture c ? new CaptureSink(c.limit().bytes(), c.live(), this) : null;
        this.stderrSink = spec.stderr() instanceof Output.Capture c ? new CaptureSink(c.limit().bytes(), c.live(), this) : null;
    }

    /**
     * Starts a container and waits until its command runs (or its setup failed).
     *
     * @param spec    the validated spec
     * @param command the command, validated
     * @return the running container
     */
    public static ContainerProcess start(ContainerSpec spec, List<String> command) {
        ContainerRun run = launch(spec, command);
        run.awaitStart();
        return run;
    }

    /**
     * Waits until the command runs; kills the container if interrupted.
     *
     * @throws ContainerStartException if it could not start
     */
    public void awaitStart() {
        try {
            started.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            close();
            throw new ContainerException("interrupted while starting the container; it was killed", e);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof ContainerException ce) {
                ce.addSuppressed(new Exception("thrown here"));
                throw ce;
            }
            throw new ContainerException("the container could not start: " + e.getCause(), e.getCause());
        }
    }

    /**
     * Runs a container to its end. Unlike {@link #start}, the caller does not wake up when the
     * command starts (a thread switch less per container): a failed start fails the result.
     *
     * @param spec    the validated spec
     * @param command the command, validated
     * @return the result
     * @throws ContainerStartException if the container could not be started
     */
    public static ContainerResult run(ContainerSpec spec, List<String> command) {
        try (ContainerRun run = launch(spec, command)) {
            return run.waitFor();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ContainerException("interrupted while waiting for the container; it was killed", e);
        }
    }

    /**
     * Starts a container and returns its result to come, at once: no thread waits for it (the
     * launcher's I/O thread completes it), so a JVM may hold any number of runs with a few
     * threads. Cancelling the future kills the container.
     *
     * @param spec    the validated spec
     * @param command the command, validated
     * @return the result, or a failed start ({@link ContainerStartException}) as its exception
     * @throws ContainerStartException if the container could not even be handed to the launcher
     */
    public static CompletableFuture<ContainerResult> runAsync(ContainerSpec spec, List<String> command) {
        ContainerRun run = launch(spec, command);
        CompletableFuture<ContainerResult> future = new CompletableFuture<>() {
            @Override
            public boolean cancel(boolean mayInterruptIfRunning) {
                boolean cancelled = super.cancel(mayInterruptIfRunning);
                if (cancelled) {
                    run.kill();
                }
                return cancelled;
            }
        };
        run.result.whenComplete((r, e) -> {
            run.close(); /* the result is in: nothing left to wait for */
            if (e != null) {
                future.completeExceptionally(e instanceof java.util.concurrent.CompletionException && e.getCause() != null
                        ? e.getCause() : e);
            } else {
                future.complete(r);
            }
        });
        return future;
    }

    /** Prepares the rootfs, mounts and cgroup, and hands the plan to the launcher. */
    private static ContainerRun launch(ContainerSpec spec, List<String> command) {
        return launch(spec, command, null, null);
    }

    /**
     * Starts a container whose stdin and stdout are wired to other containers' through splices
     * (an interaction): the spec's stdin and stdout must be pipes. Returns at once; a failed
     * start fails {@link #onExit()}.
     *
     * @param spec      the validated spec, its stdin and stdout {@code pipe()}
     * @param command   the command, validated
     * @param stdinFrom the splice whose reader this container's stdin is
     * @param stdoutTo  the splice whose writer this container's stdout is
     * @return the container, starting
     */
    public static ContainerRun launchWired(ContainerSpec spec, List<String> command, Splice stdinFrom, Splice stdoutTo) {
        return launch(spec, command, Objects.requireNonNull(stdinFrom), Objects.requireNonNull(stdoutTo));
    }

    private static ContainerRun launch(ContainerSpec spec, List<String> command, Splice stdinFrom, Splice stdoutTo) {
        ContainerCgroups.sweepStaleSoon(cleanup()); /* once per JVM: what killed JVMs left behind */
        ScratchBox scratch = null;
        if (spec.scratch().isPresent()) { /* filled before anything else is made: a cap refuses the start */
            scratch = ScratchBox.create(spec.scratch().get());
            List<Mount> mounts = new java.util.ArrayList<>(spec.mounts());
            mounts.add(Mount.bindReadWrite(scratch.directory(), spec.scratch().get().target()));
            spec = new ContainerSpec(spec.rootfs(), spec.readOnlyRoot(), mounts, spec.hostname(), spec.environment(),
                    spec.workingDirectory(), spec.user(), spec.stdin(), spec.stdout(), spec.stderr(), spec.terminal(),
                    spec.timeout(), spec.commandAsPid1(), spec.command(), spec.security(), spec.resources(), Optional.empty());
        }
        try {
            return launchPrepared(spec, command, stdinFrom, stdoutTo, scratch);
        } catch (RuntimeException e) {
            if (scratch != null) {
                scratch.remove();
            }
            throw e;
        }
    }

    private static ContainerRun launchPrepared(ContainerSpec spec, List<String> command, Splice stdinFrom, Splice stdoutTo,
                                               ScratchBox scratch) {
        PreparedRootfs prepared = PreparedRootfs.prepare(spec, command); /* an image: layers, writable layer, defaults */
        spec = prepared.spec();
        command = prepared.command();
        List<PlannedMount> mounts;
        try {
            mounts = MountPlanner.plan(spec, PlanFactory.usesUserNamespace(spec), prepared.rootMount());
        } catch (RuntimeException e) {
            prepared.release();
            throw e;
        }
        ContainerRun run = new ContainerRun(spec, command, mounts);
        run.prepared = prepared;
        run.scratch = scratch;
        run.stdinFrom = stdinFrom;
        run.stdoutTo = stdoutTo;
        if (stdoutTo != null) {
            stdoutTo.onOverLimit(run::wiredOutputOverLimit);
        }
        try {
            run.launcher = Launcher.shared();
            run.id = run.launcher.reserveId();
        } catch (LauncherUnavailableException e) {
            prepared.release();
            throw new ContainerStartException("start the Corral launcher", Optional.empty(), OptionalInt.empty(), Optional.empty(), e.getMessage(), e);
        }
        try {
            run.lease = ContainerCgroups.create(spec.resources(), spec.commandAsPid1() ? 1 : 2).orElse(null);
            run.cgroup = run.lease == null ? null : run.lease.cgroup();
        } catch (RuntimeException e) {
            prepared.release();
            throw e;
        }
        if (run.cgroup != null) { /* the container's own cgroup, read-only at /sys/fs/cgroup (run.mounts is this list) */
            mounts.addAll(MountPlanner.cgroupView(spec, run.cgroup.procsFiles().stream().map(Path::getParent).toList(),
                    prepared.rootMount()));
        }
        /* an overlay's layers are cloned in this process and handed over with the plan: this
           process's copies are closed once it is sent */
        try (OverlayTrees trees = new OverlayTrees()) {
            run.launcher.launch(run.id, PlanFactory.plan(spec, command, mounts, Optional.ofNullable(run.lease),
                    prepared.passwdRoots(), trees), run);
        } catch (LauncherUnavailableException e) {
            prepared.release();
            run.releaseCgroup(false);
            throw new ContainerStartException("start the Corral launcher", Optional.empty(), OptionalInt.empty(), Optional.empty(), e.getMessage(), e);
        } catch (OverlayTrees.CloneException e) {
            prepared.release();
            run.releaseCgroup(false);
            throw new ContainerStartException("mount the image's layers as an overlay on /", Optional.empty(), OptionalInt.empty(),
                    Optional.empty(), e.getMessage(), e);
        }
        return run;
    }

    /**
     * Removes writable layers and cgroups off the launcher's I/O thread and off the timer thread
     * (whose timeouts must not wait behind a large deletion); its threads end when idle.
     */
    private static java.util.concurrent.Executor cleanup() {
        if (cleanup == null) {
            synchronized (ContainerRun.class) {
                if (cleanup == null) {
                    java.util.concurrent.ThreadPoolExecutor e = new java.util.concurrent.ThreadPoolExecutor(0, 4, 10,
                            TimeUnit.SECONDS, new java.util.concurrent.LinkedBlockingQueue<>(), r -> {
                                Thread th = new Thread(r, "corral-cleanup");
                                th.setDaemon(true);
                                return th;
                            });
                    cleanup = e;
                }
            }
        }
        return cleanup;
    }

    private static ScheduledExecutorService timers() {
        if (timers == null) {
            synchronized (ContainerRun.class) {
                if (timers == null) {
                    ScheduledThreadPoolExecutor t = new ScheduledThreadPoolExecutor(1, r -> {
                        Thread th = new Thread(r, "corral-timer");
                        th.setDaemon(true);
                        return th;
                    });
                    t.setRemoveOnCancelPolicy(true);
                    timers = t;
                }
            }
        }
        return timers;
    }

    /* ---- launcher events, on the I/O thread ---- */

    @Override
    public void streamConnected(int fd, SocketChannel channel) {
        try {
            switch (fd) {
                case 0 -> {
                    if (stdinFrom != null) {
                        stdinFrom.sinkConnected(launcher, channel);
                    } else if (spec.stdin() instanceof Input.Bytes b) {
                        new BytesFeeder(b.bytes()).attach(launcher, channel);
                    } else if (spec.stdin() instanceof Input.Empty) { /* a terminal's input: nothing typed */
                        channel.close();
                    } else {
                        channel.configureBlocking(true);
                        stdinPipe.complete(channel);
                    }
                }
                case 1 -> {
                    if (stdoutTo != null) {
                        stdoutTo.sourceConnected(launcher, channel);
                    } else {
                        connectOutput(channel, stdoutSink, stdoutPipe);
                    }
                }
                default -> connectOutput(channel, stderrSink, stderrPipe);
            }
        } catch (IOException e) {
            log.debug("container {}: stream {} failed: {}", id, fd, e.toString());
            PipeStreams.closeQuietly(channel);
        }
    }

    private void connectOutput(SocketChannel channel, CaptureSink sink, CompletableFuture<SocketChannel> pipe)
            throws IOException {
        if (sink != null) {
            sink.attach(launcher, channel);
        } else {
            channel.configureBlocking(true);
            pipe.complete(channel);
        }
    }

    @Override
    public void started(long pid) {
        startNanos = System.nanoTime();
        spec.timeout().ifPresent(t -> timeoutTask = timers().schedule(() -> {
            timedOut = true;
            signalQuietly(SIGKILL);
        }, t.toNanos(), TimeUnit.NANOSECONDS));
        spec.resources().cpuTime().ifPresent(limit -> cpuWatch = timers().scheduleAtFixedRate(() -> {
            Optional<Duration> used;
            synchronized (cgroupLock) {
                if (cgroupReleased) {
                    return;
                }
                used = cgroup.usage().cpuTotal();
            }
            if (used.isPresent() && used.get().compareTo(limit) >= 0 && !cpuTimeExceeded) {
                cpuTimeExceeded = true;
                signalQuietly(SIGKILL);
            }
        }, CPU_WATCH.toNanos(), CPU_WATCH.toNanos(), TimeUnit.NANOSECONDS));
        started.complete(pid);
    }

    @Override
    public void failed(LaunchFailure failure) {
        ContainerStartException e = StartFailures.map(failure, spec, command, mounts);
        log.debug("container {}: {}", id, e.getMessage());
        prepared.release();
        removeScratchSoon();
        if (cgroup != null) {
            cleanup().execute(() -> releaseCgroup(false));
        }
        started.completeExceptionally(e);
        result.completeExceptionally(e);
        failPipes(e);
    }

    @Override
    public void exited(ExitReport report) {
        exit = report;
        ScheduledFuture<?> t = timeoutTask;
        if (t != null) {
            t.cancel(false);
        }
        stopCpuWatch();
        if (cgroup == null) {
            cgroupDone(null);
        } else {
            /* the launcher read the counter files right after the reap (any it could not read,
               and all if it was given none, are read here, on the I/O thread) */
            List<Optional<String>> counters = Usages.countersRead(lease.counterDescriptors().size(), report);
            CgroupUsage u = null;
            try {
                u = lease.usage(counters);
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
            boolean reusable = u != null && spec.security().namespaces().contains(Namespace.PID);
            boolean kept = reusable && report.countersReset() && keepResetCgroup(counters);
            cgroupDone(u);
            if (!kept) {
                cleanup().execute(() -> releaseCgroup(reusable));
            }
        }
    }

    private synchronized void cgroupDone(CgroupUsage usage) {
        cgroupUsage = usage;
        cgroupDone = true;
        maybeComplete();
    }

    private void stopCpuWatch() {
        ScheduledFuture<?> w = cpuWatch;
        if (w != null) {
            w.cancel(false);
        }
    }

    /** @return whether the cgroup, set back by the launcher, is a spare again (else release it) */
    private boolean keepResetCgroup(List<Optional<String>> countersBeforeReset) {
        markCgroupReleased();
        try {
            return ContainerCgroups.keepIfReset(lease, countersBeforeReset);
        } catch (RuntimeException e) {
            log.debug("container {}: its cgroup is not kept: {}", id, e.getMessage());
            return false;
        }
    }

    /** From now on the cgroup may serve another container: this one's pause, stats and CPU watch leave it alone. */
    private void markCgroupReleased() {
        synchronized (cgroupLock) {
            cgroupReleased = true;
        }
    }

    /** Hands the cgroup back for reuse (if {@code reusable} and it can be reset) or removal. */
    private void releaseCgroup(boolean reusable) {
        if (cgroup != null) {
            markCgroupReleased();
            try {
                ContainerCgroups.release(lease, reusable);
            } catch (RuntimeException e) {
                log.warn("container {}: cannot remove its cgroup: {}", id, e.getMessage());
            }
        }
    }

    @Override
    public void launcherLost(IOException cause) {
        ContainerException e = started.isDone()
                ? new ContainerException("the Corral launcher died; the container was killed with it", cause)
                : new ContainerStartException("start the container", Optional.empty(), OptionalInt.empty(), Optional.empty(),
                        "the Corral launcher died: " + cause.getMessage(), cause);
        prepared.release();
        removeScratchSoon();
        stopCpuWatch();
        if (cgroup != null) {
            cleanup().execute(() -> {
                try {
                    cgroup.kill();
                } catch (RuntimeException ignored) {
                    /* removal below says what is wrong */
                }
                releaseCgroup(false);
            });
        }
        started.completeExceptionally(e);
        result.completeExceptionally(e);
        failPipes(e);
    }

    @Override
    public void captureEnded(CaptureSink sink) {
        maybeComplete();
    }

    private void removeScratchSoon() {
        if (scratch != null) {
            cleanup().execute(() -> {
                try {
                    scratch.remove();
                } catch (RuntimeException e) {
                    log.warn("container {}: cannot remove its scratch directory: {}", id, e.getMessage());
                }
            });
        }
    }

    /** The container wrote more to the other container of its interaction than its output limit. */
    private void wiredOutputOverLimit() {
        outputLimited = true;
        signalQuietly(SIGKILL);
    }

    @Override
    public void captureLimitExceeded(CaptureSink sink) {
        outputLimited = true;
        signalQuietly(SIGKILL);
    }

    private synchronized void maybeComplete() {
        if (exit == null || !cgroupDone || (stdoutSink != null && !stdoutSink.ended())
                || (stderrSink != null && !stderrSink.ended()) || result.isDone()) {
            return;
        }
        CgroupUsage cg = cgroupUsage;
        ExitReport r = exit;
        Termination termination = Usages.termination(r, new Usages.Causes(outputLimited, timedOut, cpuTimeExceeded,
                cg != null && cg.oomKills().orElse(0) > 0, killedByCaller, !spec.security().seccomp().isUnconfined()));
        ResourceUsage usage = Usages.ofExit(r, Optional.ofNullable(cg));
        ContainerResult done = new ContainerResult(termination, r.exitCode(), r.signal(),
                stdoutSink == null ? new byte[0] : stdoutSink.bytes(),
                stderrSink == null ? new byte[0] : stderrSink.bytes(), usage);
        if (prepared.hasWritableLayer() || scratch != null) {
            /* removing the writable layer, copying files out: not on the launcher's I/O thread */
            CompletableFuture.runAsync(() -> {
                try {
                    ContainerResult d = done;
                    if (prepared.hasWritableLayer()) {
                        d = d.withWritableLayer(prepared.release());
                    }
                    if (scratch != null) {
                        try {
                            d = d.withFiles(Optional.of(scratch.copyOut()));
                        } finally {
                            scratch.remove();
                        }
                    }
                    result.complete(d);
                } catch (RuntimeException e) {
                    result.completeExceptionally(new ContainerException("the container ended, but its files could not "
                            + "be copied out or removed: " + e.getMessage(), e));
                }
            }, cleanup());
        } else {
            result.complete(done);
        }
    }

    private void failPipes(Exception e) {
        for (CompletableFuture<SocketChannel> p : List.of(stdinPipe, stdoutPipe, stderrPipe)) {
            failPipe(p, e);
        }
    }

    /** Fails a pipe no one took yet, or closes it; the I/O thread and close() may race here. */
    private static void failPipe(CompletableFuture<SocketChannel> p, Exception e) {
        if (!p.completeExceptionally(e) && !p.isCompletedExceptionally()) {
            PipeStreams.closeQuietly(p.join());
        }
    }

    private void signalQuietly(int signal) {
        try {
            launcher.signal(id, signal);
        } catch (LauncherUnavailableException e) {
            /* the launcher is gone, and its containers with it */
        }
    }

    /* ---- ContainerProcess ---- */

    @Override
    public long pid() {
        return started.join();
    }

    @Override
    public OutputStream stdin() {
        if (stdinFrom != null) {
            throw new IllegalStateException("stdin is wired to the other container's stdout (an Interaction)");
        }
        if (!(spec.stdin() instanceof Input.Pipe)) {
            throw new IllegalStateException("stdin is " + spec.stdin() + ", not Input.pipe()");
        }
        return PipeStreams.output(stdinPipe);
    }

    @Override
    public InputStream stdout() {
        if (stdoutTo != null) {
            throw new IllegalStateException("stdout is wired to the other container's stdin (an Interaction)");
        }
        if (!(spec.stdout() instanceof Output.Pipe)) {
            throw new IllegalStateException("stdout is " + spec.stdout() + ", not Output.pipe()");
        }
        return PipeStreams.input(stdoutPipe);
    }

    @Override
    public InputStream stderr() {
        if (!(spec.stderr() instanceof Output.Pipe)) {
            throw new IllegalStateException("stderr is " + spec.stderr() + ", not Output.pipe()");
        }
        return PipeStreams.input(stderrPipe);
    }

    @Override
    public CompletableFuture<ContainerResult> onExit() {
        return result.copy();
    }

    @Override
    public ContainerResult waitFor() throws InterruptedException {
        try {
            return result.get();
        } catch (ExecutionException e) {
            throw unwrap(e);
        }
    }

    @Override
    public Optional<ContainerResult> waitFor(Duration timeout) throws InterruptedException {
        try {
            return Optional.of(result.get(timeout.toNanos(), TimeUnit.NANOSECONDS));
        } catch (TimeoutException e) {
            return Optional.empty();
        } catch (ExecutionException e) {
            throw unwrap(e);
        }
    }

    private static ContainerException unwrap(ExecutionException e) {
        return e.getCause() instanceof ContainerException ce ? ce
                : new ContainerException("the container failed: " + e.getCause(), e.getCause());
    }

    @Override
    public void pause() {
        withCgroup("pause", c -> {
            c.freeze();
            return null;
        });
    }

    @Override
    public void resume() {
        withCgroup("resume", c -> {
            c.thaw();
            return null;
        });
    }

    @Override
    public ResourceUsage stats() {
        return withCgroup("stats", c -> Usages.live(Duration.ofNanos(System.nanoTime() - startNanos), c.usage()));
    }

    /** @return what {@code op} returns, run on the container's cgroup while it is still the container's own */
    private <T> T withCgroup(String what, java.util.function.Function<Cgroup, T> op) {
        if (cgroup == null) {
            throw new IllegalStateException(what + " needs the container's cgroup, and it has none: a container gets "
                    + "one when it has a resource limit, e.g. memory(...), cpus(...), pids(...) or cpuTimeLimit(...)");
        }
        synchronized (cgroupLock) {
            if (result.isDone() || cgroupReleased) {
                throw new IllegalStateException(what + ": the container has ended");
            }
            return op.apply(cgroup);
        }
    }

    @Override
    public boolean isAlive() {
        return !result.isDone();
    }

    @Override
    public void signal(int signal) {
        if (!result.isDone()) {
            signalQuietly(signal);
        }
    }

    @Override
    public void resizeTerminal(Terminal size) {
        Objects.requireNonNull(size, "size");
        if (spec.terminal().isEmpty()) {
            throw new IllegalStateException("the container has no terminal: give the spec one with terminal(...)");
        }
        if (!result.isDone() && launcher != null) {
            launcher.resize(id, size.rows(), size.columns());
        }
    }

    @Override
    public void kill() {
        if (!result.isDone()) {
            killedByCaller = true;
            signalQuietly(SIGKILL);
        }
    }

    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        kill();
        try {
            result.get(CLOSE_WAIT.toNanos(), TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException e) {
            log.debug("container {} closed: {}", id, e.toString());
        }
        ScheduledFuture<?> t = timeoutTask;
        if (t != null) {
            t.cancel(false);
        }
        failPipes(new IOException("the container was closed"));
    }

    @Override
    public String toString() {
        return "ContainerRun[" + id + ", " + command + "]";
    }
}
