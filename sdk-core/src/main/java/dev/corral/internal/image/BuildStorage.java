package dev.corral.internal.image;

import dev.corral.image.ImageStore;
import dev.corral.image.UnpackListener;
import dev.corral.internal.archive.ExtractOptions;
import dev.corral.internal.archive.TarExtractor;
import dev.corral.internal.archive.WhiteoutMode;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;

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
     * Some paths of an image, read in the user namespace and unpacked as this process's own
     * files (a rootless caller may not read what the image's other users own): layer by layer in
     * overlay form, with the owners and modes the image gives each entry kept aside. Closing it
     * removes the copies.
     *
     * @param dir    where they are, under the store's {@code tmp/}
     * @param lowers the layers' copies, top first, as the image's unpacked layers
     * @param owners container uid and gid of each copied entry, by its path
     * @param modes  the mode (permission bits) each copied entry has in the image, by its path
     */
    public record Copied(Path dir, List<Path> lowers, Map<Path, int[]> owners, Map<Path, Integer> modes)
            implements Closeable {
        @Override
        public void close() throws IOException {
            StoreFiles.deleteTree(dir);
        }
    }

    /**
     * Copies some paths of an image out of the user namespace (see {@link Copied}): what a
     * rootless COPY --from reads when the caller may not.
     *
     * @param digest a manifest digest
     * @param rels   '/'-separated paths relative to its root; "" for the root
     * @param trees  the whole trees under them (a COPY's sources), or only the entries along them (where a COPY writes)
     * @return the copies, to close when done
     */
    public Copied copyInNamespace(String digest, Collection<String> rels, boolean trees) throws IOException {
        List<String> roots = new ArrayList<>();
        for (String r : new TreeSet<>(rels)) {
            if (!trees || roots.stream().noneMatch(x -> x.isEmpty() || r.equals(x) || r.startsWith(x + "/"))) {
                roots.add(r);
            }
        }
        List<Path> lowers = unpack(digest);
        Path dir = newTmpDir("from");
        Path tar = store.files().tmpPath("from-tar");
        try {
            UserNsFiles.export(lowers, roots, trees, tar);
            Map<Path, int[]> owners = new HashMap<>();
            Map<Path, Integer> modes = new HashMap<>();
            try (InputStream in = Files.newInputStream(tar); TarArchiveInputStream t = new TarArchiveInputStream(in)) {
                for (TarArchiveEntry e; (e = t.getNextEntry()) != null; ) {
                    Path p = dir.resolve(e.getName()).normalize();
                    if (!p.getFileName().toString().startsWith(".wh.") && p.startsWith(dir)) {
                        owners.put(p, new int[] {(int) e.getLongUserId(), (int) e.getLongGroupId()});
                        modes.put(p, e.getMode() & 07777);
                    }
                }
            }
            TarExtractor.extract(tar, dir, ExtractOptions.builder().whiteouts(WhiteoutMode.OVERLAYFS).allowSetuid(true)
                    .privileged(false).preserveOwnership(false).build());
            List<Path> copies = new ArrayList<>();
            for (int i = 0; i < lowers.size(); i++) {
                copies.add(Files.createDirectories(dir.resolve(String.valueOf(i))));
            }
            /* the copies are this process's, but a 0000 file or a 0300 directory is not readable even so */
            for (Path p : modes.keySet()) {
                if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
                    Files.setAttribute(p, "unix:mode", modes.get(p) | 0700, LinkOption.NOFOLLOW_LINKS);
                } else if (Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) {
                    Files.setAttribute(p, "unix:mode", modes.get(p) | 0400, LinkOption.NOFOLLOW_LINKS);
                }
            }
            return new Copied(dir, copies, owners, modes);
        } catch (IOException | RuntimeException e) {
            StoreFiles.deleteTree(dir);
            throw e;
        } finally {
            Files.deleteIfExists(tar);
        }
    }

    /**
     * @param e a failure reading an image's files
     * @return whether it came from this process being refused access, and a rootless caller's
     *         containers' user namespace could read them ({@link #copyInNamespace})
     */
    public static boolean deniedButReadableInNamespace(Throwable e) {
        return !ContainerIds.ofThisProcess().isIdentity() && LayerCommit.denied(e);
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
