package dev.corral.internal.files;

import dev.corral.CopiedFiles;
import dev.corral.Input;
import dev.corral.ScratchCapExceededException;
import dev.corral.ScratchDirectory;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * One run's {@link ScratchDirectory} on the host: made and filled before the container starts,
 * read and removed after it ends. The directory sits, under a random name, in a parent of
 * another random name that only its owner may list ({@code 0711}), itself in {@code /dev/shm}
 * where that is a tmpfs (the container's writes are then memory charged to its own cgroup),
 * else in {@code java.io.tmpdir}; it is {@code 0777}, as the container's root is some other
 * host user. Files are read without following links.
 */
public final class ScratchBox {
    /** The prefix of every scratch parent directory, for finding a dead JVM's leftovers. */
    public static final String PREFIX = "corral-scratch-";

    private final ScratchDirectory spec;
    private final Path parent;
    private final Path dir;

    private ScratchBox(ScratchDirectory spec, Path parent, Path dir) {
        this.spec = spec;
        this.parent = parent;
        this.dir = dir;
    }

    /** @return where scratch directories are made */
    static Path base() {
        Path shm = Path.of("/dev/shm");
        if (Files.isDirectory(shm) && Files.isWritable(shm)) {
            return shm;
        }
        return Path.of(System.getProperty("java.io.tmpdir"));
    }

    /**
     * Makes the directory and copies the files in.
     *
     * @param spec what to make
     * @return the directory, filled
     * @throws ScratchCapExceededException if a file or all of them are over a cap (nothing is left behind)
     */
    public static ScratchBox create(ScratchDirectory spec) {
        Path parent = null;
        try {
            parent = Files.createTempDirectory(base(), PREFIX, PosixFilePermissions.asFileAttribute(
                    PosixFilePermissions.fromString("rwx--x--x")));
            Files.setPosixFilePermissions(parent, PosixFilePermissions.fromString("rwx--x--x"));
            Path dir = Files.createTempDirectory(parent, "");
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxrwxrwx"));
            ScratchBox box = new ScratchBox(spec, parent, dir);
            box.copyIn();
            return box;
        } catch (IOException e) {
            deleteTree(parent);
            throw new UncheckedIOException("cannot make the scratch directory for " + spec.target() + ": " + e, e);
        } catch (RuntimeException e) {
            deleteTree(parent);
            throw e;
        }
    }

    /** @return the host directory the container sees at the target */
    public Path directory() {
        return dir;
    }

    private void copyIn() throws IOException {
        long total = 0;
        for (Map.Entry<String, Input> e : spec.copyIn().entrySet()) {
            String name = e.getKey();
            Path target = dir.resolve(name);
            long size;
            if (e.getValue() instanceof Input.FromFile f) {
                size = Files.size(f.path());
                checkIn(name, size, total);
                Files.copy(f.path(), target);
            } else {
                byte[] bytes = e.getValue() instanceof Input.Bytes b ? b.bytes() : new byte[0];
                size = bytes.length;
                checkIn(name, size, total);
                Files.write(target, bytes);
            }
            /* the source may have grown after it was measured: count what is here */
            size = Files.size(target);
            checkIn(name, size, total);
            total += size;
            Files.setPosixFilePermissions(target, PosixFilePermissions.fromString("rw-r--r--"));
        }
    }

    private void checkIn(String name, long size, long totalBefore) {
        if (size > spec.perFileCap().bytes()) {
            throw new ScratchCapExceededException("copy " + name + " into the scratch directory " + spec.target(),
                    size + " bytes; at most " + spec.perFileCap().bytes() + " per file");
        }
        if (totalBefore + size > spec.totalCap().bytes()) {
            throw new ScratchCapExceededException("copy " + name + " into the scratch directory " + spec.target(),
                    "the files copied in would be " + (totalBefore + size) + " bytes; at most "
                            + spec.totalCap().bytes() + " in all");
        }
    }

    /**
     * Copies the asked-for files out, within the caps, in name order; reading stops at the first
     * byte past the per-file cap.
     *
     * @return what was copied and what was left out
     */
    public CopiedFiles copyOut() {
        SortedMap<String, byte[]> files = new TreeMap<>();
        SortedMap<String, String> refused = new TreeMap<>();
        List<String> names = new ArrayList<>(spec.copyOut());
        if (spec.copyOutEverything()) {
            try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
                for (Path p : ds) {
                    String n = p.getFileName().toString();
                    if (!names.contains(n) && Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) {
                        names.add(n);
                    }
                }
            } catch (IOException e) {
                throw new UncheckedIOException("cannot list the scratch directory " + dir + ": " + e, e);
            }
        }
        names.sort(null);
        long perFile = spec.perFileCap().bytes();
        long left = spec.totalCap().bytes();
        for (String name : names) {
            Path p = dir.resolve(name);
            if (!Files.exists(p, LinkOption.NOFOLLOW_LINKS)) {
                refused.put(name, "missing");
                continue;
            }
            if (!Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) {
                refused.put(name, "not a regular file");
                continue;
            }
            byte[] bytes;
            try (InputStream in = Files.newInputStream(p, LinkOption.NOFOLLOW_LINKS)) {
                bytes = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, perFile + 1));
            } catch (IOException e) {
                refused.put(name, "unreadable: " + e.getMessage());
                continue;
            }
            if (bytes.length > perFile) {
                refused.put(name, "over the per-file cap of " + perFile + " bytes");
            } else if (bytes.length > left) {
                refused.put(name, "over the total cap of " + spec.totalCap().bytes() + " bytes");
            } else {
                files.put(name, bytes);
                left -= bytes.length;
            }
        }
        return new CopiedFiles(files, refused);
    }

    private boolean removed;

    /** Removes the directory and everything in it; idempotent. */
    public synchronized void remove() {
        if (!removed) {
            deleteTree(parent);
            removed = true;
        }
    }

    private static void deleteTree(Path root) {
        if (root == null || !Files.exists(root, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try {
            Files.walkFileTree(root, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult preVisitDirectory(Path d, BasicFileAttributes attrs) throws IOException {
                    try { /* the container may have left a directory it made unreadable */
                        Files.setPosixFilePermissions(d, PosixFilePermissions.fromString("rwx------"));
                    } catch (IOException e) {
                        /* not ours to change (a rootless container's other user): try as it is */
                    }
                    return FileVisitResult.CONTINUE;
                }

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
            throw new UncheckedIOException("cannot remove the scratch directory " + root + ": " + e, e);
        }
    }
}
