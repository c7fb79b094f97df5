package dev.corral.internal.image;

import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.UUID;

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
        return root.resolve("tmp").resolve(prefix + "-" + UUID.randomUUID());
    }

    /** @param prefix what it is for @return a fresh, empty directory under tmp/ @throws IOException if it cannot be made */
    public Path newTmpDir(String prefix) throws IOException {
        Path p = tmpPath(prefix);
        Files.createDirectory(p);
        return p;
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
        });
        return n[0];
    }

    /** Removes a tree without following symlinks; gone already is fine. @throws IOException if it cannot */
    public static void deleteTree(Path p) throws IOException {
        if (!Files.exists(p, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        Files.walkFileTree(p, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                Files.deleteIfExists(file);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path dir, IOException e) throws IOException {
                if (e != null) {
                    throw e;
                }
                Files.deleteIfExists(dir);
                return FileVisitResult.CONTINUE;
            }
        });
    }
}
