package dev.corral.internal.image;

import dev.corral.internal.archive.Xattrs;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.AccessDeniedException;
import java.security.DigestInputStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;

/**
 * Turns an overlay upper directory into an OCI layer: what the container added or changed as
 * itself, a deletion (overlayfs: a character device 0/0) as a {@code .wh.NAME} file, an opaque
 * directory ({@code trusted.overlay.opaque=y}) as the directory plus {@code .wh..wh..opq}; then
 * a new config and manifest on top of the base image's. Called with the store lock held.
 */
final class LayerCommit {
    private static final int S_IFMT = 0170000, S_IFCHR = 0020000;

    private LayerCommit() {}

    /** The owner a layer's entry records, from its host owner and its name in the layer. */
    interface Owners {
        /**
         * @param name    the entry's name in the layer
         * @param hostUid its owner on the host
         * @param hostGid its group on the host
         * @return uid and gid for the tar entry
         */
        int[] of(String name, int hostUid, int hostGid);

        /** @param ids a translation @return every entry's host owner translated */
        static Owners of(ContainerIds ids) {
            return (name, uid, gid) -> new int[] {ids.uid(uid), ids.gid(gid)};
        }
    }

    /**
     * Writes the layer tar of an upper directory to {@code tmp} and returns its digest. Rootless,
     * where this process may not read all of it (a container worked as another ID than its root),
     * the tar is written inside the user namespace instead ({@link UserNsFiles}).
     */
    static String writeTar(Path upper, Path tmp, Owners owners) throws IOException {
        return writeTar(upper, tmp, owners, false);
    }

    /** @param emptyAfter where the tar is written in the user namespace, empty {@code upper} there too (it is discarded next) */
    static String writeTar(Path upper, Path tmp, Owners owners, boolean emptyAfter) throws IOException {
        MessageDigest md = Digests.sha256();
        try (OutputStream file = Files.newOutputStream(tmp);
             DigestOutputStream digesting = new DigestOutputStream(new BufferedOutputStream(file, 65536), md);
             TarArchiveOutputStream tar = new TarArchiveOutputStream(digesting)) {
            tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
            tar.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
            write(upper, tar, owners);
            tar.finish();
        } catch (IOException | UncheckedIOException e) {
            if (ContainerIds.ofThisProcess().isIdentity() || !denied(e)) {
                throw e instanceof UncheckedIOException u ? u.getCause() : (IOException) e;
            }
            Files.deleteIfExists(tmp);
            UserNsFiles.writeLayer(upper, tmp, emptyAfter);
            md = Digests.sha256();
            try (InputStream in = new DigestInputStream(Files.newInputStream(tmp), md)) {
                in.transferTo(OutputStream.nullOutputStream());
            }
        }
        return Digests.of(md);
    }

    /** @return whether {@code e} or a cause says this process may not read or search something */
    static boolean denied(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof AccessDeniedException
                    || (t.getMessage() != null && t.getMessage().contains("EACCES"))) {
                return true;
            }
        }
        return false;
    }

    static String commit(Store store, Path upper, String baseDigest, String baseName) throws IOException {
        Path tmp = store.files().tmpPath("commit");
        try {
            String layerDigest = writeTar(upper, tmp, Owners.of(ContainerIds.ofThisProcess()));
            long layerSize = Files.size(tmp);
            store.blobs().adopt(tmp, layerDigest);

            Manifest base = store.manifests().read(baseDigest);
            Map<String, Object> config = store.manifests().configJson(base);
            Map<String, Object> rootfs = new LinkedHashMap<>(Json.obj(config, "rootfs"));
            List<Object> diffIds = new ArrayList<>(Json.list(rootfs, "diff_ids"));
            diffIds.add(layerDigest); /* uncompressed: the layer digest is its diff_id */
            rootfs.put("type", "layers");
            rootfs.put("diff_ids", diffIds);
            config.put("rootfs", rootfs);
            List<Object> history = new ArrayList<>(Json.list(config, "history"));
            Map<String, Object> h = new LinkedHashMap<>();
            h.put("created", Instant.now().toString());
            h.put("created_by", "corral commit (from " + baseName + ")");
            history.add(h);
            config.put("history", history);
            config.put("created", Instant.now().toString());
            Descriptor configDescriptor = store.manifests().putConfig(config);
            return store.manifests().putDerived(base, configDescriptor,
                    new Descriptor(MediaTypes.LAYER_TAR, layerDigest, layerSize));
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    static void write(Path upper, TarArchiveOutputStream tar, Owners owners) throws IOException {
        List<Path> paths;
        try (Stream<Path> s = Files.walk(upper)) {
            paths = s.filter(p -> !p.equals(upper)).sorted().toList();
        }
        Map<Object, String> links = new HashMap<>();
        for (Path p : paths) {
            entry(p, upper.relativize(p).toString(), tar, owners, links);
        }
    }

    /**
     * Writes the parts of a layer directory (overlay form) that reading some paths of its image
     * needs, under {@code prefix/} in {@code tar}: for each path, the entries along it as far as
     * this layer has them (a directory, or the whiteout or file that ends the walk), and, where
     * the layer has the path itself and trees are asked for, its whole tree. What a merged view of the image shows at
     * those paths can then be read from the entries of all its layers.
     *
     * @param layer  the layer directory
     * @param rels   '/'-separated paths relative to the root; "" for the root
     * @param trees  with the trees under the paths (then none is under another), not only the entries along them
     * @param prefix the name the entries go under
     * @param tar    where they go
     * @param owners the owners they record
     */
    static void export(Path layer, List<String> rels, boolean trees, String prefix, TarArchiveOutputStream tar,
                       Owners owners) throws IOException {
        Map<Object, String> links = new HashMap<>();
        Set<String> written = new HashSet<>();
        for (String rel : rels) {
            Path p = layer;
            String[] parts = rel.isEmpty() ? new String[0] : rel.split("/");
            for (int k = 0; k <= parts.length; k++) {
                if (k > 0) {
                    p = p.resolve(parts[k - 1]);
                }
                if (!Files.exists(p, LinkOption.NOFOLLOW_LINKS)) {
                    break;
                }
                if (k == parts.length && !trees) {
                    String name = layer.relativize(p).toString();
                    if (k > 0 && written.add(name)) {
                        entry(p, prefix + "/" + name, tar, owners, links);
                    }
                } else if (k == parts.length) {
                    List<Path> tree;
                    try (Stream<Path> s = Files.walk(p)) {
                        tree = s.sorted().toList();
                    }
                    for (Path t : tree) {
                        String name = layer.relativize(t).toString();
                        if (written.add(name)) {
                            entry(t, name.isEmpty() ? prefix : prefix + "/" + name, tar, owners, links);
                        }
                    }
                } else if (k > 0) {
                    String name = layer.relativize(p).toString();
                    if (written.add(name)) {
                        entry(p, prefix + "/" + name, tar, owners, links);
                    }
                    if (!Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
                        break;
                    }
                }
            }
        }
    }

    /** One tar entry for a host file; {@code links} remembers the first name of each multiply linked file. */
    private static void entry(Path p, String name, TarArchiveOutputStream tar, Owners owners, Map<Object, String> links)
            throws IOException {
        Map<String, Object> a = Files.readAttributes(p, "unix:mode,uid,gid,rdev,nlink,ino,dev,size,lastModifiedTime",
                LinkOption.NOFOLLOW_LINKS);
        int mode = (Integer) a.get("mode");
        int[] ids = owners.of(name, (Integer) a.get("uid"), (Integer) a.get("gid"));
        int uid = ids[0];
        int gid = ids[1];
        long mtime = ((FileTime) a.get("lastModifiedTime")).toMillis();
        if ((mode & S_IFMT) == S_IFCHR && ((Long) a.get("rdev")) == 0) {
            int slash = name.lastIndexOf('/');
            TarArchiveEntry wh = new TarArchiveEntry(name.substring(0, slash + 1) + ".wh." + name.substring(slash + 1));
            wh.setModTime(mtime);
            tar.putArchiveEntry(wh);
            tar.closeArchiveEntry();
            return;
        }
        TarArchiveEntry e;
        if (Files.isSymbolicLink(p)) {
            e = new TarArchiveEntry(name, TarConstants.LF_SYMLINK);
            e.setLinkName(Files.readSymbolicLink(p).toString());
        } else if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
            e = new TarArchiveEntry(name + "/");
        } else if (Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) {
            Object key = a.get("dev") + ":" + a.get("ino");
            String first = ((Integer) a.get("nlink")) > 1 ? links.putIfAbsent(key, name) : null;
            if (first != null) {
                e = new TarArchiveEntry(name, TarConstants.LF_LINK);
                e.setLinkName(first);
            } else {
                e = new TarArchiveEntry(name);
                e.setSize((Long) a.get("size"));
            }
        } else if ((mode & S_IFMT) == S_IFCHR || (mode & S_IFMT) == 0060000) {
            e = new TarArchiveEntry(name, (mode & S_IFMT) == S_IFCHR ? TarConstants.LF_CHR : TarConstants.LF_BLK);
            long rdev = (Long) a.get("rdev");
            e.setDevMajor((int) (((rdev >> 8) & 0xfff) | ((rdev >> 32) & ~0xfffL)));
            e.setDevMinor((int) ((rdev & 0xff) | ((rdev >> 12) & ~0xffL)));
        } else if ((mode & S_IFMT) == 0010000) {
            e = new TarArchiveEntry(name, TarConstants.LF_FIFO);
        } else {
            return; /* sockets are not archived, as tar does */
        }
        e.setMode(mode & 07777);
        e.setIds(uid, gid);
        e.setModTime(mtime);
        tar.putArchiveEntry(e);
        if (e.getLinkFlag() == TarConstants.LF_NORMAL && e.getSize() > 0) { /* a symlink entry "isFile" too */
            try (InputStream in = Files.newInputStream(p, LinkOption.NOFOLLOW_LINKS)) {
                in.transferTo(tar);
            }
        }
        tar.closeArchiveEntry();
        if (e.isDirectory() && (Xattrs.get(p, "trusted.overlay.opaque").map(v -> new String(v).equals("y")).orElse(false)
                || Xattrs.get(p, "user.overlay.opaque").map(v -> new String(v).equals("y")).orElse(false))) {
            TarArchiveEntry opq = new TarArchiveEntry(name + "/.wh..wh..opq");
            opq.setModTime(mtime);
            tar.putArchiveEntry(opq);
            tar.closeArchiveEntry();
        }
    }
}
