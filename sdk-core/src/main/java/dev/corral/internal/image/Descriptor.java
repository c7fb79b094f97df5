package dev.corral.internal.image;

import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * An OCI content descriptor: what a manifest says about a blob it refers to.
 *
 * <pre>{@code
 * Descriptor layer = new Descriptor(MediaTypes.LAYER_TAR, digest, size);
 * }</pre>
 *
 * @param mediaType its media type, empty if the document gave none
 * @param digest    its digest, {@code sha256:HEX}
 * @param size      its size in bytes
 */
public record Descriptor(String mediaType, String digest, long size) {
    /**
     * @param d a descriptor as a JSON object
     * @return it, with its digest checked
     * @throws IOException if the digest is malformed
     */
    public static Descriptor of(Map<String, Object> d) throws IOException {
        String digest = Json.str(d, "digest");
        Digests.hex(digest);
        return new Descriptor(Json.str(d, "mediaType"), digest, Json.num(d, "size"));
    }

    /** @return it as a JSON object, in the order OCI writes it */
    public Map<String, Object> toJson() {
        Map<String, Object> d = new LinkedHashMap<>();
        d.put("mediaType", mediaType);
        d.put("digest", digest);
        d.put("size", size);
        return d;
    }
}
