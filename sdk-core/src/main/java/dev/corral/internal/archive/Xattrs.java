package dev.corral.internal.archive;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Optional;

/** Reads extended attributes without following a final symlink (for overlay upper directories). */
public final class Xattrs {
    private Xattrs() {}

    /**
     * @param path a host path
     * @param name the attribute, e.g. {@code trusted.overlay.opaque}
     * @return its value, or empty if the file has no such attribute
     * @throws IOException if it cannot be read
     */
    public static Optional<byte[]> get(Path path, String name) throws IOException {
        return Optional.ofNullable(Native.lgetxattr(path.toString(), name));
    }
}
