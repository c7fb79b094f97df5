package dev.corral.image;

import dev.corral.ContainerException;
import java.util.Optional;

/**
 * A build failed: the Dockerfile is invalid or asks for something Corral does not support
 * (the message names the instruction and its line), a {@code RUN} step exited non-zero (the
 * message holds the end of its output), or a file to copy or an image to build on is missing.
 *
 * <pre>{@code
 * try {
 *     ImageBuilder.of(store, Path.of("app")).tag("app:1").build();
 * } catch (ImageBuildException e) {
 *     e.line().ifPresent(n -> System.err.println("Dockerfile line " + n));
 * }
 * }</pre>
 */
public class ImageBuildException extends ContainerException {
    private static final long serialVersionUID = 1L;

    /** The Dockerfile line, when one is to blame. */
    private final Integer line;

    /**
     * @param message what went wrong
     * @param line    the Dockerfile line it is about, if any
     * @param cause   the cause, or null
     */
    public ImageBuildException(String message, Optional<Integer> line, Throwable cause) {
        super(message, cause);
        this.line = line.orElse(null);
    }

    /** @return the Dockerfile line the failure is about, if there is one */
    public Optional<Integer> line() {
        return Optional.ofNullable(line);
    }
}
