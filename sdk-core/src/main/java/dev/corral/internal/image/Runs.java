package dev.corral.internal.image;

import dev.corral.image.ImageStoreException;
import dev.corral.image.WritableLayer;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The runs' writable layers under {@code runs/ID/{upper,work,lock,info.json,kept}}: made for a
 * run, removed after it or kept, and a kept one committed as a new image or discarded.
 *
 * <pre>{@code
 * RunLayer run = runs.create(lowers, "busybox:latest", true);
 * WritableLayer kept = run.release().orElseThrow();
 * String manifest = runs.commit(kept);
 * }</pre>
 */
public final class Runs {
    private static final Pattern RUN_ID = Pattern.compile("[0-9a-f]{16}");

    private final Path root;
    /** The length of a run's ID, the name of its directory under {@code runs/}. */
    static final int ID_LENGTH = 16;

    private final Path dir;
    private final StoreLock lock;
    private final StoreFiles files;

    Runs(Path root, StoreLock lock, StoreFiles files) {
        this.root = root;
        this.dir = root.resolve("runs");
        this.lock = lock;
        this.files = files;
    }

    /**
     * Creates a run's upper and work directories.
     *
     * @param lowers the lower directories, top first
     * @param image  what the run is of, for a kept layer
     * @param keep   keep the upper after the run
     * @return the run's layer, locked
     */
    public RunLayer create(List<Path> lowers, String image, boolean keep) {
        return lock.locked(() -> {
            // 64 random bits from the kernel (no SecureRandom, no SHA-256 here: their provider
            // lookup alone costs a short CLI run more than the rest of this method)
            String id = dev.corral.namespaces.launcher.KernelRandom.hex64();
            Path run = dir.resolve(id);
            Files.createDirectory(run);
            Files.createDirectory(run.resolve("upper"));
            Files.createDirectory(run.resolve("work"));
            FileChannel ch = FileChannel.open(run.resolve("lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            FileLock fl = ch.lock();
            Map<String, Object> info = new LinkedHashMap<>();
            info.put("image", image);
            info.put("lowers", lowers.stream().map(p -> root.relativize(p).toString()).toList());
            info.put("created", Instant.now().toString());
            Files.write(run.resolve("info.json"), Json.write(info));
            return new RunLayer(files, id, run, List.copyOf(lowers), image, keep, ch, fl);
        });
    }

    /** @return the writable layers kept after their runs */
    public List<WritableLayer> kept() {
        List<WritableLayer> out = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
            for (Path run : ds) {
                if (Files.exists(run.resolve("kept"))) {
                    out.add(new WritableLayer(run.getFileName().toString(), run.resolve("upper"),
                            Json.str(info(run), "image")));
                }
            }
        } catch (IOException e) {
            throw new ImageStoreException("cannot list kept layers in " + root + ": " + e, e);
        }
        out.sort((a, b) -> a.id().compareTo(b.id()));
        return out;
    }

    static Map<String, Object> info(Path run) throws IOException {
        return Json.object(Files.readAllBytes(run.resolve("info.json")), "run info");
    }

    /** @param layer a kept layer @return whether it was there */
    public boolean discard(WritableLayer layer) {
        return lock.locked(() -> {
            Path run = dir.resolve(layer.id());
            if (!RUN_ID.matcher(layer.id()).matches() || !Files.exists(run.resolve("kept"))) {
                return false;
            }
            files.discard(run);
            return true;
        });
    }

    private Path keptDir(WritableLayer layer) {
        if (!RUN_ID.matcher(layer.id()).matches()) {
            throw new ImageStoreException("'" + layer.id() + "' is not a writable layer of this store", null);
        }
        Path run = dir.resolve(layer.id());
        if (!Files.exists(run.resolve("kept"))) {
            throw new ImageStoreException("writable layer " + layer.id() + " is not kept in " + root
                    + " (it is still in use, was discarded, or belongs to another store)", null);
        }
        return run;
    }

    /**
     * Makes a kept writable layer the top layer of a new image: its base image's layers, then
     * the upper directory as a tar with OCI whiteouts.
     *
     * @param layer the kept layer
     * @param store the store, for the base image and the new blobs
     * @return the new image's manifest digest, not yet named
     */
    String commit(WritableLayer layer, Store store) {
        Path run = keptDir(layer);
        return lock.locked(() -> {
            String base = Json.str(info(run), "image");
            Optional<String> baseDigest = store.names().ref(base);
            if (baseDigest.isEmpty()) {
                throw new IOException("its image '" + base + "' is no longer in the store (or it ran from a root "
                        + "file system archive, which has no image to build on: import it with corral import)");
            }
            return LayerCommit.commit(store, run.resolve("upper"), baseDigest.get(), base);
        });
    }

    /**
     * Removes the runs that are neither kept nor running.
     *
     * @param inUseTrees filled with the lower directories of the runs left
     * @return how many were removed and the bytes they held
     * @throws IOException if the runs cannot be listed or one cannot be removed
     */
    Pruned prune(Set<Path> inUseTrees) throws IOException {
        int removed = 0;
        long freed = 0;
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
            for (Path run : ds) {
                if (Files.exists(run.resolve("kept")) || inUse(run)) {
                    for (String l : Json.strings(info(run), "lowers")) {
                        inUseTrees.add(root.resolve(l));
                    }
                } else {
                    freed += StoreFiles.du(run);
                    files.discard(run);
                    removed++;
                }
            }
        }
        return new Pruned(removed, freed);
    }

    /**
     * Removes, under the store lock, the runs of JVMs that were killed: neither kept nor locked.
     *
     * @return how many were removed
     */
    int removeStale() {
        return lock.locked(() -> prune(new java.util.HashSet<>()).removed());
    }

    /** What a prune of the runs removed. */
    record Pruned(int removed, long freed) {}

    /** A run is in use while some JVM (this one included) holds its lock. */
    private static boolean inUse(Path run) {
        try (FileChannel ch = FileChannel.open(run.resolve("lock"), StandardOpenOption.WRITE)) {
            FileLock l = ch.tryLock();
            if (l == null) {
                return true;
            }
            l.release();
            return false;
        } catch (OverlappingFileLockException e) {
            return true;
        } catch (NoSuchFileException e) {
            return false;
        } catch (IOException e) {
            return true;
        }
    }
}
