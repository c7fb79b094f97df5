package dev.corral.internal.image;

import dev.corral.image.ImageStore;
import dev.corral.image.UnpackListener;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What an image build needs of the store: images read as their config and layer descriptors,
 * unpacked for a look at their files, layers made from directories, new images written as a
 * config and a manifest, names given, and the build's layer cache ({@code build-cache/KEY}:
 * the manifest digest a step made, used only while every blob it names is still stored).
 */
public final class BuildStorage {
    private final Store store;

    private BuildStorage(Store store) {
        this.store = store;
    }

    /** @param store a public store @return its build side */
    public static BuildStorage of(ImageStore store) {
        return new BuildStorage(Store.open(store.directory()));
    }

    /** @return the store's root */
    public Path root() {
        return store.root();
    }

    /** @param name an image name @return its manifest digest, if the store has it */
    public Optional<String> ref(String name) {
        return store.ref(name);
    }

    /**
     * @param reference an image name, a manifest digest, or a path imported when the store lacks it
     * @return its manifest digest
     */
    public String resolve(String reference) {
        return store.resolve(reference);
    }

    /** @param name a name @param digest the manifest it names */
    public void tag(String name, String digest) {
        store.names().tag(name, digest);
    }

    /** @param digest a manifest digest @return the whole config document */
    public Map<String, Object> config(String digest) throws IOException {
        return store.manifests().configJson(store.manifests().read(digest));
    }

    /** @param digest a manifest digest @return its layer descriptors, bottom first, as JSON objects */
    public List<Map<String, Object>> layers(String digest) throws IOException {
        List<Map<String, Object>> out = new ArrayList<>();
        for (Descriptor d : store.manifests().read(digest).layers()) {
            out.add(d.toJson());
        }
        return out;
    }

    /** @param digest a blob digest @return its bytes */
    public byte[] blob(String digest) throws IOException {
        return store.blobs().read(digest);
    }

    /** @param digest a blob digest @return where it is stored */
    public Path blobPath(String digest) throws IOException {
        return store.blobs().path(digest);
    }

    /**
     * @param digest a manifest digest
     * @return whether the manifest, its config and every layer are stored
     */
    public boolean complete(String digest) {
        try {
            if (!store.blobs().exists(digest)) {
                return false;
            }
            Manifest m = store.manifests().read(digest);
            if (!store.blobs().exists(m.config().digest())) {
                return false;
            }
            for (Descriptor l : m.layers()) {
                if (!store.blobs().exists(l.digest())) {
                    return false;
                }
            }
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /**
     * The image's layers unpacked, top first (empty for an image without layers).
     *
     * @param digest a manifest digest
     * @return the lower directories, top first
     */
    public List<Path> unpack(String digest) throws IOException {
        if (store.manifests().read(digest).layers().isEmpty()) {
            return List.of();
        }
        return store.unpackImage(digest, UnpackListener.NONE);
    }

    /**
     * Writes a config and a manifest.
     *
     * @param config the config document
     * @param layers the layer descriptors, bottom first
     * @return the manifest digest
     */
    public String putImage(Map<String, Object> config, List<Map<String, Object>> layers) {
        return store.locked(() -> {
            List<Descriptor> ds = new ArrayList<>();
            for (Map<String, Object> l : layers) {
                ds.add(Descriptor.of(l));
            }
            return store.manifests().putManifest(store.manifests().putConfig(config), ds);
        });
    }

    /**
     * Makes a layer from an overlay-form directory (whiteouts as 0/0 character devices,
     * opaque directories by their xattr), as {@code commit} does. Entries record the owners a
     * container saw (rootless: the caller as 0, its subordinate IDs as 1 and up).
     *
     * @param dir the directory
     * @return the layer's descriptor; its digest is also its {@code diff_id}
     */
    public Map<String, Object> layerFrom(Path dir) {
        return layerFrom(dir, Map.of());
    }

    /**
     * Makes a layer from a directory this process wrote, with the owners its entries are to have
     * given by name (a COPY's {@code --chown}, as the container sees them): files stay this
     * process's on the host, which an unprivileged caller could not chown to others.
     *
     * @param dir    the directory
     * @param owners uid and gid by the entry's name in the layer; others as {@link #layerFrom(Path)}
     * @return the layer's descriptor; its digest is also its {@code diff_id}
     */
    public Map<String, Object> layerFrom(Path dir, Map<String, int[]> owners) {
        return layerFrom(dir, owners, false);
    }

    /**
     * As {@link #layerFrom(Path)}, for a directory that is discarded next (a RUN step's writable
     * layer): where its tar has to be written inside the user namespace, it is emptied there too.
     *
     * @param dir the directory
     * @return the layer's descriptor
     */
    public Map<String, Object> layerFromDiscarded(Path dir) {
        return layerFrom(dir, Map.of(), true);
    }

    private Map<String, Object> layerFrom(Path dir, Map<String, int[]> owners, boolean discarded) {
        ContainerIds ids = ContainerIds.ofThisProcess();
        LayerCommit.Owners mapped = LayerCommit.Owners.of(ids);
        LayerCommit.Owners given = (name, uid, gid) -> {
            int[] o = owners.get(name);
            return o != null ? o : mapped.of(name, uid, gid);
        };
        return store.locked(() -> {
            Path tmp = store.files().tmpPath("build-layer");
            try {
                String digest = LayerCommit.writeTar(dir, tmp, given, discarded);
                long size = Files.size(tmp);
                store.blobs().adopt(tmp, digest);
                return new Descriptor(MediaTypes.LAYER_TAR, digest, size).toJson();
            } finally {
                Files.deleteIfExists(tmp);
            }
        });
    }

    /**
     * @return empty where containers have IDs besides root (as root; rootless with subordinate
     *         IDs), else what to configure so that they do
     */
    public static Optional<String> missingIds() {
        if (ContainerIds.ofThisProcess().mapsOthers()) {
            return Optional.empty();
        }
        String user = System.getProperty("user.name");
        return Optional.of("rootless without subordinate IDs, a container has no user but root (uid 0 is " + user
                + "): give " + user + " ranges in /etc/subuid and /etc/subgid (usermod --add-subuids 100000-165535 "
                + "--add-subgids 100000-165535 " + user + ") and install newuidmap/newgidmap (package uidmap), or build as root");
    }

    /** @return the container IDs of host owners, for this process's containers */
    public static int[] containerIds(int hostUid, int hostGid) {
        ContainerIds ids = ContainerIds.ofThisProcess();
        return new int[] {ids.uid(hostUid), ids.gid(hostGid)};
    }

    /** @param prefix a name prefix @return a new empty directory under the store's {@code tmp/} */
    public Path newTmpDir(String prefix) throws IOException {
        return store.files().newTmpDir(prefix);
    }

    /** @param key a cache key @return the manifest digest a step with that key made, if still whole */
    public Optional<String> cached(String key) {
        try {
            String d = Files.readString(store.root().resolve("build-cache").resolve(key)).trim();
            return complete(d) ? Optional.of(d) : Optional.empty();
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /** @param key a cache key @param digest the manifest digest its step made */
    public void cache(String key, String digest) {
        store.locked(() -> {
            Path dir = Files.createDirectories(store.root().resolve("build-cache"));
            Path tmp = store.files().tmpPath("cache");
            Files.writeString(tmp, digest + "\n");
            Files.move(tmp, dir.resolve(key), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            return null;
        });
    }

    /** @param bytes a JSON object @return it as maps and lists @throws IOException if it is not one */
    public static Map<String, Object> parseJson(byte[] bytes) throws IOException {
        return Json.object(bytes, "JSON document");
    }

    /** @param value maps, lists, strings, numbers, booleans @return its JSON @throws IOException never in practice */
    public static byte[] writeJson(Object value) throws IOException {
        return Json.write(value);
    }

    /** Removes a tree without following symlinks. */
    public static void deleteTree(Path p) throws IOException {
        StoreFiles.deleteTree(p);
    }
}
