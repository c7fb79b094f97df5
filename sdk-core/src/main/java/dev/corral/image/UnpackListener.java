package dev.corral.image;

/**
 * Told how an unpack goes, for a progress display; called on the unpacking thread.
 *
 * <pre>{@code
 * store.unpack("debian:12", (layer, done, total) -> System.err.printf("\r%s %d/%d", layer, done, total));
 * }</pre>
 */
@FunctionalInterface
public interface UnpackListener {
    /** Tells nothing. */
    UnpackListener NONE = (layer, done, total) -> { };

    /**
     * @param layer the digest of the layer (or archive) being unpacked
     * @param done  its bytes read so far, as stored
     * @param total its size as stored
     */
    void progress(String layer, long done, long total);
}
