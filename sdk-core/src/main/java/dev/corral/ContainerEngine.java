package dev.corral;

import dev.corral.internal.run.ContainerRun;
import dev.corral.internal.run.InteractionRun;
import java.util.List;

/**
 * The one door from the public API to the internal engine that runs a spec. {@link ContainerSpec}
 * is a value and imports no internal package; its {@code run} and {@code start} come here, and
 * only here does {@code dev.corral} name the engine.
 */
final class ContainerEngine {
    private ContainerEngine() {}

    /** Runs a checked command and waits for the result. */
    static ContainerResult run(ContainerSpec spec, List<String> command) {
        return ContainerRun.run(spec, command);
    }

    /** Starts a checked command and returns its result to come. */
    static java.util.concurrent.CompletableFuture<ContainerResult> runAsync(ContainerSpec spec, List<String> command) {
        return ContainerRun.runAsync(spec, command);
    }

    /** Starts a checked command and returns once it runs. */
    static ContainerProcess start(ContainerSpec spec, List<String> command) {
        return ContainerRun.start(spec, command);
    }

    /** Starts both containers of an interaction, wired, and returns at once. */
    static Interaction.Running interact(ContainerSpec first, ContainerSpec second) {
        return InteractionRun.launch(first, second);
    }

    private static final java.util.concurrent.CompletableFuture<Void> WARM = new java.util.concurrent.CompletableFuture<>();
    private static final java.util.concurrent.atomic.AtomicBoolean WARMING = new java.util.concurrent.atomic.AtomicBoolean();

    /** Starts preparing a first run on a daemon thread, once per JVM. */
    static java.util.concurrent.CompletableFuture<Void> warmUp() {
        if (WARMING.compareAndSet(false, true)) {
            Thread t = new Thread(() -> {
                try {
                    ContainerRun.warmUp();
                } catch (RuntimeException e) {
                    /* the first run starts the launcher again and reports why it cannot */
                } finally {
                    WARM.complete(null);
                }
            }, "corral-warm-up");
            t.setDaemon(true);
            t.start();
        }
        return WARM.copy();
    }

    /** Waits until a container this engine started runs. */
    static void awaitStart(ContainerProcess process) {
        ((ContainerRun) process).awaitStart();
    }
}
