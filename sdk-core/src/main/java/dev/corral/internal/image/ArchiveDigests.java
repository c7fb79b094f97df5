package dev.corral.internal.image;

import java.io.IOException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The SHA-256 of root file system archives ({@code Rootfs.tarball}), which key their unpacked
 * trees: computed once per archive file version (real path, size, modification time, file key)
 * and remembered for the life of the JVM.
 *
 * <pre>{@code
 * String digest = ArchiveDigests.digest(archive, Files.readAttributes(archive, BasicFileAttributes.class));
 * }</pre>
 */
public final class ArchiveDigests {
    private static final ConcurrentHashMap<String, String> DIGESTS = new ConcurrentHashMap<>();

    private ArchiveDigests() {}

    /**
     * @param archive an archive
     * @param a       its attributes, read just before
     * @return the digest of its content
     * @throws IOException if it cannot be read
     */
    public static String digest(Path archive, BasicFileAttributes a) throws IOException {
        String key = archive.toRealPath() + "|" + a.size() + "|" + a.lastModifiedTime().toMillis() + "|" + a.fileKey();
        String digest = DIGESTS.get(key);
        if (digest == null) {
            digest = Digests.of(archive);
            DIGESTS.put(key, digest);
        }
        return digest;
    }
}
