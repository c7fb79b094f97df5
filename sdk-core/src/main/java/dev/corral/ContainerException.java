package dev.corral;

/**
 * Base of every exception Corral throws. Unchecked: a container that cannot be described or
 * started is a programming or configuration error the caller usually cannot recover from in
 * place.
 *
 * <pre>{@code
 * try {
 *     spec.run("make");
 * } catch (ContainerException e) {
 *     log.error(e.getMessage());   // names what failed and what to do about it
 * }
 * }</pre>
 */
public class ContainerException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** @param message what went wrong @param cause the cause, or null */
    public ContainerException(String message, Throwable cause) {
        super(message, cause);
    }
}
