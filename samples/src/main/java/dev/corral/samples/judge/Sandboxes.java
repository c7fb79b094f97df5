package dev.corral.samples.judge;

import dev.corral.ContainerResult;
import dev.corral.ContainerSpec;
import dev.corral.Interaction;
import java.util.List;

/**
 * Where the judge runs its compilers and validators: each call gets a sandbox made from the
 * spec, used once ({@link #fresh()}). A submission's test cases run in a
 * {@link dev.corral.ContainerPool} of the judge's own.
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
     * Starts two sandboxes wired stdout to stdin both ways (an interactive problem's solution and
     * its interactor), each with its own spec and command.
     *
     * @param first  the first sandbox's limits, mounts and command
     * @param second the second's
     * @return both running; close it when done
     */
    Interaction.Running interact(ContainerSpec first, ContainerSpec second);

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
            public Interaction.Running interact(ContainerSpec first, ContainerSpec second) {
                return Interaction.between(first, second).start();
            }

            @Override
            public void close() {
            }
        };
    }
}
