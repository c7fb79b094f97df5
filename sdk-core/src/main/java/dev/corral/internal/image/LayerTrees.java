package dev.corral.internal.image;

import dev.corral.image.ImageStoreException;
import dev.corral.image.UnpackListener;
import dev.corral.internal.archive.Compression;
import dev.corral.internal.archive.ExtractOptions;
import dev.corral.internal.archive.TarExtractor;
import dev.corral.internal.archive.WhiteoutMode;
import dev.corral.namespaces.launcher.LaunchPlan.MountOp;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The unpacked trees a container's root is made of:
 * <pre>
 * layers/sha256/HEX   a layer blob unpacked in overlayfs form (whiteouts as 0/0 devices)
 * flat/sha256/HEX     an image flattened into one tree, where overlay cannot stack its layers
 * rootfs/sha256/HEX   a root file system archive (Rootfs.tarball) unpacked as it is
 * </pre>
 * Each is unpacked under {@code tmp/} with the store lock held and renamed into place, so it
 * exists only complete; each layer is checked against its config's {@code diff_id} on the way.
 *
 * <pre>{@code
 * List<Path> lowers = trees.unpackImage(manifestDigest, UnpackListener.NONE); // top first
 * }</pre>
 */
public final class LayerTrees {
    private static final Logger LOG = LoggerFactory.getLogger(LayerTrees.class);

    private final Path root;
    private final StoreLock lock;
    private final StoreFiles files;
    private final Blobs blobs;
    private final Manifests manifests;

    LayerTrees(Path root, StoreLock lock, StoreFiles files, Blobs blobs, Manifests manifests) {
        this.root = root;
        this.lock = lock;
        this.files = files;
        this.blobs = blobs;
        this.manifests = manifests;
    }

    /** @param layerDigest a layer blob @return where it is (or would be) unpacked @throws IOException if malformed */
    public Path layerDir(String layerDigest) throws IOException {
        return root.resolve("layers/sha256").resolve(Digests.hex(layerDigest));
    }

    /** @param manifestDigest an image @return where it is (or would be) flattened @throws IOException if malformed */
    public Path flatDir(String manifestDigest) throws IOException {
        return root.resolve("flat/sha256").resolve(Digests.hex(manifestDigest));
    }

    private static ExtractOptions layerOptions(WhiteoutMode mode) {
        /* image layers carry setuid programs (su, passwd, ping) that must keep working in the
           container; the store directory is 0700, so no other host user can reach them */
        return ExtractOptions.builder().whiteouts(mode).allowSetuid(true).build();
    }

    /**
     * How {@link UserNsFiles} unpacks a layer inside a rootless user namespace: with the
     * entries' owners (so uid 1000's files are the host's subordinate {@code base + 999}, and a
     * container sees them as 1000), overlay markers in {@code user.overlay.*}, no device nodes.
     */
    static ExtractOptions layerOptionsInNamespace(WhiteoutMode mode) {
        return ExtractOptions.builder().whiteouts(mode).allowSetuid(true).privileged(false).preserveOwnership(true).build();
    }

    /**
     * Whether layers are unpacked inside the user namespace: rootless with subordinate IDs,
     * where the caller could give the files no other owner than itself.
     */
    private static boolean inNamespace() {
        ContainerIds ids = ContainerIds.ofThisProcess();
        return !ids.isIdentity() && ids.mapsOthers();
    }

    /**
     * Whether a layer gives every entry to root (uid and gid 0): then the caller, who is the
     * container's root, may unpack it itself, with no user namespace to start.
     */
    private boolean allRoot(Descriptor layer) throws IOException {
        return othersOwn(blobs.path(layer.digest())).map(others -> !others).orElse(false);
    }

    /**
     * @param archive a tar, possibly compressed
     * @return whether an entry has an owner or group other than root; empty if it cannot be
     *         read (the unpack then says what is wrong with it)
     */
    private static Optional<Boolean> othersOwn(Path archive) {
        try (InputStream in = Compression.decompress(Files.newInputStream(archive), 256L << 20);
             TarArchiveInputStream tar = new TarArchiveInputStream(in)) {
            for (TarArchiveEntry e; (e = tar.getNextEntry()) != null; ) {
                if (e.getLongUserId() != 0 || e.getLongGroupId() != 0) {
                    return Optional.of(true);
                }
            }
            return Optional.of(false);
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /** Unpacks layers in the user namespace, in order, into {@code into}, checking their diff_ids. */
    private void unpackInNamespace(List<Descriptor> layers, List<String> diffIds, int first, WhiteoutMode mode, Path into,
                                   UnpackListener listener) throws IOException {
        List<Path> paths = new ArrayList<>();
        for (Descriptor l : layers) {
            paths.add(blobs.path(l.digest()));
        }
        List<String> digests = UserNsFiles.unpack(paths, mode, into);
        for (int i = 0; i < layers.size(); i++) {
            Descriptor l = layers.get(i);
            Optional<String> diffId = diffId(diffIds, first + i);
            if (diffId.isPresent() && !diffId.get().equals(digests.get(i))) {
                throw new IOException("layer " + l.digest() + " unpacks to a tar whose digest is " + digests.get(i)
                        + ", but the image config says " + diffId.get() + ": the image is inconsistent");
            }
            long size = Files.size(paths.get(i));
            listener.progress(l.digest(), size, size);
        }
    }

    /**
     * Unpacks one layer blob, checking the digest of its uncompressed tar against the config's
     * {@code diff_id}, into a fresh directory under tmp/.
     */
    private Path unpackBlob(Descriptor layer, Optional<String> diffId, WhiteoutMode mode, Path into,
                            UnpackListener listener) throws IOException {
        Path blob = blobs.path(layer.digest());
        long size = Files.size(blob);
        MessageDigest md = Digests.sha256();
        try (InputStream raw = new ProgressInputStream(Files.newInputStream(blob), listener, layer.digest(), size);
             InputStream tar = new DigestInputStream(Compression.decompress(raw, 256L << 20), md)) {
            TarExtractor.extract(tar, into, layerOptions(mode));
            tar.transferTo(OutputStream.nullOutputStream()); /* the end-of-archive padding counts too */
        } catch (IOException e) {
            throw new IOException("layer " + layer.digest() + " (" + blob + "): " + e.getMessage(), e);
        }
        listener.progress(layer.digest(), size, size);
        String actual = Digests.of(md);
        if (diffId.isPresent() && !diffId.get().equals(actual)) {
            throw new IOException("layer " + layer.digest() + " unpacks to a tar whose digest is " + actual
                    + ", but the image config says " + diffId.get() + ": the image is inconsistent");
        }
        return into;
    }

    private static Optional<String> diffId(List<String> diffIds, int i) {
        return i < diffIds.size() ? Optional.of(diffIds.get(i)) : Optional.empty();
    }

    /**
     * Makes sure every layer of an image is unpacked, each once, and returns the overlay lower
     * directories, top first; or a single flattened tree when the layers would not fit in one
     * overlay mount's options.
     *
     * @param manifestDigest the image
     * @param listener       progress
     * @return the lower directories, top first
     */
    public List<Path> unpackImage(String manifestDigest, UnpackListener listener) {
        try {
            Manifest m = manifests.read(manifestDigest);
            List<Path> lowers = new ArrayList<>();
            for (Descriptor l : m.layers()) {
                lowers.add(0, layerDir(l.digest()));
            }
            if (lowers.isEmpty()) {
                throw new IOException("image " + manifestDigest + " has no layers");
            }
            if (!fitOneOverlay(lowers)) {
                return List.of(flatten(manifestDigest, m, listener));
            }
            if (lowers.stream().allMatch(Files::isDirectory)) {
                return lowers;
            }
            List<String> diffIds = manifests.diffIds(m);
            return lock.locked(() -> {
                for (int i = 0; i < m.layers().size(); i++) {
                    Descriptor l = m.layers().get(i);
                    Path dest = layerDir(l.digest());
                    if (Files.isDirectory(dest)) {
                        continue;
                    }
                    Path tmp = files.newTmpDir("layer");
                    try {
                        if (inNamespace() && !allRoot(l)) {
                            unpackInNamespace(List.of(l), diffIds, i, WhiteoutMode.OVERLAYFS, tmp, listener);
                        } else {
                            unpackBlob(l, diffId(diffIds, i), WhiteoutMode.OVERLAYFS, tmp, listener);
                        }
                        StoreFiles.publish(tmp, dest);
                        LOG.debug("unpacked layer {}", l.digest());
                    } finally {
                        StoreFiles.deleteTree(tmp);
                    }
                }
                return lowers;
            });
        } catch (IOException e) {
            throw new ImageStoreException("cannot unpack image " + manifestDigest + " in " + root + ": " + e.getMessage(), e);
        }
    }

    /**
     * Whether these lower directories fit in one overlay mount's options, as the launcher writes
     * them, with a run's upper and work directories ({@link Runs} names them) and the longer of
     * the options {@link PreparedRootfs} adds.
     */
    private boolean fitOneOverlay(List<Path> lowers) {
        Path run = root.resolve("runs").resolve("0".repeat(Runs.ID_LENGTH));
        String extra = PreparedRootfs.OVERLAY_EXTRA.length() >= PreparedRootfs.OVERLAY_EXTRA_USERNS.length()
                ? PreparedRootfs.OVERLAY_EXTRA : PreparedRootfs.OVERLAY_EXTRA_USERNS;
        MountOp op = MountOp.overlay(lowers.stream().map(Path::toString).toList(), run.resolve("upper").toString(),
                run.resolve("work").toString(), "/", 0);
        op = new MountOp(op.kind(), op.flags(), 0, 0, 0, op.source(), op.target(), op.data() + extra);
        return op.launcherOptionsLength() <= MountOp.MAX_OPTIONS;
    }

    private Path flatten(String manifestDigest, Manifest m, UnpackListener listener) throws IOException {
        Path dest = flatDir(manifestDigest);
        if (Files.isDirectory(dest)) {
            return dest;
        }
        List<String> diffIds = manifests.diffIds(m);
        return lock.locked(() -> {
            if (Files.isDirectory(dest)) {
                return dest;
            }
            Path tmp = files.newTmpDir("flat");
            try {
                boolean ownersOtherThanRoot = false;
                for (int i = 0; inNamespace() && i < m.layers().size() && !ownersOtherThanRoot; i++) {
                    ownersOtherThanRoot = !allRoot(m.layers().get(i));
                }
                if (ownersOtherThanRoot) {
                    unpackInNamespace(m.layers(), diffIds, 0, WhiteoutMode.APPLY, tmp, listener);
                } else {
                    for (int i = 0; i < m.layers().size(); i++) {
                        unpackBlob(m.layers().get(i), diffId(diffIds, i), WhiteoutMode.APPLY, tmp, listener);
                    }
                }
                StoreFiles.publish(tmp, dest);
                return dest;
            } finally {
                StoreFiles.deleteTree(tmp);
            }
        });
    }

    /**
     * Unpacks a root file system archive once, keyed by the archive's SHA-256.
     *
     * @param archive  a tar, tar.gz, tar.xz or tar.zst
     * @param listener progress
     * @return the unpacked tree and the archive's digest
     */
    public Map.Entry<Path, String> unpackArchive(Path archive, UnpackListener listener) {
        try {
            BasicFileAttributes a = Files.readAttributes(archive, BasicFileAttributes.class);
            String digest = ArchiveDigests.digest(root, archive);
            Path dest = root.resolve("rootfs/sha256").resolve(Digests.hex(digest));
            if (!Files.isDirectory(dest)) {
                lock.locked(() -> {
                    if (Files.isDirectory(dest)) {
                        return null;
                    }
                    Path tmp = files.newTmpDir("rootfs");
                    try (InputStream in = new ProgressInputStream(Files.newInputStream(archive), listener, digest,
                            a.size())) {
                        if (inNamespace() && othersOwn(archive).orElse(false)) {
                            /* rootless, with the owners its entries give, as an image's layers */
                            UserNsFiles.unpack(List.of(archive.toRealPath()), WhiteoutMode.NONE, tmp);
                            listener.progress(digest, a.size(), a.size());
                        } else if (TarExtractor.extract(in, tmp, layerOptions(WhiteoutMode.NONE)).entries() == 0) {
                            /* commons-compress reads a short file or one of zero blocks as an empty tar */
                            throw new ImageStoreException(archive + " is not a root file system archive: it holds no "
                                    + "tar entries (expected a tar, tar.gz, tar.xz or tar.zst)", null);
                        }
                        StoreFiles.publish(tmp, dest);
                    } catch (IOException e) { /* named here: the store lock would name only the store */
                        throw new ImageStoreException("cannot unpack the root file system archive " + archive + ": "
                                + e.getMessage(), e);
                    } finally {
                        StoreFiles.deleteTree(tmp);
                    }
                    return null;
                });
            }
            return Map.entry(dest, digest);
        } catch (ImageStoreException e) {
            throw e;
        } catch (java.nio.file.NoSuchFileException e) {
            throw new ImageStoreException("the root file system archive " + archive + " does not exist", e);
        } catch (IOException e) {
            throw new ImageStoreException("cannot unpack the root file system archive " + archive + ": " + e.getMessage(), e);
        }
    }
}
