package dev.corral.image;

import dev.corral.internal.image.Store;
import dev.corral.internal.registry.Puller;
import dev.corral.internal.registry.Pusher;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Images, their unpacked layers, kept writable layers and named volumes, in a directory the
 * caller chooses. Content-addressed: a blob is stored once by its SHA-256, a layer is unpacked
 * once and shared read-only by every container of every image that has it; each container
 * writes only to its own overlay upper directory, removed after its run unless kept.
 *
 * <pre>{@code
 * ImageStore store = ImageStore.open(Path.of("/var/cache/judge/images"));
 * store.importImage(Path.of("alpine.tar"), "alpine:3.20");      // docker save, or an OCI layout dir
 * ContainerSpec spec = Container.builder().rootfs(Rootfs.image(store, "alpine:3.20")).build();
 * spec.run("cat", "/etc/alpine-release");
 * store.prune();                                                 // layers no image uses any more
 * }</pre>
 *
 * <p>Safe to share between threads and between JVMs: changes are made under a lock file
 * ({@code store.lock}, {@link java.nio.channels.FileChannel#lock()}), and anything unpacked or
 * written is made in {@code tmp/} and published by an atomic rename, so a crash never leaves a
 * half-unpacked layer that a later run would use. Running containers hold a lock on their own
 * run directory, so that {@link #prune()} in any JVM leaves their layers alone.
 *
 * <p>Layers are unpacked in overlayfs form and stacked as the lower directories of one overlay
 * mount; an image with too many layers for one mount is flattened into one tree instead. The
 * store's path may not contain {@code ','}, {@code ':'} or {@code '\'}, which overlay mount
 * options cannot carry. Root only for now: rootless overlay is issue 5.
 */
public final class ImageStore {
    private final Store store;

    private ImageStore(Store store) {
        this.store = store;
    }

    /**
     * Opens a store, creating its directory (mode 0700) when missing.
     *
     * @param directory where the store lives
     * @return the store
     * @throws ImageStoreException if it cannot be created, or its path holds ',', ':' or '\'
     */
    public static ImageStore open(Path directory) {
        return new ImageStore(Store.open(Objects.requireNonNull(directory, "directory")));
    }

    /**
     * Opens the store in the user's cache directory: {@code $XDG_CACHE_HOME/corral}, or
     * {@code ~/.cache/corral} when that is not set.
     *
     * @return the store
     */
    public static ImageStore atDefaultLocation() {
        return open(defaultLocation());
    }

    /** @return {@code $XDG_CACHE_HOME/corral}, or {@code ~/.cache/corral} */
    public static Path defaultLocation() {
        String xdg = System.getenv("XDG_CACHE_HOME");
        if (xdg != null && !xdg.isEmpty() && Path.of(xdg).isAbsolute()) {
            return Path.of(xdg, "corral");
        }
        return Path.of(System.getProperty("user.home"), ".cache", "corral");
    }

    /** @return the store's directory */
    public Path directory() {
        return store.root();
    }

    /**
     * Imports an image, verifying every blob's digest: from an OCI image layout directory
     * (the manifest for this machine's architecture is picked from an index), or from a
     * {@code docker save} archive (also one written by {@code skopeo copy ... docker-archive:}).
     * Nothing is unpacked yet; see {@link #unpack}.
     *
     * @param source a layout directory or an archive; {@code PATH:TAG} picks one of several images
     * @param name   the name to give it, e.g. {@code busybox:1.36} ({@code :latest} when no tag)
     * @return the image
     * @throws ImageStoreException if the source is not an image, or a blob does not match its digest
     */
    public ImageInfo importImage(Path source, String name) {
        return store.importImage(Objects.requireNonNull(source, "source"), Objects.requireNonNull(name, "name"));
    }

    /**
     * Pulls an image from a registry, as {@code docker pull} does, with the default options
     * (anonymous or the Docker config's credentials); it is named as the reference is written.
     *
     * @param reference e.g. {@code localhost:5000/team/app:1.2} (see {@link ImageRef#parse})
     * @return the image
     * @throws RegistryException if the registry cannot be reached, refuses, lacks the image, or
     *                           sends a blob that does not match its digest (then nothing is stored)
     */
    public ImageInfo pull(String reference) {
        return pull(reference, RegistryOptions.defaults());
    }

    /**
     * Pulls an image from a registry into the store: an index or manifest list is resolved to
     * linux and this machine's architecture, layers the store has are not fetched again, the
     * others are fetched in parallel, verified against their digests as they stream, and
     * resumed after a broken connection. Nothing is stored unless every blob is right.
     *
     * <pre>{@code
     * ImageInfo i = store.pull("localhost:5000/team/app:1.2",
     *         RegistryOptions.builder().credentials(new Credentials("ci", "secret")).build());
     * }</pre>
     *
     * @param reference the image; also its name in the store
     * @param options   credentials, CA, parallelism, progress listener
     * @return the image
     * @throws RegistryException if the pull fails
     * @throws IllegalArgumentException if the reference is not valid
     */
    public ImageInfo pull(String reference, RegistryOptions options) {
        ImageRef ref = ImageRef.parse(Objects.requireNonNull(reference, "reference"));
        return Puller.pull(store, ref, reference, Objects.requireNonNull(options, "options"));
    }

    /**
     * Pushes the store's image of that name to the registry it names, as {@code docker push}
     * does, with the default options.
     *
     * @param reference the image's name in the store, a registry reference with a tag
     *                  (e.g. {@code localhost:5000/team/app:1.2})
     * @return the digest of the manifest pushed
     * @throws RegistryException if the registry cannot be reached, refuses, or rejects a blob
     */
    public String push(String reference) {
        return push(reference, reference, RegistryOptions.defaults());
    }

    /**
     * Pushes a store image to a registry: each layer and the config that the registry lacks is
     * uploaded (in parallel, the registry checking each digest), then the manifest, byte for byte
     * as the store has it, so the digest is the same on both sides.
     *
     * <pre>{@code
     * store.importImage(Path.of("app-oci:1"), "app:1");
     * String digest = store.push("app:1", "localhost:5000/team/app:1",
     *         RegistryOptions.builder().credentials(new Credentials("ci", "secret")).build());
     * }</pre>
     *
     * @param name      the image's name in the store
     * @param reference where to push it: a registry reference with a tag
     * @param options   credentials, CA, parallelism, progress listener
     * @return the digest of the manifest pushed
     * @throws RegistryException if the push fails
     * @throws ImageStoreException if the store has no such image
     * @throws IllegalArgumentException if the reference is not valid or has no tag
     */
    public String push(String name, String reference, RegistryOptions options) {
        ImageRef ref = ImageRef.parse(Objects.requireNonNull(reference, "reference"));
        return Pusher.push(store, Objects.requireNonNull(name, "name"), ref, Objects.requireNonNull(options, "options"));
    }

    /** For {@link ImageBuilder}: pushes a built image, which may have no name, by its manifest digest. */
    String pushManifest(String manifestDigest, String reference, RegistryOptions options) {
        return Pusher.pushManifest(store, manifestDigest, ImageRef.parse(reference), options);
    }

    /** @return every image in the store, by name */
    public List<ImageInfo> images() {
        return store.images();
    }

    /** @param name an image name @return the image, if the store has one by that name */
    public Optional<ImageInfo> image(String name) {
        return store.info(name);
    }

    /**
     * @param name an image name
     * @return what its configuration says to run, and how
     * @throws ImageStoreException if there is no such image
     */
    public ImageConfig config(String name) {
        return store.config(name);
    }

    /**
     * Removes an image's name; its layers stay until {@link #prune()}.
     *
     * @param name an image name
     * @return whether the store had it
     */
    public boolean remove(String name) {
        return store.remove(name);
    }

    /**
     * Unpacks every layer of an image that is not unpacked yet (a run does it by itself; this
     * is for doing it ahead of time, or with a progress display).
     *
     * @param name     an image name
     * @param listener told how it goes
     * @throws ImageStoreException if there is no such image, or a layer cannot be unpacked
     */
    public void unpack(String name, UnpackListener listener) {
        store.unpackImage(store.ref(name).orElseThrow(() -> store.missingImage(name)), listener);
    }

    /**
     * Makes a kept writable layer the top layer of a new image, like {@code docker commit}:
     * the base image's layers, then a layer with what the container added, changed and deleted
     * (deletions as OCI whiteouts). The kept layer stays until {@link #discard}ed.
     *
     * @param layer   a layer kept after a run of an image of this store
     * @param newName the new image's name
     * @return the new image
     */
    public ImageInfo commit(WritableLayer layer, String newName) {
        return store.commit(Objects.requireNonNull(layer, "layer"), Objects.requireNonNull(newName, "newName"));
    }

    /** @return the writable layers kept after their runs */
    public List<WritableLayer> keptLayers() {
        return store.keptLayers();
    }

    /** @param layer a kept layer @return whether it was there to remove */
    public boolean discard(WritableLayer layer) {
        return store.discard(layer);
    }

    /**
     * The directory of a named volume, created empty on first use. Volumes persist across runs
     * and {@link #prune()}, and may be mounted by several containers at once.
     *
     * @param name 1-128 of A-Z, a-z, 0-9, '_', '.', '-', starting with a letter or digit
     * @return its directory
     */
    public Path volume(String name) {
        return store.volumes().get(name);
    }

    /** @return the names of the volumes */
    public List<String> volumes() {
        return store.volumes().list();
    }

    /**
     * Removes a volume and everything in it (containers that have it mounted keep what they
     * opened).
     *
     * @param name a volume name
     * @return whether it was there
     */
    public boolean removeVolume(String name) {
        return store.volumes().remove(name);
    }

    /**
     * Removes what no image and no running or kept container uses: unpacked layers and
     * archives, blobs, writable layers left by JVMs that died, and unfinished unpacks.
     *
     * @return what was removed
     */
    public PruneReport prune() {
        return store.prune();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ImageStore s && s.store.root().equals(store.root());
    }

    @Override
    public int hashCode() {
        return store.root().hashCode();
    }

    @Override
    public String toString() {
        return "ImageStore[" + store.root() + "]";
    }
}
