package dev.corral.internal.run;

import dev.corral.ContainerException;
import dev.corral.ContainerProcess;
import dev.corral.ContainerResult;
import dev.corral.ContainerSpec;
import dev.corral.ContainerStartException;
import dev.corral.Input;
import dev.corral.Output;
import dev.corral.ResourceUsage;
import dev.corral.Termination;
import dev.corral.cgroups.DataSize;
import dev.corral.internal.image.PreparedRootfs;
import dev.corral.internal.mounts.MountPlanner;
import dev.corral.internal.mounts.MountPlanner.PlannedMount;
import dev.corral.internal.stdio.BytesFeeder;
import dev.corral.internal.stdio.CaptureSink;
import dev.corral.internal.stdio.PipeStreams;
import dev.corral.namespaces.launcher.ExitReport;
import dev.corral.namespaces.launcher.LaunchFailure;
import dev.corral.namespaces.launcher.LaunchListener;
import dev.corral.namespaces.launcher.Launcher;
import dev.corral.namespaces.launcher.LauncherUnavailableException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
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
    private static final int SIGSYS = 31;
    private static final Duration CLOSE_WAIT = Duration.ofSeconds(30);
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
    private PreparedRootfs prepared;

    private ContainerRun(ContainerSpec spec, List<String> command, List<PlannedMount> mounts) {
        this.spec = spec;
        this.command = command;
        this.mounts = mounts;
        this.stdoutSink = spec.stdout() instanceof Output.Capture c ? new CaptureSink(c.limit().bytes(), this) : null;
        this.stderrSink = spec.stderr() instanceof Output.Capture c ? new CaptureSink(c.limit().bytes(), this) : null;
    }

    /**
     * Starts a container and waits until its command runs (or its setup failed).
     *
     * @param spec    the validated spec
     * @param command the command, validated
     * @return the running container
     */
    public static ContainerProcess start(ContainerSpec spec, List<String> command) {
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
        try {
            run.launcher = Launcher.shared();
            run.id = run.launcher.reserveId();
            run.launcher.launch(run.id, PlanFactory.plan(spec, command, mounts), run);
        } catch (LauncherUnavailableException e) {
            prepared.release();
            throw new ContainerStartException("start the Corral launcher", Optional.empty(), 0, "", e.getMessage(), e);
        }
        try {
            run.started.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            run.close();
            throw new ContainerException("interrupted while starting the container; it was killed", e);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof ContainerException ce) {
                ce.addSuppressed(new Exception("thrown here"));
                throw ce;
            }
            throw new ContainerException("the container could not start: " + e.getCause(), e.getCause());
        }
        return run;
    }

    /**
     * Removes writable layers off the launcher's I/O thread and off the timer thread (whose
     * timeouts must not wait behind a large deletion); its threads end when idle.
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
                    if (spec.stdin() instanceof Input.Bytes b) {
                        new BytesFeeder(b.bytes()).attach(launcher, channel);
                    } else {
                        channel.configureBlocking(true);
                        stdinPipe.complete(channel);
                    }
                }
                case 1 -> connectOutput(channel, stdoutSink, stdoutPipe);
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
        spec.timeout().ifPresent(t -> timeoutTask = timers().schedule(() -> {
            timedOut = true;
            signalQuietly(SIGKILL);
        }, t.toNanos(), TimeUnit.NANOSECONDS));
        started.complete(pid);
    }

    @Override
    public void failed(LaunchFailure failure) {
        ContainerStartException e = StartFailures.map(failure, spec, command, mounts);
        log.debug("container {}: {}", id, e.getMessage());
        prepared.release();
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
        maybeComplete();
    }

    @Override
    public void launcherLost(IOException cause) {
        ContainerException e = started.isDone()
                ? new ContainerException("the Corral launcher died; the container was killed with it", cause)
                : new ContainerStartException("start the container", Optional.empty(), 0, "",
                        "the Corral launcher died: " + cause.getMessage(), cause);
        prepared.release();
        started.completeExceptionally(e);
        result.completeExceptionally(e);
        failPipes(e);
    }

    @Override
    public void captureEnded(CaptureSink sink) {
        maybeComplete();
    }

    @Override
    public void captureLimitExceeded(CaptureSink sink) {
        outputLimited = true;
        signalQuietly(SIGKILL);
    }

    private void maybeComplete() {
        if (exit == null || (stdoutSink != null && !stdoutSink.ended()) || (stderrSink != null && !stderrSink.ended())) {
            return;
        }
        ExitReport r = exit;
        Termination termination;
        if (outputLimited) {
            termination = Termination.OUTPUT_LIMITED;
        } else if (timedOut && r.signaled()) {
            termination = Termination.TIMED_OUT;
        } else if (killedByCaller && r.signaled()) {
            termination = Termination.KILLED;
        } else if (r.signaled() && r.value() == SIGSYS && !spec.security().seccomp().isUnconfined()) {
            termination = Termination.SECCOMP_KILLED;
        } else {
            termination = r.signaled() ? Termination.SIGNALED : Termination.EXITED;
        }
        ResourceUsage usage = new ResourceUsage(r.wallTime(), r.userTime(), r.systemTime(),
                DataSize.ofKibibytes(r.maxRssKibibytes()), ResourceUsage.PeakMemorySource.RUSAGE_MAX_RSS);
        ContainerResult done = new ContainerResult(termination, r.exitCode(), r.signal(),
                stdoutSink == null ? new byte[0] : stdoutSink.bytes(),
                stderrSink == null ? new byte[0] : stderrSink.bytes(), usage);
        if (prepared.hasWritableLayer()) {
            /* removing the writable layer may take a while: not on the launcher's I/O thread */
            CompletableFuture.runAsync(() -> result.complete(done.withWritableLayer(prepared.release())), cleanup());
        } else {
            result.complete(done);
        }
    }

    private void failPipes(Exception e) {
        for (CompletableFuture<SocketChannel> p : List.of(stdinPipe, stdoutPipe, stderrPipe)) {
            if (!p.completeExceptionally(e)) {
                PipeStreams.closeQuietly(p.join());
            }
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
        if (!(spec.stdin() instanceof Input.Pipe)) {
            throw new IllegalStateException("stdin is " + spec.stdin() + ", not Input.pipe()");
        }
        return PipeStreams.output(stdinPipe);
    }

    @Override
    public InputStream stdout() {
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
        for (CompletableFuture<SocketChannel> p : List.of(stdinPipe, stdoutPipe, stderrPipe)) {
            if (!p.completeExceptionally(new IOException("the container was closed"))) {
                PipeStreams.closeQuietly(p.join());
            }
        }
    }

    @Override
    public String toString() {
        return "ContainerRun[" + id + ", " + command + "]";
    }
}
