package dev.corral.image;

import java.util.Optional;
import java.util.OptionalInt;

/**
 * A pull or push failed: the registry could not be reached, refused the credentials, has no
 * such image, or sent something that is not what its digest says. The message names the
 * reference and the URL.
 *
 * <pre>{@code
 * try {
 *     store.pull("localhost:5000/app:1");
 * } catch (RegistryException e) {
 *     e.status();   // e.g. 401 or 404, when the registry answered
 * }
 * }</pre>
 */
public class RegistryException extends ImageStoreException {
    private static final long serialVersionUID = 1L;
    private final String reference;
    private final String url;
    private final int status;

    /**
     * @param message   what went wrong
     * @param reference the image reference
     * @param url       the URL concerned, or null
     * @param status    the HTTP status, or -1 when there was none
     * @param cause     the cause, or null
     */
    public RegistryException(String message, String reference, String url, int status, Throwable cause) {
        super(message, cause);
        this.reference = reference;
        this.url = url;
        this.status = status;
    }

    /** @return the image reference */
    public String reference() {
        return reference;
    }

    /** @return the URL concerned, when there is one */
    public Optional<String> url() {
        return Optional.ofNullable(url);
    }

    /** @return the HTTP status, when the registry answered */
    public OptionalInt status() {
        return status < 0 ? OptionalInt.empty() : OptionalInt.of(status);
    }
}
