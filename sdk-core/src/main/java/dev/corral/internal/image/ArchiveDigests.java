package dev.corral.internal.image;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

/**
 * The SHA-256 of root file system archives ({@code Rootfs.tarball}), which key their unpacked
 * trees: computed once per version of an archive file and remembered in the store's
 * {@code archive-digests/} directory, so that a command line started again does not read a
 * large archive again. A version is the file's device, inode, size, modification time and
 * status-change time (nanoseconds): rewriting the file, or setting its modification time back,
 * changes the status-change time, which no unprivileged process can set. One cache file per
 * device and inode holds the version it was computed for and the digest; a CLI start that finds
 * its archive there hashes nothing (not even the key: no {@code MessageDigest} on the way).
 *
 * <pre>{@code
 * String digest = ArchiveDigests.digest(storeRoot, archive);
 * }</pre>
 */
public final class ArchiveDigests {
    /** The store's subdirectory that holds one file per archive file, {@code DEV-INO}: its version's key, then the digest. */
    static final String DIR = "archive-digests";
    private static final Pattern DIGEST = Pattern.compile("sha256:[0-9a-f]{64}");
    private static final ConcurrentHashMap<String, String> DIGESTS = new ConcurrentHashMap<>();

    private ArchiveDigests() {}

    /**
     * @param storeRoot the store whose cache to use
     * @param archive   an archive
     * @return the digest of its content
     * @throws IOException if it cannot be read
     */
    public static String digest(Path storeRoot, Path archive) throws IOException {
        String key = key(archive);
        String digest = DIGESTS.get(key);
        if (digest != null) {
            return digest;
        }
        Path cached = cacheFile(storeRoot, archive);
        try {
            String[] lines = Files.readString(cached, StandardCharsets.UTF_8).split("\n");
            if (lines.length == 2 && lines[0].equals(key) && DIGEST.matcher(lines[1]).matches()) {
                DIGESTS.put(key, lines[1]);
                return lines[1];
            }
        } catch (NoSuchFileException e) {
            // not hashed yet
        }
        digest = Digests.of(archive);
        if (key.equals(key(archive))) { /* unchanged while it was read: the digest is this version's */
            DIGESTS.put(key, digest);
            remember(cached, key + "\n" + digest + "\n");
        }
        return digest;
    }

    /** The cache file for the archive's device and inode (whichever version it now holds). */
    static Path cacheFile(Path storeRoot, Path archive) throws IOException {
        Map<String, Object> a = Files.readAttributes(archive, "unix:dev,ino");
        return storeRoot.resolve(DIR).resolve(a.get("dev") + "-" + a.get("ino"));
    }

    /** The archive's identity and version: real path, device, inode, size, mtime and ctime in nanoseconds. */
    static String key(Path archive) throws IOException {
        Map<String, Object> a = Files.readAttributes(archive, "unix:dev,ino,size,lastModifiedTime,ctime");
        return archive.toRealPath() + "|" + a.get("dev") + "|" + a.get("ino") + "|" + a.get("size") + "|"
                + nanos((FileTime) a.get("lastModifiedTime")) + "|" + nanos((FileTime) a.get("ctime"));
    }

    private static long nanos(FileTime t) {
        return t.to(TimeUnit.NANOSECONDS);
    }

    private static void remember(Path cached, String content) throws IOException {
        Files.createDirectories(cached.getParent());
        Path tmp = cached.resolveSibling(cached.getFileName() + ".tmp-" + Long.toHexString(ThreadLocalRandom.current().nextLong()));
        Files.writeString(tmp, content, StandardCharsets.UTF_8);
        try {
            Files.move(tmp, cached, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(tmp, cached, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }
}
