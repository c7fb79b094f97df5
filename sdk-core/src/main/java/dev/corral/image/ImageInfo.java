package dev.corral.image;

import java.util.List;
import java.util.Objects;

/**
 * An image in a store.
 *
 * <pre>{@code
 * ImageInfo i = store.importImage(Path.of("busybox-oci"), "busybox:1.36");
 * i.digest();   // sha256:...
 * i.layers();
 * }</pre>
 *
 * @param name   its name in the store, e.g. {@code busybox:latest}
 * @param digest the digest of its manifest, e.g. {@code sha256:4b1f...}
 * @param layers the digests of its layer blobs, bottom first
 * @param size   the bytes of its layer blobs, as stored (compressed or not)
 */
public record ImageInfo(String name, String digest, List<String> layers, long size) {
    /** Copies the layer list. */
    public ImageInfo {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(digest, "digest");
        layers = List.copyOf(layers);
    }
}
