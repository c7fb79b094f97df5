package dev.corral.image;

import java.util.Objects;

/**
 * One instruction of a build, as it went.
 *
 * <pre>{@code
 * BuildResult r = ImageBuilder.of(store, context).tag("app:1").build();
 * r.steps().stream().filter(s -> !s.cached()).forEach(s -> System.out.println("ran " + s.instruction()));
 * }</pre>
 *
 * @param stage       the index of its stage, from 0
 * @param line        its Dockerfile line
 * @param instruction the instruction, with build variables expanded where Docker expands them
 * @param cached      whether its result came from the layer cache (nothing ran)
 */
public record BuildStep(int stage, int line, String instruction, boolean cached) {
    /** Checks the fields. */
    public BuildStep {
        Objects.requireNonNull(instruction, "instruction");
    }
}
