package dev.corral;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * Runs many commands in sandboxes of one {@link ContainerSpec}, at most {@code size} at once,
 * the rest waiting in order, with no thread per run: a judge's pool, one sandbox per core.
 *
 * <p>Every run starts from exactly the spec's state, never from what an earlier run left: its
 * mount, PID, IPC, UTS and network namespaces are its own (the launcher keeps sets of the last
 * three made ahead of time, so a run only joins them), its {@code /tmp} and
 * {@link ScratchDirectory} are fresh, and so no process, file, environment, SysV IPC object,
 * POSIX message queue, {@code /dev/shm} file or lock of an earlier run is there. Its cgroup, if
 * it has limits, is one made ahead of time or an earlier run's whose counters were set back to
 * exactly zero; one that cannot be set back exactly is removed, never reused. So each run's
 * usage is its own.
 *
 * <pre>{@code
 * ContainerSpec spec = Container.builder().memory(DataSize.ofMebibytes(256)).pids(64)
 *         .cpuTimeLimit(Duration.ofSeconds(1)).build();
 * try (ContainerPool pool = ContainerPool.of(spec, Runtime.getRuntime().availableProcessors())) {
 *     List<CompletableFuture<ContainerResult>> runs = new ArrayList<>();
 *     for (Path test : tests) {
 *         runs.add(pool.runAsync(List.of("/prog/main"), Input.file(test)));
 *     }
 *     ...
 * }
 * }</pre>
 */
public final class ContainerPool implements AutoCloseable {
    private static volatile Executor starter;

    private final ContainerSpec spec;
    private final int size;
    private final Deque<Queued> waiting = new ArrayDeque<>();
    private final Set<CompletableFuture<ContainerResult>> running = ConcurrentHashMap.newKeySet();
    private int busy; /* guarded by this */
    private boolean closed; /* guarded by this */

    private record Queued(List<String> command, Input stdin, CompletableFuture<ContainerResult> result) {}

    private ContainerPool(ContainerSpec spec, int size) {
        this.spec = spec;
        this.size = size;
    }

    /**
     * @param spec the sandboxes' spec (its stdin is each run's unless the run gives one)
     * @param size how many run at once, 1 or more
     * @return the pool
     * @throws InvalidSpecException if the size is less than 1, or the spec's stdio needs a caller's streams
     */
    public static ContainerPool of(ContainerSpec spec, int size) {
        Objects.requireNonNull(spec, "spec");
        if (size < 1) {
            throw new InvalidSpecException("size", "a pool runs 1 or more at once, not " + size);
        }
        if (spec.stdin() instanceof Input.Pipe || spec.stdout() instanceof Output.Pipe
                || spec.stderr() instanceof Output.Pipe || spec.terminal().isPresent()) {
            throw new InvalidSpecException("stdio", "a pool's runs are read from their results: no Input.pipe(), "
                    + "Output.pipe() or terminal");
        }
        return new ContainerPool(spec, size);
    }

    /** @return the spec every run starts from */
    public ContainerSpec spec() {
        return spec;
    }

    /** @return how many run at once */
    public int size() {
        return size;
    }

    /**
     * Runs a command and waits for its result.
     *
     * @param command the program and its arguments
     * @return the result
     * @throws ContainerStartException if the container could not be started
     * @throws IllegalStateException if the pool is closed
     */
    public ContainerResult run(String... command) {
        return await(runAsync(List.of(command), spec.stdin()));
    }

    /**
     * @param command the program and its arguments
     * @param stdin   this run's standard input
     * @return the result
     * @throws ContainerStartException if the container could not be started
     * @throws IllegalStateException if the pool is closed
     */
    public ContainerResult run(List<String> command, Input stdin) {
        return await(runAsync(command, stdin));
    }

    private static ContainerResult await(CompletableFuture<ContainerResult> f) {
        try {
            return f.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            f.cancel(false);
            throw new ContainerException("interrupted while waiting for a pooled run; it was killed", e);
        } catch (ExecutionException e) {
            throw e.getCause() instanceof ContainerException ce ? ce
                    : new ContainerException("the pooled run failed: " + e.getCause(), e.getCause());
        }
    }

    /**
     * Runs a command as soon as fewer than {@code size} of this pool's runs are running, and
     * returns at once; the result comes through the future. Cancelling it takes a waiting run
     * out of the queue, or kills a running one.
     *
     * @param command the program and its arguments
     * @param stdin   this run's standard input (not {@link Input#pipe()})
     * @return the result to come; a failed start fails it with a {@link ContainerStartException}
     * @throws IllegalStateException if the pool is closed
     */
    public CompletableFuture<ContainerResult> runAsync(List<String> command, Input stdin) {
        List<String> cmd = List.copyOf(command);
        Objects.requireNonNull(stdin, "stdin");
        if (stdin instanceof Input.Pipe) {
            throw new InvalidSpecException("stdin", "a pooled run's input is given, not Input.pipe()");
        }
        CompletableFuture<ContainerResult> result = new CompletableFuture<>();
        Queued q = new Queued(cmd, stdin, result);
        boolean now;
        synchronized (this) {
            if (closed) {
                throw new IllegalStateException("the pool is closed");
            }
            now = busy < size;
            if (now) {
                busy++;
            } else {
                waiting.add(q);
            }
        }
        if (now) {
            start(q);
        }
        return result;
    }

    /** Starts a run whose slot is taken; frees the slot when it ends. */
    private void start(Queued q) {
        if (q.result().isDone()) { /* cancelled while it waited */
            finished();
            return;
        }
        CompletableFuture<ContainerResult> run;
        try {
            ContainerSpec s = q.stdin().equals(spec.stdin()) ? spec : spec.toBuilder().stdin(q.stdin()).build();
            run = s.runAsync(q.command());
        } catch (RuntimeException e) {
            q.result().completeExceptionally(e);
            finished();
            return;
        }
        running.add(run);
        q.result().whenComplete((r, e) -> {
            if (q.result().isCancelled()) {
                run.cancel(false); /* kills the container */
            }
        });
        run.whenComplete((r, e) -> {
            running.remove(run);
            if (e != null) {
                q.result().completeExceptionally(e instanceof java.util.concurrent.CompletionException && e.getCause() != null
                        ? e.getCause() : e);
            } else {
                q.result().complete(r);
            }
            finished();
        });
    }

    /** A slot is free: the next waiting run takes it, started off the thread that ended the last. */
    private void finished() {
        Queued next;
        synchronized (this) {
            next = closed ? null : waiting.poll();
            if (next == null) {
                busy--;
                return;
            }
        }
        starter().execute(() -> start(next));
    }

    private static Executor starter() {
        if (starter == null) {
            synchronized (ContainerPool.class) {
                if (starter == null) {
                    starter = new ThreadPoolExecutor(0, 1, 10, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), r -> {
                        Thread t = new Thread(r, "corral-pool");
                        t.setDaemon(true);
                        return t;
                    });
                }
            }
        }
        return starter;
    }

    /** @return how many runs are waiting for a free sandbox */
    public synchronized int waiting() {
        return waiting.size();
    }

    /**
     * Refuses new runs, cancels the waiting ones, kills the running ones and waits for their
     * ends. Idempotent.
     */
    @Override
    public void close() {
        List<Queued> dropped;
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            dropped = new ArrayList<>(waiting);
            waiting.clear();
        }
        dropped.forEach(q -> q.result().completeExceptionally(new CancellationException("the pool was closed")));
        List<CompletableFuture<ContainerResult>> left = new ArrayList<>(running);
        left.forEach(f -> f.cancel(false));
        for (CompletableFuture<ContainerResult> f : left) {
            try {
                f.handle((r, e) -> null).get(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (ExecutionException | java.util.concurrent.TimeoutException e) {
                /* its container is killed; nothing more to wait for */
            }
        }
    }
}
