package dev.corral.internal.image;

import dev.corral.image.PruneReport;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Removes, under the store lock, what nothing needs any more: finished runs that are not kept,
 * unpacked trees no image or live run uses, blobs no named image refers to, and {@code tmp/}
 * debris but for directories a live pull has claimed ({@link StoreFiles#inUse}). If any named
 * image is damaged, nothing is removed. Volumes are left alone.
 *
 * <pre>{@code
 * PruneReport r = Prune.run(store);
 * }</pre>
 */
final class Prune {
    private static final Logger LOG = LoggerFactory.getLogger(Prune.class);

    private Prune() {}

    static PruneReport run(Store store) {
        Path root = store.root();
        return store.locked(() -> {
            Set<String> blobs = new HashSet<>();
            Set<Path> trees = new HashSet<>();
            try (DirectoryStream<Path> ds = Files.newDirectoryStream(root.resolve("refs"))) {
                for (Path ref : ds) {
                    String d = Files.readString(ref).trim();
                    try {
                        Manifest m = store.manifests().read(d);
                        blobs.add(d);
                        blobs.add(m.config().digest());
                        for (Descriptor l : m.layers()) {
                            blobs.add(l.digest());
                            trees.add(store.layerTrees().layerDir(l.digest()));
                        }
                        trees.add(store.layerTrees().flatDir(d));
                    } catch (IOException e) {
                        LOG.warn("image {} is damaged, its blobs are left alone: {}", ref.getFileName(), e.toString());
                        return new PruneReport(0, 0, 0, 0);
                    }
                }
            }
            Runs.Pruned runs = store.runs().prune(trees);
            long freed = runs.freed();
            int layers = 0;
            for (String sub : List.of("layers/sha256", "flat/sha256", "rootfs/sha256")) {
                try (DirectoryStream<Path> ds = Files.newDirectoryStream(root.resolve(sub))) {
                    for (Path t : ds) {
                        if (!trees.contains(t)) {
                            freed += StoreFiles.du(t);
                            store.files().discard(t);
                            layers++;
                        }
                    }
                }
            }
            int removedBlobs = 0;
            try (DirectoryStream<Path> ds = Files.newDirectoryStream(root.resolve("blobs/sha256"))) {
                for (Path b : ds) {
                    if (!blobs.contains(Digests.SHA256 + b.getFileName())) {
                        freed += Files.size(b);
                        Files.delete(b);
                        removedBlobs++;
                    }
                }
            }
            try (DirectoryStream<Path> ds = Files.newDirectoryStream(root.resolve("tmp"))) {
                for (Path t : ds) {
                    if (StoreFiles.inUse(t)) {
                        continue;         /* a pull still downloading into it */
                    }
                    freed += StoreFiles.du(t);
                    StoreFiles.deleteTree(t);
                }
            }
            return new PruneReport(layers, removedBlobs, runs.removed(), freed);
        });
    }
}
