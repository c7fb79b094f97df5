package dev.corral.internal.image;

import dev.corral.image.ImageStoreException;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Named volumes under {@code volumes/NAME}: plain directories that outlive runs; prune leaves
 * them alone.
 *
 * <pre>{@code
 * Path data = volumes.get("data");   // created if new
 * volumes.remove("data");
 * }</pre>
 */
public final class Volumes {
    private static final Pattern VOLUME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,127}");

    private final Path root;
    private final Path dir;
    private final StoreLock lock;
    private final StoreFiles files;

    Volumes(Path root, StoreLock lock, StoreFiles files) {
        this.root = root;
        this.dir = root.resolve("volumes");
        this.lock = lock;
        this.files = files;
    }

    private Path path(String name) {
        if (!VOLUME.matcher(name).matches()) {
            throw new ImageStoreException("volume name '" + name + "' must be 1-128 of A-Z, a-z, 0-9, '_', '.', '-', "
                    + "starting with a letter or digit", null);
        }
        return dir.resolve(name);
    }

    /** @param name a volume name @return its directory, created if it is new */
    public Path get(String name) {
        Path p = path(name);
        try {
            Files.createDirectories(p);
            return p;
        } catch (IOException e) {
            throw new ImageStoreException("cannot create volume " + name + " in " + root + ": " + e, e);
        }
    }

    /** @return the volume names, sorted */
    public List<String> list() {
        List<String> out = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
            ds.forEach(p -> out.add(p.getFileName().toString()));
        } catch (IOException e) {
            throw new ImageStoreException("cannot list volumes in " + root + ": " + e, e);
        }
        out.sort(null);
        return out;
    }

    /** @param name a volume name @return whether it was there */
    public boolean remove(String name) {
        Path p = path(name);
        return lock.locked(() -> {
            if (!Files.exists(p, LinkOption.NOFOLLOW_LINKS)) {
                return false;
            }
            files.discard(p);
            return true;
        });
    }
}
