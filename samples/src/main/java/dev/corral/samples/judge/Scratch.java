package dev.corral.samples.judge;

import dev.corral.unit.DataSize;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Stream;

/**
 * A run's scratch directory on the host, bound into its container: files go in before the run
 * and come out after it, each within a per-file cap and all together within a total cap. A file
 * past a cap is a {@link CapExceededException}, never a partial copy taken for the whole.
 *
 * <pre>{@code
 * try (Scratch s = Scratch.create("feedback")) {
 *     s.copyIn(source, "main.c", DataSize.ofKibibytes(128), DataSize.ofKibibytes(128));
 *     ... run a container with Mount.bindReadWrite(s.directory(), "/prog") ...
 *     Map<String, byte[]> out = s.copyOut(DataSize.ofMebibytes(1), DataSize.ofMebibytes(8));
 * }
 * }</pre>
 */
public final class Scratch implements AutoCloseable {

    /** A file, or all files together, over a cap. */
    public static final class CapExceededException extends Exception {
        private static final long serialVersionUID = 1L;

        CapExceededException(String message) {
            super(message);
        }
    }

    private final Path dir;
    private long copiedIn;

    private Scratch(Path dir) {
        this.dir = dir;
    }

    /**
     * Makes an empty scratch directory that the container's own root may write (its IDs are
     * mapped to an unprivileged host user).
     *
     * @param prefix a prefix for its name
     * @return the scratch directory
     */
    public static Scratch create(String prefix) {
        try {
            Path d = Files.createTempDirectory("judge-" + prefix + "-");
            Files.setPosixFilePermissions(d, PosixFilePermissions.fromString("rwxrwxrwx"));
            return new Scratch(d);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** @return the host directory */
    public Path directory() {
        return dir;
    }

    /**
     * Copies a host file in.
     *
     * @param source  the host file
     * @param name    its name in the scratch directory (no '/')
     * @param perFile the most one file may hold
     * @param total   the most everything copied in may hold
     * @throws CapExceededException if the file, or everything copied in, is over its cap
     */
    public void copyIn(Path source, String name, DataSize perFile, DataSize total) throws CapExceededException {
        if (name.contains("/") || name.startsWith(".")) {
            throw new IllegalArgumentException("not a plain file name: " + name);
        }
        try {
            long size = Files.size(source);
            if (size > perFile.bytes()) {
                throw new CapExceededException(name + " is " + size + " bytes; at most " + perFile.bytes() + " per file");
            }
            if (copiedIn + size > total.bytes()) {
                throw new CapExceededException("the files copied in would be " + (copiedIn + size)
                        + " bytes; at most " + total.bytes() + " in all");
            }
            Path target = dir.resolve(name);
            Files.copy(source, target);
            Files.setPosixFilePermissions(target, PosixFilePermissions.fromString("rw-r--r--"));
            copiedIn += size;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Reads every regular file the run left at the top of the directory, without following
     * links, within the caps; reading stops at the first byte past one.
     *
     * @param perFile the most one file may hold
     * @param total   the most all of them may hold together
     * @return file name to contents, in name order
     * @throws CapExceededException if a file or all of them are over a cap
     */
    public Map<String, byte[]> copyOut(DataSize perFile, DataSize total) throws CapExceededException {
        Map<String, byte[]> out = new LinkedHashMap<>();
        long sum = 0;
        for (Path p : Problem.list(dir)) {
            if (!Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) {
                continue;
            }
            byte[] bytes;
            try (InputStream in = Files.newInputStream(p, LinkOption.NOFOLLOW_LINKS)) {
                bytes = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, perFile.bytes() + 1));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            String name = p.getFileName().toString();
            if (bytes.length > perFile.bytes()) {
                throw new CapExceededException(name + " is over " + perFile.bytes() + " bytes, the cap per file");
            }
            sum += bytes.length;
            if (sum > total.bytes()) {
                throw new CapExceededException("the files are over " + total.bytes() + " bytes in all, the total cap");
            }
            out.put(name, bytes);
        }
        return out;
    }

    /** Removes the directory and everything in it. */
    @Override
    public void close() {
        deleteTree(dir);
    }

    static void deleteTree(Path root) {
        if (!Files.exists(root, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try {
            Files.walkFileTree(root, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                    Files.delete(file);
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult postVisitDirectory(Path d, IOException e) throws IOException {
                    Files.delete(d);
                    return FileVisitResult.CONTINUE;
                }
            });
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static long sizeOf(Path tree) {
        try (Stream<Path> s = Files.walk(tree)) {
            return s.filter(Files::isRegularFile).mapToLong(p -> {
                try {
                    return Files.size(p);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }).sum();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
