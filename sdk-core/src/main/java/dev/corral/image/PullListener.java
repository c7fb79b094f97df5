package dev.corral.image;

/**
 * Told how a pull or push goes, for a progress display; called from the threads that transfer
 * blobs, so an implementation must be thread-safe.
 *
 * <pre>{@code
 * PullListener l = (blob, done, total) -> System.err.printf("%s %d/%d%n", blob, done, total);
 * store.pull("localhost:5000/app:1", RegistryOptions.builder().listener(l).build());
 * }</pre>
 */
@FunctionalInterface
public interface PullListener {
    /** Tells nothing. */
    PullListener NONE = (blob, done, total) -> { };

    /**
     * @param blob  the digest of the layer (or config) being fetched or sent
     * @param done  its bytes received (and hashed) or sent so far
     * @param total its size as the manifest says
     */
    void progress(String blob, long done, long total);

    /**
     * A blob the store has already (pull), or the registry has already (push): it is not sent.
     *
     * @param blob its digest
     * @param size its size
     */
    default void present(String blob, long size) {
    }
}
