package dev.corral.samples.compose;

/**
 * A compose file that cannot be read or run: the message names the file and the key.
 *
 * <pre>{@code
 * try {
 *     ComposeFile.read(Path.of("compose.yaml"), Optional.empty(), System.getenv());
 * } catch (ComposeException e) {
 *     e.getMessage();   // "compose.yaml: services.web.ports[0]: '80-90:80' ..."
 * }
 * }</pre>
 */
public final class ComposeException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** @param message what is wrong, naming the file and the key */
    public ComposeException(String message) {
        super(message);
    }

    /** @param message what is wrong @param cause the underlying failure */
    public ComposeException(String message, Throwable cause) {
        super(message, cause);
    }
}
