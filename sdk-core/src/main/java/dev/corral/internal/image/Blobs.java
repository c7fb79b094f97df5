package dev.corral.internal.image;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * The content-addressed blobs under {@code blobs/sha256/HEX}: manifests, configs and layer
 * archives. A blob is written under {@code tmp/}, its digest (and size) checked while it is
 * copied, and only then renamed into place, so a blob in the store is always whole and verified.
 * Writers hold the store lock.
 *
 * <pre>{@code
 * // a layer from a registry: nothing is stored unless it is exactly what the manifest says
 * if (!blobs.exists(layer.digest())) {
 *     blobs.put(response.body(), layer, "layer " + layer.digest() + " of " + ref);
 * }
 * }</pre>
 */
public final class Blobs {
    private final Path dir;
    private final StoreFiles files;

    Blobs(Path root, StoreFiles files) {
        this.dir = root.resolve("blobs/sha256");
        this.files = files;
    }

    /** @param digest a digest @return where its blob is (or would be) @throws IOException if the digest is malformed */
    public Path path(String digest) throws IOException {
        return dir.resolve(Digests.hex(digest));
    }

    /** @param digest a digest @return whether the store has its blob @throws IOException if the digest is malformed */
    public boolean exists(String digest) throws IOException {
        return Files.exists(path(digest));
    }

    /** @param digest a digest @return the blob's bytes @throws IOException if it is missing or unreadable */
    public byte[] read(String digest) throws IOException {
        return Files.readAllBytes(path(digest));
    }

    /** @param digest a digest @return the blob's size in bytes @throws IOException if it is missing */
    public long size(String digest) throws IOException {
        return Files.size(path(digest));
    }

    /**
     * Copies a blob into the store, verifying its digest and size; if the store has it already,
     * nothing is read.
     *
     * @param in       the content
     * @param expected the descriptor that names it
     * @param what     what it is, for the error
     * @return its digest
     * @throws IOException if it cannot be copied, or its digest or size is not the expected one
     */
    public String put(InputStream in, Descriptor expected, String what) throws IOException {
        return put(in, Optional.of(expected.digest()), OptionalLong.of(expected.size()), what);
    }

    /**
     * Copies a blob into the store, verifying what is known of it.
     *
     * @param in       the content
     * @param expected its digest, if known; if the store has that blob already, nothing is read
     * @param size     its size, if known
     * @param what     what it is, for the error
     * @return its digest
     * @throws IOException if it cannot be copied, or its digest or size is not the expected one
     */
    public String put(InputStream in, Optional<String> expected, OptionalLong size, String what) throws IOException {
        if (expected.isPresent() && exists(expected.get())) {
            return expected.get();
        }
        Path tmp = files.tmpPath("blob");
        MessageDigest md = Digests.sha256();
        long n;
        try (OutputStream out = Files.newOutputStream(tmp, StandardOpenOption.CREATE_NEW)) {
            n = new DigestInputStream(in, md).transferTo(out);
        }
        String actual = Digests.of(md);
        try {
            if (expected.isPresent() && !expected.get().equals(actual)) {
                throw new IOException(what + " is corrupt or was tampered with: its digest is " + actual + ", not "
                        + expected.get());
            }
            if (size.isPresent() && n != size.getAsLong()) {
                throw new IOException(what + " has " + n + " bytes, not the " + size.getAsLong()
                        + " its descriptor says");
            }
            Files.move(tmp, path(actual), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            return actual;
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /** @param bytes content made here (a manifest, a config) @return its digest @throws IOException if it cannot be written */
    public String put(byte[] bytes) throws IOException {
        return put(new ByteArrayInputStream(bytes), Optional.empty(), OptionalLong.empty(), "blob");
    }

    /**
     * Moves a file made under {@code tmp/} whose digest was computed while it was written (a
     * layer archive just made) into the store.
     *
     * @param file   the file, on the store's file system
     * @param digest its digest
     * @throws IOException if it cannot be moved
     */
    public void adopt(Path file, String digest) throws IOException {
        Files.move(file, path(digest), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }
}
