package dev.corral.image;

import dev.corral.ContainerException;

/**
 * An image could not be imported, found, verified, unpacked or committed, or the store could
 * not be used. The message names the image, blob or path, and what to do.
 *
 * <pre>{@code
 * try {
 *     store.importImage(Path.of("broken.tar"), "x:1");
 * } catch (ImageStoreException e) {
 *     e.getMessage();   // what was wrong, and with which file
 * }
 * }</pre>
 */
public class ImageStoreException extends ContainerException {
    private static final long serialVersionUID = 1L;

    /** @param message what went wrong @param cause the cause, or null */
    public ImageStoreException(String message, Throwable cause) {
        super(message, cause);
    }
}
