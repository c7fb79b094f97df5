package dev.corral.internal.image;

import dev.corral.image.WritableLayer;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One run's writable layer: created before the container starts, with its lock held so that
 * a prune in any JVM leaves it and its lower layers alone.
 *
 * <pre>{@code
 * RunLayer run = store.newRun(lowers, "busybox:latest", false);
 * try { ... overlay of run.lowers(), run.upper(), run.work() ... } finally { run.release(); }
 * }</pre>
 */
public final class RunLayer {
    private static final Logger LOG = LoggerFactory.getLogger(RunLayer.class);
    private final StoreFiles files;
    private final String id;
    private final Path dir;
    private final List<Path> lowers;
    private final String image;
    private final boolean keep;
    private final FileChannel channel;
    private final FileLock lock;

    RunLayer(StoreFiles files, String id, Path dir, List<Path> lowers, String image, boolean keep,
             FileChannel channel, FileLock lock) {
        this.files = files;
        this.id = id;
        this.dir = dir;
        this.lowers = lowers;
        this.image = image;
        this.keep = keep;
        this.channel = channel;
        this.lock = lock;
    }

    /** @return the lower directories, top first */
    public List<Path> lowers() {
        return lowers;
    }

    /** @return the upper directory */
    public Path upper() {
        return dir.resolve("upper");
    }

    /** @return the overlay work directory */
    public Path work() {
        return dir.resolve("work");
    }

    /**
     * Ends the run: the writable layer is removed, or marked kept.
     *
     * @return the kept layer, if it is kept
     */
    public Optional<WritableLayer> release() {
        try {
            if (keep) {
                Files.writeString(dir.resolve("kept"), Instant.now() + "\n");
                StoreFiles.deleteTree(work());
                return Optional.of(new WritableLayer(id, upper(), image));
            }
            files.discard(dir);
            return Optional.empty();
        } catch (IOException e) {
            LOG.warn("cannot remove the writable layer {}: {}", dir, e.toString());
            return Optional.empty();
        } finally {
            try {
                lock.release();
                channel.close();
            } catch (IOException e) {
                LOG.debug("releasing {}: {}", dir, e.toString());
            }
        }
    }
}
