package dev.corral.internal.image;

import dev.corral.image.ImageStoreException;
import java.io.IOException;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Image names under {@code refs/NAME} (URL-encoded): each file holds one manifest digest, and
 * is replaced atomically, so a name always points at a whole image.
 *
 * <pre>{@code
 * names.tag("busybox:1.36", manifestDigest);
 * Optional<String> d = names.ref("busybox:1.36");
 * }</pre>
 */
public final class Names {
    private final Path root;
    private final Path dir;
    private final StoreLock lock;
    private final StoreFiles files;

    Names(Path root, StoreLock lock, StoreFiles files) {
        this.root = root;
        this.dir = root.resolve("refs");
        this.lock = lock;
        this.files = files;
    }

    /**
     * @param name an image name
     * @return the name with {@code :latest} added when it has no tag
     */
    public static String normalize(String name) {
        int slash = name.lastIndexOf('/');
        int colon = name.lastIndexOf(':');
        return colon > slash ? name : name + ":latest";
    }

    private Path refPath(String name) {
        return dir.resolve(URLEncoder.encode(normalize(name), StandardCharsets.UTF_8));
    }

    /** @param name an image name @return its manifest digest, if the store has it */
    public Optional<String> ref(String name) {
        try {
            return Optional.of(Files.readString(refPath(name)).trim());
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException e) {
            throw new ImageStoreException("cannot read image name " + name + " in " + root + ": " + e, e);
        }
    }

    /**
     * Points a name at a manifest (already in the store), replacing what it named before.
     *
     * @param name   an image name
     * @param digest a manifest digest
     */
    public void tag(String name, String digest) {
        lock.locked(() -> {
            Path tmp = files.tmpPath("ref");
            Files.writeString(tmp, digest + "\n");
            Files.move(tmp, refPath(name), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            return null;
        });
    }

    /** @param name an image name @return whether it was there */
    public boolean remove(String name) {
        return lock.locked(() -> Files.deleteIfExists(refPath(name)));
    }

    /** @return every name, sorted by its file name */
    public List<String> list() {
        List<String> out = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
            List<Path> refs = new ArrayList<>();
            ds.forEach(refs::add);
            refs.sort(null);
            for (Path p : refs) {
                out.add(URLDecoder.decode(p.getFileName().toString(), StandardCharsets.UTF_8));
            }
        } catch (IOException e) {
            throw new ImageStoreException("cannot list images in " + root + ": " + e, e);
        }
        return out;
    }
}
