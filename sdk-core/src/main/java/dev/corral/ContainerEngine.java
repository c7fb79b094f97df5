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

    /** Waits until a container this engine started runs. */
    static void awaitStart(ContainerProcess process) {
        ((ContainerRun) process).awaitStart();
    }
}
