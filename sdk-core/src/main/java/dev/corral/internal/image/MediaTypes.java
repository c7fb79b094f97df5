package dev.corral.internal.image;

import java.util.Locale;

/**
 * The media types of the image documents and layers the store reads and writes, and this
 * machine's architecture as OCI platforms name it.
 *
 * <pre>{@code
 * if (type.equals(MediaTypes.INDEX) || type.equals(MediaTypes.DOCKER_LIST)) { ... pick MediaTypes.arch() ... }
 * }</pre>
 */
public final class MediaTypes {
    /** An OCI image manifest. */
    public static final String MANIFEST = "application/vnd.oci.image.manifest.v1+json";
    /** An OCI image index (one manifest per platform). */
    public static final String INDEX = "application/vnd.oci.image.index.v1+json";
    /** An OCI image configuration. */
    public static final String CONFIG = "application/vnd.oci.image.config.v1+json";
    /** An uncompressed layer. */
    public static final String LAYER_TAR = "application/vnd.oci.image.layer.v1.tar";
    /** A gzip-compressed layer. */
    public static final String LAYER_GZIP = "application/vnd.oci.image.layer.v1.tar+gzip";
    /** A Docker image manifest, schema 2. */
    public static final String DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json";
    /** A Docker manifest list. */
    public static final String DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json";

    private MediaTypes() {}

    /** @return this machine's architecture as an OCI platform names it ({@code amd64}, {@code arm64}, ...) */
    public static String arch() {
        String a = System.getProperty("os.arch").toLowerCase(Locale.ROOT);
        return switch (a) {
            case "amd64", "x86_64" -> "amd64";
            case "aarch64", "arm64" -> "arm64";
            default -> a;
        };
    }
}
