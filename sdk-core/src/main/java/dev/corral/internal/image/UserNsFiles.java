package dev.corral.internal.image;

import dev.corral.Container;
import dev.corral.ContainerResult;
import dev.corral.ContainerSpec;
import dev.corral.Mount;
import dev.corral.Output;
import dev.corral.Rootfs;
import dev.corral.internal.archive.Compression;
import dev.corral.internal.archive.TarExtractor;
import dev.corral.internal.archive.WhiteoutMode;
import dev.corral.namespaces.Capability;
import dev.corral.namespaces.CapabilitySet;
import dev.corral.unit.DataSize;
import java.io.BufferedOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URISyntaxException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;

/**
 * File work on writable layers and unpacked images that only the containers' user namespace may
 * do, rootless: what a container made as another user than its root belongs to the caller's
 * subordinate IDs (a {@code 0700} directory of uid 1000, a file chowned in a RUN step), and the
 * caller may neither read nor remove it on the host, nor copy it for a later COPY --from. As {@code buildah unshare} does, the work is done
 * inside the user namespace: this JVM's own code, run as an ordinary Corral container in the
 * default user namespace (the same maps as the run that made the files), with the host's
 * read-only view as root, the class path read-only and the directories worked on read-write,
 * and the capabilities that let its root read, change and remove what the namespace's IDs own.
 * There, a file's owner reads as the container ID it has, which is what a layer records.
 *
 * <pre>{@code
 * UserNsFiles.writeLayer(run.resolve("upper"), tmpTar);   // the tar of a RUN step's layer
 * UserNsFiles.remove(run);                                // a run directory with such files
 * UserNsFiles.export(lowers, List.of("src"), true, tmpTar); // an image's /src, for a COPY --from
 * }</pre>
 */
public final class UserNsFiles {
    private static final CapabilitySet CAPS = CapabilitySet.of(Capability.DAC_OVERRIDE, Capability.DAC_READ_SEARCH,
            Capability.FOWNER, Capability.CHOWN, Capability.FSETID);
    private static final Duration TIMEOUT = Duration.ofMinutes(30);
    /** The helper JVM's temporary directory (jffi's stub), apart from /tmp, where the trees worked on may lie. */
    private static final String TMP = "/.corral-tmp";

    private UserNsFiles() {}

    /**
     * Writes a layer tar of an overlay upper directory, its owners as the container saw them.
     *
     * @param upper the upper directory
     * @param out   the tar file to write (its directory must exist)
     * @param empty then remove what {@code upper} holds (it is discarded next: one container, not two)
     * @throws IOException naming what failed inside
     */
    public static void writeLayer(Path upper, Path out, boolean empty) throws IOException {
        run(List.of("layer", upper.toString(), out.toString(), String.valueOf(empty)),
                empty ? List.of() : List.of(upper), empty ? List.of(upper, out.getParent()) : List.of(out.getParent()));
    }

    /**
     * Removes a tree whatever owns it inside.
     *
     * @param tree the tree (its parent must exist)
     * @throws IOException naming what failed inside
     */
    public static void remove(Path tree) throws IOException {
        run(List.of("remove", tree.toString()), List.of(), List.of(tree.toAbsolutePath().getParent()));
    }

    /**
     * Unpacks layer blobs in order into a directory, with their entries' owners.
     *
     * @param blobs the layer blobs (tar, possibly compressed)
     * @param mode  how whiteouts are made
     * @param into  the directory (it exists)
     * @return the digest of each blob's uncompressed tar, to check against the config's diff_ids
     * @throws IOException naming what failed inside
     */
    public static List<String> unpack(List<Path> blobs, WhiteoutMode mode, Path into) throws IOException {
        List<String> args = new ArrayList<>(List.of("unpack", mode.name(), into.toString()));
        Set<Path> dirs = new LinkedHashSet<>();
        for (Path b : blobs) {
            args.add(b.toString());
            dirs.add(b.getParent());
        }
        String out = run(args, List.copyOf(dirs), List.of(into));
        List<String> digests = out.lines().filter(l -> l.startsWith("sha256:")).toList();
        if (digests.size() != blobs.size()) {
            throw new IOException("unpacking " + blobs + " in the user namespace gave " + digests.size() + " digests: " + out);
        }
        return digests;
    }

    /**
     * Writes what some paths of an image hold, layer by layer, to a tar with the owners a
     * container sees: the entries of layer {@code i} (top first) under {@code i/}, in overlay
     * form (see {@code LayerCommit.export}), so that the caller can unpack them as its own files
     * and read them, whatever they belong to in the image.
     *
     * @param lowers the image's unpacked layers, top first
     * @param rels   '/'-separated paths relative to the root; "" for the root
     * @param trees  the trees under the paths too (then none may be under another), not only the entries along them
     * @param out    the tar file to write (its directory must exist)
     * @throws IOException naming what failed inside
     */
    public static void export(List<Path> lowers, List<String> rels, boolean trees, Path out) throws IOException {
        List<String> args = new ArrayList<>(List.of("export", out.toString(), String.valueOf(rels.size()),
                String.valueOf(trees)));
        rels.forEach(r -> args.add("/" + r));
        Set<Path> dirs = new LinkedHashSet<>();
        for (Path l : lowers) {
            args.add(l.toString());
            dirs.add(l.toAbsolutePath().getParent());
        }
        run(args, List.copyOf(dirs), List.of(out.toAbsolutePath().getParent()));
    }

    private static String run(List<String> args, List<Path> readOnly, List<Path> readWrite) throws IOException {
        List<String> cmd = new ArrayList<>();
        Path javaHome = Path.of(System.getProperty("java.home"));
        cmd.add(javaHome.resolve("bin/java").toString());
        cmd.addAll(List.of("-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Xshare:auto", "-XX:-UsePerfData",
                "-Djava.io.tmpdir=" + TMP));
        Set<Path> binds = new LinkedHashSet<>();
        binds.add(javaHome);
        String jffi = System.getProperty("jffi.boot.library.path");
        if (jffi != null && !jffi.isEmpty()) {
            cmd.add("-Djffi.boot.library.path=" + jffi);
            for (String p : jffi.split(File.pathSeparator)) {
                binds.add(Path.of(p));
            }
        }
        String modulePath = System.getProperty("jdk.module.path", "");
        String classPath = classPath();
        for (String p : (modulePath + File.pathSeparator + classPath).split(File.pathSeparator)) {
            if (!p.isEmpty()) {
                binds.add(Path.of(p).toAbsolutePath());
            }
        }
        if (!classPath.isEmpty()) {
            cmd.addAll(List.of("-cp", classPath));
        }
        if (UserNsFiles.class.getModule().isNamed()) {
            cmd.addAll(List.of("--module-path", modulePath, "-m",
                    UserNsFiles.class.getModule().getName() + "/" + UserNsFiles.class.getName()));
        } else {
            cmd.add(UserNsFiles.class.getName());
        }
        cmd.addAll(args);
        ContainerSpec.Builder b = Container.builder().rootfs(Rootfs.hostReadOnly()).capabilities(CAPS)
                .mount(Mount.tmpfs(TMP, DataSize.ofMebibytes(64))).timeout(TIMEOUT)
                .stdout(Output.capture(DataSize.ofKibibytes(64))).stderr(Output.capture(DataSize.ofKibibytes(64)));
        for (Path p : binds) {
            if (Files.exists(p) && !under(p, "/usr") && !under(p, "/bin") && !under(p, "/lib") && !under(p, "/etc")) {
                b.mount(Mount.bind(p, p.toString()));
            }
        }
        for (Path p : readOnly) {
            b.mount(Mount.bind(p, p.toString()));
        }
        for (Path p : readWrite) {
            b.mount(Mount.bindReadWrite(p, p.toString()));
        }
        ContainerResult r;
        try {
            r = b.build().run(cmd);
        } catch (RuntimeException e) {
            throw new IOException("cannot start the container that works on " + args.get(args.size() - 1)
                    + " in the user namespace: " + e.getMessage(), e);
        }
        if (!r.succeeded()) {
            throw new IOException("'" + args.get(0) + "' of " + args.get(1) + " in the user namespace ended with "
                    + r.termination() + r.exitCode().stream().mapToObj(c -> " (exit code " + c + ")").findFirst().orElse("")
                    + ": " + (r.stderr() + r.stdout()).strip());
        }
        return r.stdout();
    }

    /**
     * The class path Corral was loaded from: the URLs of its class loaders (a launcher such as
     * JUnit's console loads the application's class path in one), then the JVM's own.
     */
    private static String classPath() {
        Set<String> entries = new LinkedHashSet<>();
        for (ClassLoader cl = UserNsFiles.class.getClassLoader(); cl != null; cl = cl.getParent()) {
            if (cl instanceof URLClassLoader u) {
                for (URL url : u.getURLs()) {
                    if (url.getProtocol().equals("file")) {
                        try {
                            entries.add(Path.of(url.toURI()).toString());
                        } catch (URISyntaxException | IllegalArgumentException e) {
                            /* not a plain file: the helper cannot use it */
                        }
                    }
                }
            }
        }
        for (String p : System.getProperty("java.class.path", "").split(File.pathSeparator)) {
            if (!p.isEmpty()) {
                entries.add(p);
            }
        }
        return String.join(File.pathSeparator, entries);
    }

    private static boolean under(Path p, String dir) {
        return p.startsWith(Path.of(dir));
    }

    /**
     * Inside the user namespace: {@code layer UPPER OUT [EMPTY]}, {@code remove TREE},
     * {@code unpack MODE INTO BLOB...} or {@code export OUT N TREES REL... LAYER...}.
     *
     * @param args the work
     * @throws IOException if it fails (exit status 1, the trace on stderr)
     */
    public static void main(String[] args) throws IOException {
        switch (args.length > 0 ? args[0] : "") {
            case "layer" -> {
                Path out = Path.of(args[2]);
                try (OutputStream file = Files.newOutputStream(out);
                     TarArchiveOutputStream tar = new TarArchiveOutputStream(new BufferedOutputStream(file, 65536))) {
                    tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
                    tar.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
                    LayerCommit.write(Path.of(args[1]), tar, LayerCommit.Owners.of(ContainerIds.identity()));
                    tar.finish();
                }
                if (args.length > 3 && Boolean.parseBoolean(args[3])) {
                    try (Stream<Path> s = Files.list(Path.of(args[1]))) {
                        for (Path p : s.toList()) {
                            StoreFiles.deleteTree(p);
                        }
                    }
                }
            }
            case "remove" -> StoreFiles.deleteTree(Path.of(args[1]));
            case "unpack" -> {
                WhiteoutMode mode = WhiteoutMode.valueOf(args[1]);
                for (int i = 3; i < args.length; i++) {
                    MessageDigest md = Digests.sha256();
                    try (InputStream tar = new DigestInputStream(Compression.decompress(
                            Files.newInputStream(Path.of(args[i])), 256L << 20), md)) {
                        TarExtractor.extract(tar, Path.of(args[2]), LayerTrees.layerOptionsInNamespace(mode));
                        tar.transferTo(OutputStream.nullOutputStream()); /* the end-of-archive padding counts too */
                    }
                    System.out.println(Digests.of(md));
                }
            }
            case "export" -> {
                int n = Integer.parseInt(args[2]);
                boolean trees = Boolean.parseBoolean(args[3]);
                List<String> rels = new ArrayList<>();
                for (int i = 4; i < 4 + n; i++) {
                    rels.add(args[i].substring(1));
                }
                try (OutputStream file = Files.newOutputStream(Path.of(args[1]));
                     TarArchiveOutputStream tar = new TarArchiveOutputStream(new BufferedOutputStream(file, 65536))) {
                    tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
                    tar.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
                    for (int i = 4 + n; i < args.length; i++) {
                        LayerCommit.export(Path.of(args[i]), rels, trees, String.valueOf(i - 4 - n), tar,
                                LayerCommit.Owners.of(ContainerIds.identity()));
                    }
                    tar.finish();
                }
            }
            default -> throw new IllegalArgumentException("usage: layer UPPER OUT [EMPTY] | remove TREE | unpack MODE INTO BLOB..."
                    + " | export OUT N TREES REL... LAYER...");
        }
    }
}
