package dev.corral.samples.judge;

import dev.corral.ContainerProcess;
import dev.corral.ContainerResult;
import dev.corral.ContainerSpec;
import java.util.List;

/**
 * Where the judge runs its commands: each call gets a sandbox made from the spec, used once.
 * Today that is a fresh container per run ({@link #fresh()}); a warm pool of prepared sandboxes,
 * reset between runs, slots in here without the judge changing.
 *
 * <pre>{@code
 * try (Sandboxes s = Sandboxes.fresh()) {
 *     ContainerResult r = s.run(spec, List.of("/prog/main"));
 * }
 * }</pre>
 */
public interface Sandboxes extends AutoCloseable {

    /**
     * Runs a command to its end in a sandbox of this spec.
     *
     * @param spec    the sandbox's limits, mounts and stdio
     * @param command the program and its arguments
     * @return how it ended and what it used
     */
    ContainerResult run(ContainerSpec spec, List<String> command);

    /**
     * Starts a command in a sandbox of this spec, for a caller that talks to it through its
     * streams (an interactive problem).
     *
     * @param spec    the sandbox's limits, mounts and stdio
     * @param command the program and its arguments
     * @return the running sandbox; close it when done
     */
    ContainerProcess start(ContainerSpec spec, List<String> command);

    /** Releases whatever the sandboxes hold. */
    @Override
    void close();

    /** @return sandboxes that are a fresh container for every run */
    static Sandboxes fresh() {
        return new Sandboxes() {
            @Override
            public ContainerResult run(ContainerSpec spec, List<String> command) {
                return spec.run(command);
            }

            @Override
            public ContainerProcess start(ContainerSpec spec, List<String> command) {
                return spec.start(command);
            }

            @Override
            public void close() {
            }
        };
    }
}
