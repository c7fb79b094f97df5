package dev.corral.image;

import java.util.Objects;
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
    /* kept plain: an exception is Serializable, Optional is not */
    private final String url;
    private final int status;

    /**
     * @param message   what went wrong
     * @param reference the image reference
     * @param url       the URL concerned, when there is one
     * @param status    the HTTP status, when the registry answered
     * @param cause     the cause, or null when there is none (as for any exception)
     */
    public RegistryException(String message, String reference, Optional<String> url, OptionalInt status, Throwable cause) {
        super(message, cause);
        this.reference = Objects.requireNonNull(reference, "reference");
        this.url = url.orElse(null);
        this.status = status.orElse(-1);
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
