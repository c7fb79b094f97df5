package dev.corral.internal.image;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;

/**
 * How the store makes and removes things: everything is made under {@code tmp/} and published
 * by an atomic rename; a tree is removed by renaming it into {@code tmp/} first, so no reader
 * ever sees half of it.
 *
 * <pre>{@code
 * Path tmp = files.newTmpDir("layer");
 * try { unpack(tmp); StoreFiles.publish(tmp, dest); } finally { StoreFiles.deleteTree(tmp); }
 * }</pre>
 */
public final class StoreFiles {
    private final Path root;

    StoreFiles(Path root) {
        this.root = root;
    }

    /** @param prefix what it is for @return a fresh file name under tmp/ (nothing created) */
    public Path tmpPath(String prefix) {
        /* 64 random bits from the kernel: no SecureRandom to seed on a short run's path */
        return root.resolve("tmp").resolve(prefix + "-" + dev.corral.namespaces.launcher.KernelRandom.hex64());
    }

    /** @param prefix what it is for @return a fresh, empty directory under tmp/ @throws IOException if it cannot be made */
    public Path newTmpDir(String prefix) throws IOException {
        Path p = tmpPath(prefix);
        Files.createDirectory(p);
        return p;
    }

    /**
     * A directory under {@code tmp/} that someone is still filling outside the store lock (a
     * pull's downloads): it holds a {@code lock} file locked for as long as the claim is open,
     * and {@link #inUse} tells {@code prune} to leave it alone. Closing the claim deletes it.
     *
     * <pre>{@code
     * try (StoreFiles.Claim c = store.locked(() -> store.files().claimTmpDir("pull"))) {
     *     download(c.dir().resolve("blob"));
     * }
     * }</pre>
     */
    public static final class Claim implements AutoCloseable {
        private final Path dir;
        private final FileChannel channel;
        private final FileLock lock;

        private Claim(Path dir, FileChannel channel, FileLock lock) {
            this.dir = dir;
            this.channel = channel;
            this.lock = lock;
        }

        /** @return the claimed directory */
        public Path dir() {
            return dir;
        }

        /** Releases the claim and deletes the directory with whatever is left in it. @throws IOException if it cannot */
        @Override
        public void close() throws IOException {
            try {
                lock.release();
                channel.close();
            } finally {
                deleteTree(dir);
            }
        }
    }

    /**
     * Makes a fresh directory under tmp/ and claims it; call under the store lock, so that a
     * prune never sees it unclaimed.
     *
     * @param prefix what it is for
     * @return the claim
     * @throws IOException if it cannot be made
     */
    public Claim claimTmpDir(String prefix) throws IOException {
        Path dir = newTmpDir(prefix);
        FileChannel ch = FileChannel.open(dir.resolve("lock"), StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
        try {
            return new Claim(dir, ch, ch.lock());
        } catch (IOException | RuntimeException e) {
            ch.close();
            deleteTree(dir);
            throw e;
        }
    }

    /**
     * @param tmpEntry an entry of tmp/
     * @return whether it is a directory claimed by a live {@link Claim} of this or another process
     * @throws IOException if its lock file cannot be opened
     */
    public static boolean inUse(Path tmpEntry) throws IOException {
        Path lockFile = tmpEntry.resolve("lock");
        if (!Files.isDirectory(tmpEntry, LinkOption.NOFOLLOW_LINKS) || !Files.isRegularFile(lockFile, LinkOption.NOFOLLOW_LINKS)) {
            return false;
        }
        try (FileChannel ch = FileChannel.open(lockFile, StandardOpenOption.WRITE)) {
            FileLock l = ch.tryLock();
            if (l == null) {
                return true;          /* another process holds it */
            }
            l.release();
            return false;
        } catch (OverlappingFileLockException e) {
            return true;              /* this JVM holds it */
        } catch (java.nio.file.NoSuchFileException e) {
            return false;
        }
    }

    /** Moves a finished tree from tmp/ to its place, atomically. @throws IOException if it cannot */
    public static void publish(Path tmp, Path dest) throws IOException {
        Files.move(tmp, dest, StandardCopyOption.ATOMIC_MOVE);
    }

    /** Renames a tree into tmp/ and deletes it there. @param dir the tree @throws IOException if it cannot */
    public void discard(Path dir) throws IOException {
        Path trash = tmpPath("trash");
        Files.move(dir, trash, StandardCopyOption.ATOMIC_MOVE);
        deleteTree(trash);
    }

    /** @param p a tree @return the bytes of its regular files; 0 if it is gone @throws IOException if it cannot be walked */
    public static long du(Path p) throws IOException {
        long[] n = {0};
        if (!Files.exists(p, LinkOption.NOFOLLOW_LINKS)) {
            return 0;
        }
        Files.walkFileTree(p, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
                n[0] += attrs.isRegularFile() ? attrs.size() : 0;
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFileFailed(Path file, IOException e) {
                return FileVisitResult.CONTINUE; /* rootless: a directory of a subordinate ID's, counted as empty */
            }
        });
        return n[0];
    }

    /**
     * Removes a tree without following symlinks; gone already is fine. A directory of this
     * process's own that shuts it out (overlay's {@code work/work} is mode 0) is opened up first;
     * a tree with things of a rootless user namespace's other IDs in it (a writable layer where
     * a container worked as uid 1000) is removed inside that namespace ({@link UserNsFiles}).
     *
     * @throws IOException if it cannot
     */
    public static void deleteTree(Path p) throws IOException {
        if (!Files.exists(p, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try {
            delete(p);
        } catch (AccessDeniedException e) {
            if (ContainerIds.ofThisProcess().isIdentity()) {
                throw e;
            }
            UserNsFiles.remove(p);
        }
    }

    private static void delete(Path p) throws IOException {
        if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
            if (!Files.isReadable(p) || !Files.isWritable(p) || !Files.isExecutable(p)) {
                try {
                    Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwx------"));
                } catch (IOException notOurs) {
                    /* listing or removing its entries says so */
                }
            }
            List<Path> children = new ArrayList<>();
            try (DirectoryStream<Path> ds = Files.newDirectoryStream(p)) {
                ds.forEach(children::add);
            }
            for (Path c : children) {
                delete(c);
            }
        }
        Files.deleteIfExists(p);
    }
}
