package dev.corral;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;

/**
 * Two containers talking: each one's standard output is the other's standard input, as a
 * solution and its interactor in an online judge (go-judge's pipe mapping, CMS's interactive
 * tasks). Each runs with its own spec, so its own limits, and has its own result. Corral carries
 * the bytes on its I/O thread, so an interaction holds no thread of its own.
 *
 * <pre>{@code
 * ContainerSpec solution = Container.builder().memory(DataSize.ofMebibytes(256)).cpuTimeLimit(Duration.ofSeconds(1))
 *         .command("/prog/a.out").build();
 * ContainerSpec interactor = Container.builder().timeout(Duration.ofSeconds(10))
 *         .command("/judge/interactor", "/judge/input").build();
 * Interaction.Result r = Interaction.between(solution, interactor).run();
 * r.second().exitCode();                    // the interactor's verdict
 * r.endedFirst() == Interaction.Side.FIRST; // the solution ended before the interactor did
 * }</pre>
 *
 * <p>Each spec's stdin must be left {@link Input#empty()} and its stdout a
 * {@link Output#capture(dev.corral.unit.DataSize) capture}: the interaction takes both, and the
 * capture's limit caps what that container may write to the other (past it, it is killed:
 * {@link Termination#OUTPUT_LIMITED}). Its stderr is its own. Ends are as with a pipe, with one
 * rule more: a container reads end of file only after the other's output has ended, been
 * delivered, <em>and</em> the other container has ended; so a container never ends "first"
 * merely because the other's end closed its input. A container whose reader has ended gets
 * {@code EPIPE} (or {@code SIGPIPE}) on its next write. If one cannot start, the other is killed.
 *
 * @param first  the first container, with its command ({@link ContainerSpec.Builder#command})
 * @param second the second container, with its command
 */
public record Interaction(ContainerSpec first, ContainerSpec second) {

    /** Checks that both specs have a command and leave their stdin and stdout to the interaction. */
    public Interaction {
        check("first", first);
        check("second", second);
    }

    private static void check(String which, ContainerSpec spec) {
        Objects.requireNonNull(spec, which);
        if (!(spec.stdin() instanceof Input.Empty)) {
            throw new InvalidSpecException("stdin", "of the " + which + " container is the other's stdout in an "
                    + "Interaction: leave it Input.empty(), not " + spec.stdin());
        }
        if (!(spec.stdout() instanceof Output.Capture)) {
            throw new InvalidSpecException("stdout", "of the " + which + " container is the other's stdin in an "
                    + "Interaction: leave it Output.capture(limit), whose limit caps it, not " + spec.stdout());
        }
        if (spec.terminal().isPresent()) {
            throw new InvalidSpecException("terminal", "the " + which + " container's stdio is the interaction's, not a terminal");
        }
        if (spec.command().isEmpty()) {
            throw new InvalidSpecException("command", "the " + which + " container's spec has none: give it with "
                    + "Container.builder().command(...)");
        }
    }

    /**
     * @param first  the first container, with its command
     * @param second the second container, with its command
     * @return the interaction
     * @throws InvalidSpecException if a spec has no command or sets its own stdin, stdout or a terminal
     */
    public static Interaction between(ContainerSpec first, ContainerSpec second) {
        return new Interaction(first, second);
    }

    /**
     * Which of the two.
     *
     * <pre>{@code
     * if (result.endedFirst() == Interaction.Side.SECOND) { ... }   // the interactor ended first
     * }</pre>
     */
    public enum Side {
        /** The first container. */
        FIRST,
        /** The second container. */
        SECOND
    }

    /**
     * Both containers' results.
     *
     * <pre>{@code
     * Interaction.Result r = Interaction.between(solution, interactor).run();
     * r.first().usage().cpuTime();   // the solution's own usage
     * }</pre>
     *
     * @param first      the first container's result (its stdout is empty: it went to the other)
     * @param second     the second container's result
     * @param endedFirst whose end Corral saw first
     */
    public record Result(ContainerResult first, ContainerResult second, Side endedFirst) {
        /** Checks that every field is given. */
        public Result {
            Objects.requireNonNull(first, "first");
            Objects.requireNonNull(second, "second");
            Objects.requireNonNull(endedFirst, "endedFirst");
        }
    }

    /**
     * A started interaction: both containers running, each with its handle.
     *
     * <pre>{@code
     * try (Interaction.Running r = Interaction.between(solution, interactor).start()) {
     *     r.second().onExit().thenRun(r.first()::kill);   // once the interactor decides, the solution goes
     *     Interaction.Result result = r.waitFor();
     * }
     * }</pre>
     */
    public interface Running extends AutoCloseable {
        /** @return the first container (its stdin and stdout belong to the interaction) */
        ContainerProcess first();

        /** @return the second container */
        ContainerProcess second();

        /** @return completed when both have ended; failed if either could not start */
        CompletableFuture<Result> onExit();

        /**
         * @return both results, once both have ended
         * @throws InterruptedException if interrupted while waiting
         * @throws ContainerStartException if either could not start
         */
        default Result waitFor() throws InterruptedException {
            try {
                return onExit().get();
            } catch (ExecutionException e) {
                throw e.getCause() instanceof ContainerException ce ? ce
                        : new ContainerException("the interaction failed: " + e.getCause(), e.getCause());
            }
        }

        /**
         * @param timeout how long to wait
         * @return both results, or empty if either is still running
         * @throws InterruptedException if interrupted while waiting
         */
        default Optional<Result> waitFor(Duration timeout) throws InterruptedException {
            try {
                return Optional.of(onExit().get(timeout.toNanos(), java.util.concurrent.TimeUnit.NANOSECONDS));
            } catch (java.util.concurrent.TimeoutException e) {
                return Optional.empty();
            } catch (ExecutionException e) {
                throw e.getCause() instanceof ContainerException ce ? ce
                        : new ContainerException("the interaction failed: " + e.getCause(), e.getCause());
            }
        }

        /** Kills what is left of both and waits for their ends. Idempotent. */
        @Override
        void close();
    }

    /**
     * Runs both and waits for both to end.
     *
     * @return both results
     * @throws ContainerStartException if either could not start (the other is then killed)
     */
    public Result run() {
        try (Running r = ContainerEngine.interact(first, second)) {
            return r.waitFor();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ContainerException("interrupted while waiting for the interaction; both were killed", e);
        }
    }

    /**
     * Starts both and returns at once; the result comes through the future, completed by
     * Corral's I/O thread. Cancelling it kills both.
     *
     * @return both results to come; a failed start fails it with a {@link ContainerStartException}
     */
    public CompletableFuture<Result> runAsync() {
        Running r = ContainerEngine.interact(first, second);
        CompletableFuture<Result> future = new CompletableFuture<>() {
            @Override
            public boolean cancel(boolean mayInterruptIfRunning) {
                boolean cancelled = super.cancel(mayInterruptIfRunning);
                if (cancelled) {
                    r.first().kill();
                    r.second().kill();
                }
                return cancelled;
            }
        };
        r.onExit().whenComplete((result, e) -> {
            if (e != null) {
                future.completeExceptionally(e instanceof java.util.concurrent.CompletionException && e.getCause() != null
                        ? e.getCause() : e);
            } else {
                future.complete(result);
            }
        });
        return future;
    }

    /**
     * Starts both and returns once both run.
     *
     * @return the running interaction; close it when done
     * @throws ContainerStartException if either could not start (the other is then killed)
     */
    public Running start() {
        Running r = ContainerEngine.interact(first, second);
        try {
            ContainerEngine.awaitStart(r.first());
            ContainerEngine.awaitStart(r.second());
        } catch (RuntimeException e) {
            r.close();
            throw e;
        }
        return r;
    }
}
