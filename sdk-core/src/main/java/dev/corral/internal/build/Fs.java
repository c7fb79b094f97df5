package dev.corral.internal.build;

import dev.corral.internal.archive.Compression;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;

/**
 * The file work of COPY, ADD and WORKDIR: finding sources (in the build context, minus what
 * {@code .dockerignore} excludes, or in another stage's layers), hashing them for the cache,
 * and writing them into a fresh layer directory with the owners and modes Docker gives them.
 */
final class Fs {
    private Fs() {}

    /** A file tree that sources are read from: the context, or an image's layers. */
    interface Tree {
        Optional<Path> find(String rel) throws IOException;

        List<String> list(String rel) throws IOException;

        /**
         * @param rel     a path in the tree
         * @param hostUid its owner on the host
         * @param hostGid its group on the host
         * @return the owner it has in the image (or the context: the host's)
         */
        default int[] owner(String rel, int hostUid, int hostGid) throws IOException {
            return new int[] {hostUid, hostGid};
        }

        /**
         * @param rel      a path in the tree
         * @param hostMode its permission bits on the host
         * @return the permission bits it has in the image (or the context: the host's)
         */
        default int mode(String rel, int hostMode) throws IOException {
            return hostMode;
        }
    }

    static Tree context(Path root, DockerIgnore ignore) {
        return new Tree() {
            @Override
            public Optional<Path> find(String rel) {
                Path p = rel.isEmpty() ? root : root.resolve(rel);
                if (!Files.exists(p, LinkOption.NOFOLLOW_LINKS) || (!rel.isEmpty() && ignore.ignored(rel)
                        && !(Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS) && ignore.hasExceptions()))) {
                    return Optional.empty();
                }
                return Optional.of(p);
            }

            @Override
            public List<String> list(String rel) throws IOException {
                List<String> out = new ArrayList<>();
                try (DirectoryStream<Path> ds = Files.newDirectoryStream(rel.isEmpty() ? root : root.resolve(rel))) {
                    for (Path c : ds) {
                        String r = rel.isEmpty() ? c.getFileName().toString() : rel + "/" + c.getFileName();
                        if (find(r).isPresent()) {
                            out.add(c.getFileName().toString());
                        }
                    }
                }
                out.sort(null);
                return out;
            }
        };
    }

    static Tree image(LayerView view) {
        return new Tree() {
            @Override
            public Optional<Path> find(String rel) throws IOException {
                return view.find(rel);
            }

            @Override
            public List<String> list(String rel) throws IOException {
                return view.list(rel);
            }

            @Override
            public int[] owner(String rel, int hostUid, int hostGid) throws IOException {
                return view.owner(rel, hostUid, hostGid);
            }

            @Override
            public int mode(String rel, int hostMode) throws IOException {
                return view.mode(rel, hostMode);
            }
        };
    }

    /**
     * The path prefixes that matching these patterns can look into: each pattern up to its first
     * component with a glob ("" when that is the first).
     */
    static List<String> roots(List<String> patterns) {
        List<String> out = new ArrayList<>();
        for (String pat : patterns) {
            String clean = DockerIgnore.clean(pat);
            List<String> keep = new ArrayList<>();
            for (String part : clean.isEmpty() ? new String[0] : clean.split("/")) {
                if (hasGlob(part)) {
                    break;
                }
                keep.add(part);
            }
            out.add(String.join("/", keep));
        }
        return out;
    }

    private static boolean hasGlob(String s) {
        return s.indexOf('*') >= 0 || s.indexOf('?') >= 0 || s.indexOf('[') >= 0;
    }

    /** The sources a COPY pattern names in a tree, sorted; globs allowed in any path component. */
    static List<Source> match(Tree tree, String pattern) throws IOException {
        String clean = DockerIgnore.clean(pattern);
        List<String> current = List.of("");
        if (!clean.isEmpty()) {
            for (String part : clean.split("/")) {
                List<String> next = new ArrayList<>();
                PathMatcher m = hasGlob(part) ? FileSystems.getDefault().getPathMatcher("glob:" + part) : null;
                for (String dir : current) {
                    if (m == null) {
                        String r = dir.isEmpty() ? part : dir + "/" + part;
                        if (tree.find(r).isPresent()) {
                            next.add(r);
                        }
                        continue;
                    }
                    Optional<Path> d = tree.find(dir);
                    if (d.isEmpty() || !Files.isDirectory(d.get(), LinkOption.NOFOLLOW_LINKS)) {
                        continue;
                    }
                    for (String name : tree.list(dir)) {
                        if (m.matches(Path.of(name))) {
                            next.add(dir.isEmpty() ? name : dir + "/" + name);
                        }
                    }
                }
                current = next;
            }
        }
        List<Source> out = new ArrayList<>();
        for (String r : current) {
            out.add(new Source(r, tree.find(r).orElseThrow()));
        }
        return out;
    }

    /** One source: its path relative to its tree's root, and its host path. */
    record Source(String rel, Path host) {}

    /** Adds what a source is (names, types, modes, sizes, link targets, contents) to a digest. */
    static void hashTree(Tree tree, String rel, MessageDigest md) throws IOException {
        Path p = tree.find(rel).orElseThrow();
        Map<String, Object> a = Files.readAttributes(p, "unix:mode,size", LinkOption.NOFOLLOW_LINKS);
        md.update((rel + "\u0000" + a.get("mode") + "\u0000").getBytes(StandardCharsets.UTF_8));
        if (Files.isSymbolicLink(p)) {
            md.update(Files.readSymbolicLink(p).toString().getBytes(StandardCharsets.UTF_8));
        } else if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
            for (String name : tree.list(rel)) {
                hashTree(tree, rel.isEmpty() ? name : rel + "/" + name, md);
            }
        } else if (Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) {
            md.update((a.get("size") + "\u0000").getBytes(StandardCharsets.UTF_8));
            byte[] buf = new byte[65536];
            try (InputStream in = Files.newInputStream(p)) {
                for (int n; (n = in.read(buf)) > 0; ) {
                    md.update(buf, 0, n);
                }
            }
        }
        md.update((byte) '\n');
    }

    /**
     * A layer directory being written. Its files stay this process's on the host (an
     * unprivileged caller may not chown them to others); the owners they are to have in the
     * layer, as the container sees them, are recorded by name for the layer's tar. Directory
     * modes are applied last, so that a read-only directory can still be filled.
     */
    static final class Layer {
        final Path upper;
        final Map<String, int[]> owners = new HashMap<>();
        private final Map<Path, Integer> dirModes = new HashMap<>();

        Layer(Path upper) {
            this.upper = upper;
        }

        /** Records an entry's owner and sets its mode (a directory's at {@link #finish()}). */
        void own(Path p, int uid, int gid, int mode) throws IOException {
            owners.put(upper.relativize(p).toString(), new int[] {uid, gid});
            if (Files.isSymbolicLink(p)) {
                return;
            }
            if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
                dirModes.put(p, mode);
                Files.setAttribute(p, "unix:mode", mode | 0700);
            } else {
                Files.setAttribute(p, "unix:mode", mode);
            }
        }

        /** Applies the directories' modes, deepest first, keeping their times. */
        void finish() throws IOException {
            List<Path> dirs = new ArrayList<>(dirModes.keySet());
            dirs.sort((a, b) -> Integer.compare(b.getNameCount(), a.getNameCount()));
            for (Path d : dirs) {
                FileTime t = Files.getLastModifiedTime(d, LinkOption.NOFOLLOW_LINKS);
                Files.setAttribute(d, "unix:mode", dirModes.get(d));
                Files.setLastModifiedTime(d, t);
            }
        }
    }

    /**
     * Makes the parent directories of {@code rel} in a layer directory: those the image has,
     * with its owners, modes and times (so the layer changes nothing about them); new ones
     * 0755, owned by {@code ids} when given, else root.
     *
     * @return {@code upper.resolve(rel)}
     */
    static Path parents(Layer out, LayerView view, String rel, Optional<int[]> ids) throws IOException {
        Path upper = out.upper;
        String[] parts = rel.split("/");
        String cur = "";
        for (int i = 0; i < parts.length - 1; i++) {
            cur = cur.isEmpty() ? parts[i] : cur + "/" + parts[i];
            Path p = upper.resolve(cur);
            if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
                continue;
            }
            Optional<Path> below = view.find(cur);
            if (below.isPresent() && Files.isSymbolicLink(below.get())) {
                throw new IOException("/" + cur + " is a symbolic link in the image; copying through it is not "
                        + "supported: name the path it points to");
            }
            if (below.isPresent() && !Files.isDirectory(below.get(), LinkOption.NOFOLLOW_LINKS)) {
                throw new IOException("/" + cur + " is a file in the image, not a directory");
            }
            Files.createDirectory(p);
            if (below.isPresent()) {
                Map<String, Object> a = Files.readAttributes(below.get(), "unix:mode,uid,gid,lastModifiedTime");
                int[] o = view.owner(cur, (Integer) a.get("uid"), (Integer) a.get("gid"));
                out.own(p, o[0], o[1], view.mode(cur, ((Integer) a.get("mode")) & 07777));
                Files.setLastModifiedTime(p, (FileTime) a.get("lastModifiedTime"));
            } else {
                out.own(p, ids.map(x -> x[0]).orElse(0), ids.map(x -> x[1]).orElse(0), 0755);
            }
        }
        return upper.resolve(rel);
    }

    /** Copies one file or symbolic link; owner empty keeps the source's owner (as {@code tree} tells it). */
    static void copyOne(Tree tree, String rel, Path src, Layer out, Path dst, Optional<int[]> owner, int mode)
            throws IOException {
        Map<String, Object> a = Files.readAttributes(src, "unix:mode,uid,gid,lastModifiedTime", LinkOption.NOFOLLOW_LINKS);
        int[] own = owner.isPresent() ? owner.get() : tree.owner(rel, (Integer) a.get("uid"), (Integer) a.get("gid"));
        if (Files.exists(dst, LinkOption.NOFOLLOW_LINKS) && !Files.isDirectory(dst, LinkOption.NOFOLLOW_LINKS)) {
            Files.delete(dst);
        }
        if (Files.isSymbolicLink(src)) {
            Files.createSymbolicLink(dst, Files.readSymbolicLink(src));
            out.own(dst, own[0], own[1], 0777);
            Files.getFileAttributeView(dst, BasicFileAttributeView.class, LinkOption.NOFOLLOW_LINKS)
                    .setTimes((FileTime) a.get("lastModifiedTime"), null, null);
            return;
        }
        if (Files.isDirectory(src, LinkOption.NOFOLLOW_LINKS)) {
            if (!Files.isDirectory(dst, LinkOption.NOFOLLOW_LINKS)) {
                Files.createDirectory(dst);
            }
        } else if (Files.isRegularFile(src, LinkOption.NOFOLLOW_LINKS)) {
            Files.copy(src, dst, StandardCopyOption.REPLACE_EXISTING, LinkOption.NOFOLLOW_LINKS);
        } else {
            return; /* devices, fifos and sockets are not copied */
        }
        out.own(dst, own[0], own[1], mode >= 0 ? mode : tree.mode(rel, ((Integer) a.get("mode")) & 07777));
        Files.setLastModifiedTime(dst, (FileTime) a.get("lastModifiedTime"));
    }

    /** Copies a directory's contents (not the directory itself) into {@code dst}, which exists. */
    static void copyTree(Tree tree, String rel, Layer out, Path dst, Optional<int[]> owner, int mode) throws IOException {
        Files.createDirectories(dst);
        for (String name : tree.list(rel)) {
            String r = rel.isEmpty() ? name : rel + "/" + name;
            Path src = tree.find(r).orElseThrow();
            Path d = dst.resolve(name);
            copyOne(tree, r, src, out, d, owner, mode);
            if (Files.isDirectory(src, LinkOption.NOFOLLOW_LINKS)) {
                copyTree(tree, r, out, d, owner, mode);
                Files.setLastModifiedTime(d, Files.getLastModifiedTime(src));
            }
        }
    }

    /**
     * {@code --chown=user[:group]}, by number or by name in the image's passwd and group files;
     * a user alone takes its primary group (a number alone, the same number).
     */
    static int[] ids(String chown, LayerView view) throws IOException {
        int colon = chown.indexOf(':');
        String u = colon < 0 ? chown : chown.substring(0, colon);
        String g = colon < 0 ? null : chown.substring(colon + 1);
        int uid;
        int gid;
        if (u.matches("\\d+")) {
            uid = Integer.parseInt(u);
            gid = uid;
        } else {
            String[] e = lookup(view, "etc/passwd", u);
            if (e == null || e.length < 4) {
                throw new IOException("--chown: the image's /etc/passwd has no user '" + u + "'");
            }
            uid = Integer.parseInt(e[2]);
            gid = Integer.parseInt(e[3]);
        }
        if (g != null && !g.isEmpty()) {
            if (g.matches("\\d+")) {
                gid = Integer.parseInt(g);
            } else {
                String[] e = lookup(view, "etc/group", g);
                if (e == null || e.length < 3) {
                    throw new IOException("--chown: the image's /etc/group has no group '" + g + "'");
                }
                gid = Integer.parseInt(e[2]);
            }
        }
        return new int[] {uid, gid};
    }

    private static String[] lookup(LayerView view, String file, String name) throws IOException {
        Optional<Path> p = view.find(file);
        if (p.isEmpty() || !Files.isRegularFile(p.get(), LinkOption.NOFOLLOW_LINKS)) {
            return null;
        }
        for (String line : Files.readAllLines(p.get())) {
            String[] f = line.split(":", -1);
            if (f.length >= 3 && f[0].equals(name) && f[2].matches("\\d+")) {
                return f;
            }
        }
        return null;
    }

    /**
     * Records the owners an archive's entries give (ADD of a local archive keeps them), for
     * the entries it unpacked into {@code into}; directories it made without an entry stay root's.
     */
    static void archiveOwners(Path archive, Layer out, Path into) throws IOException {
        try (InputStream in = Compression.decompress(Files.newInputStream(archive), 256L << 20);
             TarArchiveInputStream tar = new TarArchiveInputStream(in)) {
            for (TarArchiveEntry e; (e = tar.getNextEntry()) != null; ) {
                Path p = into.resolve(DockerIgnore.clean(e.getName())).normalize();
                if (p.startsWith(out.upper) && !p.equals(out.upper)) {
                    out.owners.put(out.upper.relativize(p).toString(),
                            new int[] {(int) e.getLongUserId(), (int) e.getLongGroupId()});
                }
            }
        }
    }

    /** Whether ADD unpacks it: a tar archive, plain or compressed, by its content. */
    static boolean isArchive(Path p) throws IOException {
        try (InputStream in = Compression.decompress(Files.newInputStream(p), 64L << 20)) {
            byte[] h = in.readNBytes(512);
            return h.length == 512 && new String(h, 257, 5, StandardCharsets.US_ASCII).equals("ustar");
        } catch (IOException e) {
            return false;
        }
    }
}
