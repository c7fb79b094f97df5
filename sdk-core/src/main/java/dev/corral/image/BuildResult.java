package dev.corral.image;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * What a build made.
 *
 * <pre>{@code
 * BuildResult r = ImageBuilder.of(store, Path.of("app")).tag("app:1").build();
 * r.digest();                                   // sha256:... of the image's manifest
 * r.steps().stream().allMatch(BuildStep::cached);   // true on a rebuild with no change
 * }</pre>
 *
 * @param digest the manifest digest of the built image, in the store
 * @param name   the name it was given in the store, if one was asked for
 * @param steps  every instruction of the stages that were built, in order
 */
public record BuildResult(String digest, Optional<String> name, List<BuildStep> steps) {
    /** Copies the list. */
    public BuildResult {
        Objects.requireNonNull(digest, "digest");
        Objects.requireNonNull(name, "name");
        steps = List.copyOf(steps);
    }

    /** @return how many steps ran (were not taken from the cache) */
    public long stepsRun() {
        return steps.stream().filter(s -> !s.cached()).count();
    }
}
