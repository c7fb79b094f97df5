package dev.corral.internal.run;

import dev.corral.ContainerException;
import dev.corral.ContainerProcess;
import dev.corral.ContainerResult;
import dev.corral.ContainerSpec;
import dev.corral.ContainerStartException;
import dev.corral.Mount;
import dev.corral.ResourceUsage;
import dev.corral.Terminal;
import dev.corral.cgroups.CgroupUsage;
import dev.corral.internal.files.ScratchBox;
import dev.corral.internal.image.PreparedRootfs;
import dev.corral.internal.limits.ContainerCgroups;
import dev.corral.internal.mounts.MountPlanner;
import dev.corral.internal.mounts.MountPlanner.PlannedMount;
import dev.corral.internal.network.ContainerNetworks;
import dev.corral.internal.network.NetworkAttachment;
import dev.corral.internal.stdio.Splice;
import dev.corral.namespaces.Namespace;
import dev.corral.namespaces.launcher.ExitReport;
import dev.corral.namespaces.launcher.LaunchFailure;
import dev.corral.namespaces.launcher.LaunchListener;
import dev.corral.namespaces.launcher.Launcher;
import dev.corral.namespaces.launcher.LauncherUnavailableException;
import dev.corral.namespaces.launcher.OverlayTrees;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One container's life, from plan to result, as the coordinator of its parts: its files on the
 * host ({@link RunFiles}), its cgroup ({@link RunCgroup}), its stdio ({@link RunStdio}), its
 * clocks ({@link Watchdog}) and its result ({@link ResultAssembly}). The launcher's events
 * arrive on the launcher's I/O thread and are handed to the parts; the caller's requests
 * ({@link ContainerProcess}) likewise. It holds no thread of its own ({@link RunThreads}).
 *
 * <pre>{@code
 * ContainerResult r = ContainerRun.run(spec, List.of("/bin/true"));      // to its end
 * ContainerProcess p = ContainerRun.start(spec, List.of("/bin/sleep", "9")); // once it runs
 * }</pre>
 */
public final class ContainerRun implements ContainerProcess, LaunchListener {
    private static final Logger log = LoggerFactory.getLogger(ContainerRun.class);
    private static final int SIGKILL = 9;
    private static final Duration CLOSE_WAIT = Duration.ofSeconds(30);

    private final ContainerSpec spec;
    private final List<String> command;
    private final List<PlannedMount> mounts;
    private final Launcher launcher;
    private final long id;
    private final RunFiles files;
    private final RunCgroup cgroup;
    private final RunStdio stdio;
    private final Watchdog watchdog = new Watchdog(() -> signalQuietly(SIGKILL));
    private final ResultAssembly parts = new ResultAssembly();
    private final CompletableFuture<Long> started = new CompletableFuture<>();
    private final CompletableFuture<ContainerResult> result = new CompletableFuture<>();
    private final AtomicBoolean closed = new AtomicBoolean();
    private volatile boolean outputLimited;
    private volatile boolean killedByCaller;
    private volatile long startNanos; /* when the launcher reported the container running, for stats() */
    /* an exec: the container it runs in (its exec() goes there); null for a container */
    private volatile ContainerRun execParent;

    private ContainerRun(ContainerSpec spec, List<String> command, List<PlannedMount> mounts, Launcher launcher, long id,
                         RunFiles files, RunCgroup cgroup, Optional<Splice> stdinFrom, Optional<Splice> stdoutTo) {
        this.spec = spec;
        this.command = command;
        this.mounts = mounts;
        this.launcher = launcher;
        this.id = id;
        this.files = files;
        this.cgroup = cgroup;
        this.stdio = new RunStdio(spec, stdinFrom, stdoutTo, id, this::maybeComplete, this::outputOverLimit);
    }

    /**
     * Starts a container and waits until its command runs (or its setup failed).
     *
     * @param spec    the validated spec
     * @param command the command, validated
     * @return the running container
     */
    public static ContainerProcess start(ContainerSpec spec, List<String> command) {
        ContainerRun run = launch(spec, command, Optional.empty(), Optional.empty());
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
            files.network().awaitReady();
        } catch (ContainerException e) { /* the network never came up: the container goes */
            close();
            throw e;
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
     * Prepares what a first run would: the shared launcher (started, with its native calls
     * bound) and the default policy's compiled seccomp filter. For {@code Container.warmUp()}.
     *
     * @throws RuntimeException whatever starting the launcher throws; the first run reports it
     */
    public static void warmUp() {
        dev.corral.SecurityPolicy defaults = dev.corral.SecurityPolicy.defaults(); /* a builder needs it first */
        Launcher.shared();
        PlanFactory.precompile(defaults.seccomp());
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
        try (ContainerRun run = launch(spec, command, Optional.empty(), Optional.empty())) {
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
        ContainerRun run = launch(spec, command, Optional.empty(), Optional.empty());
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
                future.completeExceptionally(e instanceof CompletionException && e.getCause() != null ? e.getCause() : e);
            } else {
                future.complete(r);
            }
        });
        return future;
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
        return launch(spec, command, Optional.of(stdinFrom), Optional.of(stdoutTo));
    }

    /** Fills the scratch directory, if any (a cap refuses the start before anything else is made), then launches. */
    private static ContainerRun launch(ContainerSpec spec, List<String> command, Optional<Splice> stdinFrom,
                                       Optional<Splice> stdoutTo) {
        ContainerCgroups.sweepStaleSoon(RunThreads.cleanup()); /* once per JVM: what killed JVMs left behind */
        ContainerNetworks.sweepStaleSoon(RunThreads.cleanup());
        if (spec.scratch().isEmpty()) {
            return launchPrepared(spec, command, stdinFrom, stdoutTo, Optional.empty());
        }
        ScratchBox scratch = ScratchBox.create(spec.scratch().get());
        List<Mount> mounts = new ArrayList<>(spec.mounts());
        mounts.add(Mount.bindReadWrite(scratch.directory(), spec.scratch().get().target()));
        ContainerSpec bound = new ContainerSpec(spec.rootfs(), spec.readOnlyRoot(), mounts, spec.hostname(),
                spec.environment(), spec.workingDirectory(), spec.user(), spec.stdin(), spec.stdout(), spec.stderr(),
                spec.terminal(), spec.timeout(), spec.commandAsPid1(), spec.command(), spec.security(), spec.resources(),
                Optional.empty(), spec.network(), spec.ipcFrom());
        try {
            return launchPrepared(bound, command, stdinFrom, stdoutTo, Optional.of(scratch));
        } catch (RuntimeException e) {
            scratch.remove();
            throw e;
        }
    }

    /** Prepares the rootfs, mounts and cgroup, and hands the plan to the launcher. */
    private static ContainerRun launchPrepared(ContainerSpec spec, List<String> command, Optional<Splice> stdinFrom,
                                               Optional<Splice> stdoutTo, Optional<ScratchBox> scratch) {
        PreparedRootfs prepared = PreparedRootfs.prepare(spec, command); /* an image: layers, writable layer, defaults */
        ContainerSpec effective = prepared.spec();
        List<PlannedMount> mounts;
        Launcher launcher;
        long id;
        RunCgroup cgroup;
        NetworkAttachment net = null;
        try {
            mounts = MountPlanner.plan(effective, PlanFactory.usesUserNamespace(effective), prepared.rootMount());
            try {
                launcher = Launcher.shared();
                id = launcher.reserveId();
            } catch (LauncherUnavailableException e) {
                throw launcherUnavailable(e);
            }
            /* before the plan: what it shares, joins and binds */
            net = PodNamespaces.joins(effective) ? PodNamespaces.attach(effective) : ContainerNetworks.attach(effective, id);
            cgroup = new RunCgroup(ContainerCgroups.create(effective.resources(), effective.commandAsPid1() ? 1 : 2), id);
        } catch (RuntimeException e) {
            prepared.release();
            if (net != null) {
                net.planSent();
                net.release();
            }
            throw e;
        }
        /* the container's own cgroup, read-only at /sys/fs/cgroup (run.mounts is this list) */
        if (cgroup.lease().isPresent()) {
            mounts.addAll(MountPlanner.cgroupView(effective, cgroup.directories(), prepared.rootMount()));
        }
        mounts.addAll(networkFiles(effective, net));
        ContainerRun run = new ContainerRun(effective, prepared.command(), mounts, launcher, id,
                new RunFiles(prepared, scratch, net, id), cgroup, stdinFrom, stdoutTo);
        /* an overlay's layers are cloned in this process and handed over with the plan: this
           process's copies are closed once it is sent */
        try (OverlayTrees trees = new OverlayTrees(launcher)) {
            dev.corral.namespaces.launcher.LaunchPlan plan = PlanFactory.plan(effective, run.command, mounts, cgroup.lease(),
                    prepared.passwdRoots(), trees, net);
            Optional<dev.corral.namespaces.launcher.NamespacesAhead> set = net.namespacesFor(launcher, plan);
            if (set.isPresent()) {
                launcher.launch(id, plan, set.get(), run); /* its network namespace configured already */
            } else {
                launcher.launch(id, plan, run);
            }
        } catch (RuntimeException e) { /* not started: a refused plan (its user IDs), no launcher, no overlay */
            prepared.release();
            cgroup.release(false);
            net.planSent();
            net.release();
            if (e instanceof LauncherUnavailableException u) {
                throw launcherUnavailable(u);
            } else if (e instanceof OverlayTrees.CloneException c) {
                throw new ContainerStartException(c.ofBind() ? "bind a directory as its owner" : "mount the image's layers as an overlay on /", Optional.empty(),
                        OptionalInt.empty(), Optional.empty(), c.getMessage(), c);
            }
            throw e;
        }
        net.planSent();
        return run;
    }

    /** The network's /etc files, bound read-only where the spec binds nothing of its own. */
    private static List<PlannedMount> networkFiles(ContainerSpec spec, NetworkAttachment net) {
        List<PlannedMount> out = new ArrayList<>();
        for (NetworkAttachment.FileBind f : net.files()) {
            if (spec.mounts().stream().noneMatch(m -> m.target().equals(f.target()))) {
                out.add(new PlannedMount(dev.corral.namespaces.launcher.LaunchPlan.MountOp.bind(f.source().toString(),
                        f.target(), NETWORK_FILE_FLAGS), MountPlanner.Role.SYSTEM, Optional.empty()));
            }
        }
        return out;
    }

    private static final int NETWORK_FILE_FLAGS = dev.corral.namespaces.launcher.LaunchPlan.MountOp.RDONLY
            | dev.corral.namespaces.launcher.LaunchPlan.MountOp.NOSUID | dev.corral.namespaces.launcher.LaunchPlan.MountOp.NODEV
            | dev.corral.namespaces.launcher.LaunchPlan.MountOp.NOEXEC;

    private static ContainerStartException launcherUnavailable(LauncherUnavailableException e) {
        return new ContainerStartException("start the Corral launcher", Optional.empty(), OptionalInt.empty(),
                Optional.empty(), e.getMessage(), e);
    }

    /* ---- launcher events, on the I/O thread ---- */

    @Override
    public void streamConnected(int fd, SocketChannel channel) {
        stdio.connected(launcher, fd, channel);
    }

    @Override
    public void gated(long pid) {
        files.network().gated(pid);
    }

    @Override
    public void started(long pid) {
        startNanos = System.nanoTime();
        files.network().started(pid);
        watchdog.start(RunThreads.timers(), spec.timeout(), spec.resources().cpuTime(), cgroup::cpuUsed);
        started.complete(pid);
    }

    @Override
    public void failed(LaunchFailure failure) {
        /* a network that closed the container's gate says why (pasta failed) */
        ContainerStartException e = files.network().startFailure()
                .orElseGet(() -> StartFailures.map(failure, spec, command, mounts));
        log.debug("container {}: {}", id, e.getMessage());
        cgroup.removeSoon(RunThreads.cleanup());
        files.releaseAfterFailure(RunThreads.cleanup(), () -> {
            started.completeExceptionally(e);
            result.completeExceptionally(e);
        });
        stdio.fail(e);
    }

    @Override
    public void exited(ExitReport report) {
        parts.exited(report);
        watchdog.stop();
        cgroup.meterAtExit(report, spec.security().namespaces().contains(Namespace.PID), this::metered,
                RunThreads.cleanup());
    }

    private void metered(Optional<CgroupUsage> usage) {
        parts.metered(usage);
        maybeComplete();
    }

    @Override
    public void launcherLost(IOException cause) {
        ContainerException e = started.isDone()
                ? new ContainerException("the Corral launcher died; the container was killed with it", cause)
                : new ContainerStartException("start the container", Optional.empty(), OptionalInt.empty(), Optional.empty(),
                        "the Corral launcher died: " + cause.getMessage(), cause);
        files.releaseAfterFailure(RunThreads.cleanup());
        watchdog.stop();
        cgroup.killAndRemoveSoon(RunThreads.cleanup());
        started.completeExceptionally(e);
        result.completeExceptionally(e);
        stdio.fail(e);
    }

    /* ---- the result ---- */

    /** An output went past its limit (a capture, or the wire to the other container of an interaction). */
    private void outputOverLimit() {
        outputLimited = true;
        signalQuietly(SIGKILL);
    }

    /** Completes the result when its last part is in: the exit, the usage, the captured outputs. */
    private void maybeComplete() {
        if (result.isDone()) {
            return;
        }
        parts.take(stdio::outputsEnded).ifPresent(in -> files.complete(
                in.result(new ResultAssembly.Seen(outputLimited, watchdog.timedOut(), watchdog.cpuTimeExceeded(),
                        killedByCaller, !spec.security().seccomp().isUnconfined()), stdio.stdoutBytes(), stdio.stderrBytes()),
                result, RunThreads.cleanup()));
    }

    /* ---- exec: another command in this running container ---- */

    @Override
    public ContainerProcess exec(dev.corral.ExecSpec options, List<String> command) {
        Objects.requireNonNull(options, "options");
        Objects.requireNonNull(command, "command");
        ContainerRun parent = execParent;
        if (parent != null) {
            return parent.exec(options, command);
        }
        if (command.stream().anyMatch(Objects::isNull)) {
            throw new dev.corral.InvalidSpecException("command", "must not contain null: " + command);
        }
        if (command.isEmpty()) {
            throw new dev.corral.InvalidSpecException("command", "must not be empty");
        }
        java.util.SortedMap<String, String> env = new java.util.TreeMap<>(spec.environment());
        env.putAll(options.environment());
        ContainerSpec execSpec = new ContainerSpec(spec.rootfs(), spec.readOnlyRoot(), spec.mounts(), spec.hostname(), env,
                options.workingDirectory().orElse(spec.workingDirectory()), spec.user(), options.stdin(), options.stdout(),
                options.stderr(), options.terminal(), options.timeout(), false, command, spec.security(),
                dev.corral.ResourceLimits.none(), Optional.empty(), spec.network(), spec.ipcFrom());
        if (!started.isDone() || started.isCompletedExceptionally() || result.isDone()) {
            throw ended();
        }
        long execId;
        try {
            execId = launcher.reserveId();
        } catch (LauncherUnavailableException e) {
            throw launcherUnavailable(e);
        }
        ContainerRun run = new ContainerRun(execSpec, command, List.of(), launcher, execId, RunFiles.ofExec(execId),
                new RunCgroup(Optional.empty(), execId), Optional.empty(), Optional.empty());
        run.execParent = this;
        try (ExecNamespaces ns = ExecNamespaces.open(started.join(), this::ended)) {
            /* the init is not reaped yet (its end not seen): its PID was not reused, the namespaces are its */
            cgroup.startExec(result::isDone, this::ended, lease -> launcher.launch(execId,
                    PlanFactory.execPlan(execSpec, command, lease, files.passwdRoots(), ns.joinOrder()), run));
        } catch (LauncherUnavailableException e) {
            throw launcherUnavailable(e);
        }
        run.awaitStart();
        return run;
    }

    private IllegalStateException ended() {
        return new IllegalStateException("exec: the container " + command + " has ended"
                + (result.isDone() && !result.isCompletedExceptionally() ? " (" + result.join().termination() + ")" : "")
                + ": nothing runs in it to join");
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

    /** @return the /etc files of this container's network, for a container joining it */
    List<NetworkAttachment.FileBind> networkFiles() {
        return files.network().files();
    }

    @Override
    public Optional<java.net.InetAddress> address() {
        ContainerRun parent = execParent;
        return parent != null ? parent.address() : files.network().address();
    }

    @Override
    public OutputStream stdin() {
        return stdio.stdin();
    }

    @Override
    public InputStream stdout() {
        return stdio.stdout();
    }

    @Override
    public InputStream stderr() {
        return stdio.stderr();
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
        cgroup.whileOwn("pause", result::isDone, c -> {
            c.freeze();
            return null;
        });
    }

    @Override
    public void resume() {
        cgroup.whileOwn("resume", result::isDone, c -> {
            c.thaw();
            return null;
        });
    }

    @Override
    public ResourceUsage stats() {
        return cgroup.whileOwn("stats", result::isDone,
                c -> Usages.live(Duration.ofNanos(System.nanoTime() - startNanos), c.usage()));
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
        if (!result.isDone()) {
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
        watchdog.stop();
        stdio.fail(new IOException("the container was closed"));
    }

    @Override
    public String toString() {
        return "ContainerRun[" + id + ", " + command + "]";
    }
}
