package dev.corral.internal.image;

import dev.corral.image.ImageConfig;
import dev.corral.image.ImageInfo;
import dev.corral.image.ImageStoreException;
import dev.corral.image.PruneReport;
import dev.corral.image.UnpackListener;
import dev.corral.image.WritableLayer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The image store on disk, one class per concern. Layout under the root:
 * <pre>
 * store.lock                  held by whoever changes the store                ({@link StoreLock})
 * blobs/sha256/HEX            manifests, configs and layer archives, verified   ({@link Blobs}, {@link Manifests})
 * refs/NAME                   an image name (URL-encoded) -> its manifest digest ({@link Names})
 * layers/sha256/HEX           a layer blob unpacked in overlayfs form           ({@link LayerTrees})
 * flat/sha256/HEX             an image flattened into one tree                  ({@link LayerTrees})
 * rootfs/sha256/HEX           a root file system archive unpacked as it is      ({@link LayerTrees})
 * runs/ID/{upper,work,lock,info.json,kept}   one run's writable layer          ({@link Runs})
 * volumes/NAME                a named volume                                    ({@link Volumes})
 * tmp/                        where everything is made before an atomic rename ({@link StoreFiles})
 * </pre>
 * A directory under {@code layers/}, {@code flat/} or {@code rootfs/} exists only complete: it is
 * unpacked under {@code tmp/} and renamed into place, all under the store lock; a crash leaves
 * only {@code tmp/} debris, which {@link #prune()} removes.
 *
 * <p>An image enters the store bottom up, under the lock: its layer blobs ({@link Blobs#put}),
 * then its config and manifest ({@link Manifests#putConfig}, {@link Manifests#putManifest}),
 * and last its name ({@link Names#tag}), so a name never points at half an image.
 *
 * <pre>{@code
 * Store store = Store.open(dir);
 * String digest = store.locked(() -> OciImport.fromLayout(store, layoutDir, "v2"));
 * store.names().tag("fixture:v2", digest);
 * List<Path> lowers = store.unpackImage(digest, UnpackListener.NONE);
 * }</pre>
 */
public final class Store {
    private static final Logger LOG = LoggerFactory.getLogger(Store.class);

    private final Path root;
    private final StoreLock lock;
    private final StoreFiles files;
    private final Blobs blobs;
    private final Manifests manifests;
    private final Names names;
    private final LayerTrees trees;
    private final Runs runs;
    private final Volumes volumes;

    private Store(Path root) {
        this.root = root;
        this.lock = new StoreLock(root);
        this.files = new StoreFiles(root);
        this.blobs = new Blobs(root, files);
        this.manifests = new Manifests(blobs);
        this.names = new Names(root, lock, files);
        this.trees = new LayerTrees(root, lock, files, blobs, manifests);
        this.runs = new Runs(root, lock, files);
        this.volumes = new Volumes(root, lock, files);
    }

    /**
     * Opens (creating if needed) a store.
     *
     * @param dir the store directory
     * @return the store
     */
    public static Store open(Path dir) {
        try {
            Path abs = dir.toAbsolutePath().normalize();
            if (!Files.isDirectory(abs)) {
                Files.createDirectories(abs);
                Files.setPosixFilePermissions(abs, PosixFilePermissions.fromString("rwx------"));
            }
            Path real = abs.toRealPath();
            String s = real.toString();
            for (char c : new char[] {',', ':', '\\', '\n'}) {
                if (s.indexOf(c) >= 0) {
                    throw new ImageStoreException("image store path " + s + " contains '" + c + "', which overlayfs "
                            + "mount options cannot carry: choose a directory without ',', ':' or '\\'", null);
                }
            }
            for (String sub : List.of("blobs/sha256", "layers/sha256", "flat/sha256", "rootfs/sha256", "refs", "runs",
                    "volumes", "tmp")) {
                Files.createDirectories(real.resolve(sub));
            }
            Store store = new Store(real);
            if (SWEPT.add(real)) {
                sweepSoon(store);
            }
            return store;
        } catch (IOException e) {
            throw new ImageStoreException("cannot open the image store at " + dir + ": " + e, e);
        }
    }

    /** Stores whose stale runs this JVM has looked for. */
    private static final java.util.Set<Path> SWEPT = java.util.concurrent.ConcurrentHashMap.newKeySet();

    /**
     * The first time this JVM opens a store, removes off the caller's thread the writable layers
     * of runs whose JVM was killed (not only at {@link #prune}): they hold what the container wrote.
     */
    private static void sweepSoon(Store store) {
        Thread t = new Thread(() -> {
            try {
                int n = store.runs().removeStale();
                if (n > 0) {
                    LOG.debug("removed {} writable layers of dead runs from {}", n, store.root());
                }
            } catch (RuntimeException e) {
                LOG.debug("could not look for stale runs in {}: {}", store.root(), e.toString());
            }
        }, "corral-store-sweep");
        t.setDaemon(true);
        t.start();
    }

    /** @return the store's root, with symlinks resolved */
    public Path root() {
        return root;
    }

    /* ---------------- the parts ---------------- */

    /**
     * Runs a body with the store locked against other threads and processes; reentrant.
     *
     * @param body what to do
     * @param <T>  its result type
     * @return its result
     */
    public <T> T locked(StoreLock.IoBody<T> body) {
        return lock.locked(body);
    }

    /** @return making things under tmp/ and publishing them */
    public StoreFiles files() {
        return files;
    }

    /** @return the verified, content-addressed blobs */
    public Blobs blobs() {
        return blobs;
    }

    /** @return image manifests and configs */
    public Manifests manifests() {
        return manifests;
    }

    /** @return image names */
    public Names names() {
        return names;
    }

    /** @return the unpacked layers, flattened images and root file system archives */
    public LayerTrees layerTrees() {
        return trees;
    }

    /** @return the runs' writable layers */
    public Runs runs() {
        return runs;
    }

    /** @return the named volumes */
    public Volumes volumes() {
        return volumes;
    }

    /* ---------------- images ---------------- */

    /**
     * @param name an image name
     * @return the name with {@code :latest} added when it has no tag
     */
    public static String normalize(String name) {
        return Names.normalize(name);
    }

    /** @param name an image name @return its manifest digest, if the store has it */
    public Optional<String> ref(String name) {
        return names.ref(name);
    }

    /** @return every image, by name */
    public List<ImageInfo> images() {
        List<ImageInfo> out = new ArrayList<>();
        for (String name : names.list()) {
            info(name).ifPresent(out::add);
        }
        return out;
    }

    /** @param name an image name @return the image, if the store has it */
    public Optional<ImageInfo> info(String name) {
        Optional<String> digest = ref(name);
        if (digest.isEmpty()) {
            return Optional.empty();
        }
        try {
            Manifest m = manifests.read(digest.get());
            long size = m.layers().stream().mapToLong(Descriptor::size).sum();
            return Optional.of(new ImageInfo(normalize(name), digest.get(),
                    m.layers().stream().map(Descriptor::digest).toList(), size));
        } catch (IOException e) {
            throw new ImageStoreException("image " + name + " in " + root + " is damaged: " + e.getMessage(), e);
        }
    }

    /** @param name an image name @return whether it was there */
    public boolean remove(String name) {
        return names.remove(name);
    }

    /** @param name an image name @return its configuration's defaults */
    public ImageConfig config(String name) {
        return configOf(ref(name).orElseThrow(() -> missingImage(name)));
    }

    /** @param digest a manifest digest @return its configuration's defaults */
    public ImageConfig configOf(String digest) {
        try {
            return manifests.imageConfig(digest);
        } catch (IOException e) {
            throw new ImageStoreException("image " + digest + " in " + root + " is damaged: " + e.getMessage(), e);
        }
    }

    /** @param name an image name @return the error for an image the store lacks */
    public ImageStoreException missingImage(String name) {
        return new ImageStoreException("no image '" + normalize(name) + "' in the store " + root + ": import it first "
                + "(ImageStore.importImage, corral import), or give the path of an OCI layout directory or a "
                + "docker save archive", null);
    }

    /* ---------------- import ---------------- */

    /**
     * Imports an OCI image layout directory or a {@code docker save} archive under a name.
     *
     * @param source a directory with {@code index.json}, or a tar file; {@code PATH:TAG} picks a
     *               tag of a source that holds several images
     * @param name   the name to give it in the store
     * @return the image
     */
    public ImageInfo importImage(Path source, String name) {
        Map.Entry<Path, Optional<String>> sel = selector(source.toString())
                .orElseThrow(() -> new ImageStoreException("cannot import " + source + ": no such file or directory", null));
        Path src = sel.getKey();
        Optional<String> tag = sel.getValue();
        Path from = src;
        Optional<String> wanted = tag;
        String digest = locked(() -> Files.isDirectory(from)
                ? OciImport.fromLayout(this, from, wanted)
                : OciImport.fromDockerArchive(this, from, wanted));
        names.tag(name, digest);
        LOG.debug("imported {} as {} ({})", source, normalize(name), digest);
        return info(name).orElseThrow();
    }

    /**
     * Splits {@code PATH[:TAG]} where PATH is the shortest existing prefix: in
     * {@code busybox.tar:busybox:1.35} the path is {@code busybox.tar} and the tag
     * {@code busybox:1.35}, as the archive's {@code RepoTags} name it.
     *
     * @param selector a path, or a path, ':' and a tag of an image in it
     * @return the path and the tag, or empty when no such path exists
     */
    public static Optional<Map.Entry<Path, Optional<String>>> selector(String selector) {
        if (Files.exists(Path.of(selector))) {
            return Optional.of(Map.entry(Path.of(selector), Optional.empty()));
        }
        for (int colon = selector.indexOf(':'); colon > 0; colon = selector.indexOf(':', colon + 1)) {
            Path p = Path.of(selector.substring(0, colon));
            if (Files.exists(p) && colon + 1 < selector.length()) {
                return Optional.of(Map.entry(p, Optional.of(selector.substring(colon + 1))));
            }
        }
        return Optional.empty();
    }

    /**
     * Finds an image by name, importing it first if the reference is the path of an OCI
     * layout or a docker save archive that the store does not hold yet under that name.
     *
     * @param reference a name in the store, or a path (optionally {@code PATH:TAG})
     * @return the manifest digest
     */
    public String resolve(String reference) {
        Optional<String> d = ref(reference);
        if (d.isPresent()) {
            return d.get();
        }
        if (reference.matches("sha256:[0-9a-f]{64}") && Files.isRegularFile(root.resolve("blobs/sha256")
                .resolve(reference.substring("sha256:".length())))) {
            return reference; /* an image by its manifest digest, as a build's steps run */
        }
        if (selector(reference).isEmpty()) {
            throw missingImage(reference);
        }
        return importImage(Path.of(reference), reference).digest();
    }

    /* ---------------- unpacking ---------------- */

    /**
     * @param manifestDigest the image
     * @param listener       progress
     * @return the overlay lower directories, top first (see {@link LayerTrees#unpackImage})
     */
    public List<Path> unpackImage(String manifestDigest, UnpackListener listener) {
        return trees.unpackImage(manifestDigest, listener);
    }

    /**
     * @param archive  a tar, tar.gz, tar.xz or tar.zst
     * @param listener progress
     * @return the unpacked tree and the archive's digest (see {@link LayerTrees#unpackArchive})
     */
    public Map.Entry<Path, String> unpackArchive(Path archive, UnpackListener listener) {
        return trees.unpackArchive(archive, listener);
    }

    /* ---------------- runs ---------------- */

    /**
     * @param lowers the lower directories, top first
     * @param image  what the run is of, for a kept layer
     * @param keep   keep the upper after the run
     * @return the run's layer, locked (see {@link Runs#create})
     */
    public RunLayer newRun(List<Path> lowers, String image, boolean keep) {
        return runs.create(lowers, image, keep);
    }

    /** @return the writable layers kept after their runs */
    public List<WritableLayer> keptLayers() {
        return runs.kept();
    }

    /** @param layer a kept layer @return whether it was there */
    public boolean discard(WritableLayer layer) {
        return runs.discard(layer);
    }

    /**
     * Makes a kept writable layer the top layer of a new image: its base image's layers, then
     * the upper directory as a tar with OCI whiteouts.
     *
     * @param layer   the kept layer
     * @param newName the new image's name
     * @return the new image
     */
    public ImageInfo commit(WritableLayer layer, String newName) {
        names.tag(newName, runs.commit(layer, this));
        return info(newName).orElseThrow();
    }

    /* ---------------- prune ---------------- */

    /** @return what was removed */
    public PruneReport prune() {
        return Prune.run(this);
    }
}
