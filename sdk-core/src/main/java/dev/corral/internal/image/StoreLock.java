package dev.corral.internal.image;

import dev.corral.image.ImageStoreException;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The store's writer lock: {@code store.lock} held with {@link FileChannel#lock()} against other
 * processes, and a lock per store root against other threads of this JVM (a JVM cannot hold two
 * {@link FileLock}s on one file). Reentrant: a body may call {@link #locked} again.
 *
 * <pre>{@code
 * String digest = lock.locked(() -> blobs.put(bytes));
 * }</pre>
 */
public final class StoreLock {
    private static final ConcurrentHashMap<Path, ReentrantLock> JVM_LOCKS = new ConcurrentHashMap<>();

    /** Work done under the lock, allowed to fail with an {@link IOException}. */
    public interface IoBody<T> {
        /**
         * @return the body's result
         * @throws IOException if it fails; it becomes an {@link ImageStoreException}
         */
        T run() throws IOException;
    }

    private final Path root;

    StoreLock(Path root) {
        this.root = root;
    }

    /**
     * Runs a body with the store locked.
     *
     * @param body what to do
     * @param <T>  its result type
     * @return its result
     * @throws ImageStoreException if it fails with an {@link IOException}
     */
    public <T> T locked(IoBody<T> body) {
        ReentrantLock l = JVM_LOCKS.computeIfAbsent(root, k -> new ReentrantLock());
        l.lock();
        try {
            if (l.getHoldCount() > 1) {
                return body.run(); /* this thread holds the file lock already */
            }
            try (FileChannel ch = FileChannel.open(root.resolve("store.lock"), StandardOpenOption.CREATE,
                    StandardOpenOption.WRITE); FileLock fl = ch.lock()) {
                return body.run();
            }
        } catch (IOException e) {
            throw new ImageStoreException("image store " + root + ": " + e.getMessage(), e);
        } finally {
            l.unlock();
        }
    }
}
