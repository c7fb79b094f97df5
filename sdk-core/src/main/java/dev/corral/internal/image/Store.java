package dev.corral.internal.image;

import dev.corral.image.ImageConfig;
import dev.corral.image.ImageInfo;
import dev.corral.image.ImageStoreException;
import dev.corral.image.PruneReport;
import dev.corral.image.UnpackListener;
import dev.corral.image.WritableLayer;
import dev.corral.internal.archive.Compression;
import dev.corral.internal.archive.ExtractOptions;
import dev.corral.internal.archive.TarExtractor;
import dev.corral.internal.archive.WhiteoutMode;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The image store on disk. Layout under the root:
 * <pre>
 * store.lock                  held (FileChannel.lock) by whoever changes the store
 * blobs/sha256/HEX            manifests, configs and layer archives, verified on import
 * layers/sha256/HEX           a layer blob unpacked in overlayfs form (whiteouts as 0/0 devices)
 * flat/sha256/HEX             an image flattened into one tree, where overlay cannot stack its layers
 * rootfs/sha256/HEX           a root file system archive (Rootfs.tarball) unpacked as it is
 * refs/NAME                   an image name (URL-encoded) -> its manifest digest
 * runs/ID/{upper,work,lock,info.json,kept}   one run's writable layer; lock held while it runs
 * volumes/NAME                a named volume
 * tmp/                        where everything is made before an atomic rename publishes it
 * </pre>
 * A directory under {@code layers/}, {@code flat/} or {@code rootfs/} exists only complete: it is
 * unpacked under {@code tmp/} and renamed into place, all under the store lock; a crash leaves
 * only {@code tmp/} debris, which {@link #prune()} removes. Within one JVM a lock per store
 * serialises the threads, since a JVM cannot hold two {@link FileLock}s on one file.
 */
public final class Store {
    private static final Logger LOG = LoggerFactory.getLogger(Store.class);
    static final String SHA256 = "sha256:";
    static final String MANIFEST_TYPE = "application/vnd.oci.image.manifest.v1+json";
    static final String INDEX_TYPE = "application/vnd.oci.image.index.v1+json";
    static final String CONFIG_TYPE = "application/vnd.oci.image.config.v1+json";
    static final String LAYER_TAR = "application/vnd.oci.image.layer.v1.tar";
    static final String LAYER_GZIP = "application/vnd.oci.image.layer.v1.tar+gzip";
    static final String DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json";
    static final String DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json";
    /** The kernel reads one page of mount options; keep a margin for the launcher's /oldroot prefixes. */
    static final int MAX_OVERLAY_OPTIONS = 3800;
    private static final Pattern HEX64 = Pattern.compile("[0-9a-f]{64}");
    private static final Pattern VOLUME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,127}");
    private static final Pattern RUN_ID = Pattern.compile("[0-9a-f]{16}");
    private static final ConcurrentHashMap<Path, ReentrantLock> JVM_LOCKS = new ConcurrentHashMap<>();
    private static final ConcurrentHashMap<String, String> ARCHIVE_DIGESTS = new ConcurrentHashMap<>();

    private final Path root;

    private Store(Path root) {
        this.root = root;
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
            return new Store(real);
        } catch (IOException e) {
            throw new ImageStoreException("cannot open the image store at " + dir + ": " + e, e);
        }
    }

    /** @return the store's root, with symlinks resolved */
    public Path root() {
        return root;
    }

    /* ---------------- locking ---------------- */

    interface IoBody<T> {
        T run() throws IOException;
    }

    <T> T locked(IoBody<T> body) {
        ReentrantLock l = JVM_LOCKS.computeIfAbsent(root, k -> new ReentrantLock());
        l.lock();
        try {
            if (l.getHoldCount() > 1) {
                return body.run(); /* this thread holds the file lock already */
            }
            try (FileChannel ch = FileChannel.open(root.resolve("store.lock"), StandardOpenOption.CREATE,
                    StandardOpenOption.WRITE); FileLock fl = ch.lock()) {
                return body.run();
            }
        } catch (IOException e) {
            throw new ImageStoreException("image store " + root + ": " + e.getMessage(), e);
        } finally {
            l.unlock();
        }
    }

    /* ---------------- names ---------------- */

    /**
     * @param name an image name
     * @return the name with {@code :latest} added when it has no tag
     */
    public static String normalize(String name) {
        int slash = name.lastIndexOf('/');
        int colon = name.lastIndexOf(':');
        return colon > slash ? name : name + ":latest";
    }

    private Path refPath(String name) {
        return root.resolve("refs").resolve(URLEncoder.encode(normalize(name), StandardCharsets.UTF_8));
    }

    /** @param name an image name @return its manifest digest, if the store has it */
    public Optional<String> ref(String name) {
        try {
            return Optional.of(Files.readString(refPath(name)).trim());
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException e) {
            throw new ImageStoreException("cannot read image name " + name + " in " + root + ": " + e, e);
        }
    }

    private void writeRef(String name, String digest) throws IOException {
        Path tmp = root.resolve("tmp").resolve("ref-" + UUID.randomUUID());
        Files.writeString(tmp, digest + "\n");
        Files.move(tmp, refPath(name), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    /** @return every image, by name */
    public List<ImageInfo> images() {
        List<ImageInfo> out = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(root.resolve("refs"))) {
            List<Path> refs = new ArrayList<>();
            ds.forEach(refs::add);
            refs.sort(null);
            for (Path p : refs) {
                String name = URLDecoder.decode(p.getFileName().toString(), StandardCharsets.UTF_8);
                info(name).ifPresent(out::add);
            }
        } catch (IOException e) {
            throw new ImageStoreException("cannot list images in " + root + ": " + e, e);
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
            Manifest m = manifest(digest.get());
            long size = m.layers().stream().mapToLong(Descriptor::size).sum();
            return Optional.of(new ImageInfo(normalize(name), digest.get(),
                    m.layers().stream().map(Descriptor::digest).toList(), size));
        } catch (IOException e) {
            throw new ImageStoreException("image " + name + " in " + root + " is damaged: " + e.getMessage(), e);
        }
    }

    /** @param name an image name @return whether it was there */
    public boolean remove(String name) {
        return locked(() -> Files.deleteIfExists(refPath(name)));
    }

    /* ---------------- blobs ---------------- */

    record Descriptor(String mediaType, String digest, long size) {}

    record Manifest(Descriptor config, List<Descriptor> layers, Map<String, Object> json) {}

    static String hex(String digest) throws IOException {
        if (!digest.startsWith(SHA256) || !HEX64.matcher(digest.substring(SHA256.length())).matches()) {
            throw new IOException("unsupported or malformed digest '" + digest + "' (only sha256 is supported)");
        }
        return digest.substring(SHA256.length());
    }

    Path blobPath(String digest) throws IOException {
        return root.resolve("blobs/sha256").resolve(hex(digest));
    }

    byte[] blob(String digest) throws IOException {
        return Files.readAllBytes(blobPath(digest));
    }

    static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    static String digestOf(byte[] bytes) {
        return SHA256 + HexFormat.of().formatHex(sha256().digest(bytes));
    }

    static String digestOf(Path file) throws IOException {
        MessageDigest md = sha256();
        try (InputStream in = new DigestInputStream(Files.newInputStream(file), md)) {
            in.transferTo(OutputStream.nullOutputStream());
        }
        return SHA256 + HexFormat.of().formatHex(md.digest());
    }

    /**
     * Copies a blob into the store, verifying its digest (and size, if known) on the way.
     *
     * @return its digest
     */
    String putBlob(InputStream in, String expected, long expectedSize, String what) throws IOException {
        if (expected != null && Files.exists(blobPath(expected))) {
            return expected;
        }
        Path tmp = root.resolve("tmp").resolve("blob-" + UUID.randomUUID());
        MessageDigest md = sha256();
        long n;
        try (OutputStream out = Files.newOutputStream(tmp, StandardOpenOption.CREATE_NEW)) {
            n = new DigestInputStream(in, md).transferTo(out);
        }
        String actual = SHA256 + HexFormat.of().formatHex(md.digest());
        try {
            if (expected != null && !expected.equals(actual)) {
                throw new IOException(what + " is corrupt or was tampered with: its digest is " + actual + ", not "
                        + expected);
            }
            if (expectedSize >= 0 && n != expectedSize) {
                throw new IOException(what + " has " + n + " bytes, not the " + expectedSize + " its descriptor says");
            }
            Files.move(tmp, blobPath(actual), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            return actual;
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    String putBlob(byte[] bytes) throws IOException {
        return putBlob(new java.io.ByteArrayInputStream(bytes), null, -1, "blob");
    }

    static Descriptor descriptor(Map<String, Object> d) throws IOException {
        String digest = Json.str(d, "digest");
        hex(digest);
        return new Descriptor(Json.str(d, "mediaType"), digest, Json.num(d, "size"));
    }

    Manifest manifest(String digest) throws IOException {
        Map<String, Object> m = Json.object(blob(digest), "manifest " + digest);
        List<Descriptor> layers = new ArrayList<>();
        for (Object o : Json.list(m, "layers")) {
            if (o instanceof Map<?, ?> d) {
                @SuppressWarnings("unchecked")
                Map<String, Object> dm = (Map<String, Object>) d;
                layers.add(descriptor(dm));
            }
        }
        return new Manifest(descriptor(Json.obj(m, "config")), layers, m);
    }

    /** @param name an image name @return its configuration's defaults */
    public ImageConfig config(String name) {
        return configOf(ref(name).orElseThrow(() -> missingImage(name)));
    }

    /** @param digest a manifest digest @return its configuration's defaults */
    public ImageConfig configOf(String digest) {
        try {
            Map<String, Object> c = Json.obj(Json.object(blob(manifest(digest).config().digest()), "config"), "config");
            return new ImageConfig(Json.strings(c, "Entrypoint"), Json.strings(c, "Cmd"), Json.strings(c, "Env"),
                    Json.str(c, "WorkingDir"), Json.str(c, "User"));
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
        String tag = null;
        Path src = source;
        if (!Files.exists(src)) {
            String s = source.toString();
            int colon = s.lastIndexOf(':');
            if (colon > 0 && Files.exists(Path.of(s.substring(0, colon)))) {
                src = Path.of(s.substring(0, colon));
                tag = s.substring(colon + 1);
            } else {
                throw new ImageStoreException("cannot import " + source + ": no such file or directory", null);
            }
        }
        Path from = src;
        String wanted = tag;
        String digest = locked(() -> Files.isDirectory(from)
                ? OciImport.fromLayout(this, from, wanted)
                : OciImport.fromDockerArchive(this, from, wanted));
        locked(() -> {
            writeRef(name, digest);
            return null;
        });
        LOG.debug("imported {} as {} ({})", source, normalize(name), digest);
        return info(name).orElseThrow();
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
        String s = reference;
        int colon = s.lastIndexOf(':');
        boolean isPath = Files.exists(Path.of(s)) || (colon > 0 && Files.exists(Path.of(s.substring(0, colon))));
        if (!isPath) {
            throw missingImage(reference);
        }
        return importImage(Path.of(reference), reference).digest();
    }

    /* ---------------- unpacking ---------------- */

    private static ExtractOptions layerOptions(WhiteoutMode mode) {
        /* image layers carry setuid programs (su, passwd, ping) that must keep working in the
           container; the store directory is 0700, so no other host user can reach them */
        return ExtractOptions.builder().whiteouts(mode).allowSetuid(true).build();
    }

    /** Counts what is read, for progress. */
    private static final class Counting extends FilterInputStream {
        private final UnpackListener listener;
        private final String name;
        private final long total;
        private long done;
        private long lastReport;

        Counting(InputStream in, UnpackListener listener, String name, long total) {
            super(in);
            this.listener = listener;
            this.name = name;
            this.total = total;
        }

        @Override
        public int read() throws IOException {
            int b = super.read();
            if (b >= 0) {
                count(1);
            }
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = super.read(b, off, len);
            if (n > 0) {
                count(n);
            }
            return n;
        }

        private void count(long n) {
            done += n;
            if (done - lastReport >= (1 << 20) || done == total) {
                lastReport = done;
                listener.progress(name, done, total);
            }
        }
    }

    /**
     * Unpacks one layer blob, checking the digest of its uncompressed tar against the config's
     * {@code diff_id}, into a fresh directory under tmp/.
     */
    private Path unpackBlob(Descriptor layer, String diffId, WhiteoutMode mode, Path into, UnpackListener listener)
            throws IOException {
        Path blob = blobPath(layer.digest());
        long size = Files.size(blob);
        MessageDigest md = sha256();
        try (InputStream raw = new Counting(Files.newInputStream(blob), listener, layer.digest(), size);
             InputStream tar = new DigestInputStream(Compression.decompress(raw, 256L << 20), md)) {
            TarExtractor.extract(tar, into, layerOptions(mode));
            tar.transferTo(OutputStream.nullOutputStream()); /* the end-of-archive padding counts too */
        }
        listener.progress(layer.digest(), size, size);
        String actual = SHA256 + HexFormat.of().formatHex(md.digest());
        if (diffId != null && !diffId.equals(actual)) {
            throw new IOException("layer " + layer.digest() + " unpacks to a tar whose digest is " + actual
                    + ", but the image config says " + diffId + ": the image is inconsistent");
        }
        return into;
    }

    private Path newTmpDir(String prefix) throws IOException {
        Path p = root.resolve("tmp").resolve(prefix + "-" + UUID.randomUUID());
        Files.createDirectory(p);
        return p;
    }

    private static void publish(Path tmp, Path dest) throws IOException {
        Files.move(tmp, dest, StandardCopyOption.ATOMIC_MOVE);
    }

    List<String> diffIds(Manifest m) throws IOException {
        return Json.strings(Json.obj(Json.object(blob(m.config().digest()), "config"), "rootfs"), "diff_ids");
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
            Manifest m = manifest(manifestDigest);
            List<Path> lowers = new ArrayList<>();
            for (Descriptor l : m.layers()) {
                lowers.add(0, root.resolve("layers/sha256").resolve(hex(l.digest())));
            }
            if (lowers.isEmpty()) {
                throw new IOException("image " + manifestDigest + " has no layers");
            }
            if (optionsLength(lowers) > MAX_OVERLAY_OPTIONS) {
                return List.of(flatten(manifestDigest, m, listener));
            }
            if (lowers.stream().allMatch(Files::isDirectory)) {
                return lowers;
            }
            List<String> diffIds = diffIds(m);
            return locked(() -> {
                for (int i = 0; i < m.layers().size(); i++) {
                    Descriptor l = m.layers().get(i);
                    Path dest = root.resolve("layers/sha256").resolve(hex(l.digest()));
                    if (Files.isDirectory(dest)) {
                        continue;
                    }
                    Path tmp = newTmpDir("layer");
                    try {
                        unpackBlob(l, i < diffIds.size() ? diffIds.get(i) : null, WhiteoutMode.OVERLAYFS, tmp, listener);
                        publish(tmp, dest);
                        LOG.debug("unpacked layer {}", l.digest());
                    } finally {
                        deleteTree(tmp);
                    }
                }
                return lowers;
            });
        } catch (IOException e) {
            throw new ImageStoreException("cannot unpack image " + manifestDigest + " in " + root + ": " + e.getMessage(), e);
        }
    }

    private int optionsLength(List<Path> lowers) {
        int n = "lowerdir=".length() + ",upperdir=,workdir=,redirect_dir=off,metacopy=off".length() + 2 * 80;
        for (Path p : lowers) {
            n += p.toString().length() + "/oldroot:".length();
        }
        return n;
    }

    private Path flatten(String manifestDigest, Manifest m, UnpackListener listener) throws IOException {
        Path dest = root.resolve("flat/sha256").resolve(hex(manifestDigest));
        if (Files.isDirectory(dest)) {
            return dest;
        }
        List<String> diffIds = diffIds(m);
        return locked(() -> {
            if (Files.isDirectory(dest)) {
                return dest;
            }
            Path tmp = newTmpDir("flat");
            try {
                for (int i = 0; i < m.layers().size(); i++) {
                    unpackBlob(m.layers().get(i), i < diffIds.size() ? diffIds.get(i) : null, WhiteoutMode.APPLY, tmp,
                            listener);
                }
                publish(tmp, dest);
                return dest;
            } finally {
                deleteTree(tmp);
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
            String key = archive.toRealPath() + "|" + a.size() + "|" + a.lastModifiedTime().toMillis() + "|" + a.fileKey();
            String digest = ARCHIVE_DIGESTS.get(key);
            if (digest == null) {
                digest = digestOf(archive);
                ARCHIVE_DIGESTS.put(key, digest);
            }
            Path dest = root.resolve("rootfs/sha256").resolve(hex(digest));
            if (!Files.isDirectory(dest)) {
                String d = digest;
                locked(() -> {
                    if (Files.isDirectory(dest)) {
                        return null;
                    }
                    Path tmp = newTmpDir("rootfs");
                    try (InputStream in = new Counting(Files.newInputStream(archive), listener, d, a.size())) {
                        TarExtractor.extract(in, tmp, layerOptions(WhiteoutMode.NONE));
                        publish(tmp, dest);
                    } finally {
                        deleteTree(tmp);
                    }
                    return null;
                });
            }
            return Map.entry(dest, digest);
        } catch (ImageStoreException e) {
            throw e;
        } catch (IOException e) {
            throw new ImageStoreException("cannot unpack the root file system archive " + archive + ": " + e.getMessage(), e);
        }
    }

    /* ---------------- runs ---------------- */

    /**
     * One run's writable layer: created before the container starts, with its lock held so that
     * a prune in any JVM leaves it and its lower layers alone.
     */
    public static final class RunLayer {
        private final Store store;
        private final String id;
        private final Path dir;
        private final List<Path> lowers;
        private final String image;
        private final boolean keep;
        private final FileChannel channel;
        private final FileLock lock;

        private RunLayer(Store store, String id, Path dir, List<Path> lowers, String image, boolean keep,
                         FileChannel channel, FileLock lock) {
            this.store = store;
            this.id = id;
            this.dir = dir;
            this.lowers = lowers;
            this.image = image;
            this.keep = keep;
            this.channel = channel;
            this.lock = lock;
        }

        /** @return the lower directories, top first */
        public List<Path> lowers() {
            return lowers;
        }

        /** @return the upper directory */
        public Path upper() {
            return dir.resolve("upper");
        }

        /** @return the overlay work directory */
        public Path work() {
            return dir.resolve("work");
        }

        /**
         * Ends the run: the writable layer is removed, or marked kept.
         *
         * @return the kept layer, if it is kept
         */
        public Optional<WritableLayer> release() {
            try {
                if (keep) {
                    Files.writeString(dir.resolve("kept"), Instant.now() + "\n");
                    deleteTree(work());
                    return Optional.of(new WritableLayer(id, upper(), image));
                }
                store.discardDir(dir);
                return Optional.empty();
            } catch (IOException e) {
                LOG.warn("cannot remove the writable layer {}: {}", dir, e.toString());
                return Optional.empty();
            } finally {
                try {
                    lock.release();
                    channel.close();
                } catch (IOException e) {
                    LOG.debug("releasing {}: {}", dir, e.toString());
                }
            }
        }
    }

    /**
     * Creates a run's upper and work directories.
     *
     * @param lowers the lower directories, top first
     * @param image  what the run is of, for a kept layer
     * @param keep   keep the upper after the run
     * @return the run's layer, locked
     */
    public RunLayer newRun(List<Path> lowers, String image, boolean keep) {
        return locked(() -> {
            String id = HexFormat.of().formatHex(sha256().digest(UUID.randomUUID().toString().getBytes(StandardCharsets.UTF_8)))
                    .substring(0, 16);
            Path dir = root.resolve("runs").resolve(id);
            Files.createDirectory(dir);
            Files.createDirectory(dir.resolve("upper"));
            Files.createDirectory(dir.resolve("work"));
            FileChannel ch = FileChannel.open(dir.resolve("lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            FileLock lock = ch.lock();
            Map<String, Object> info = new LinkedHashMap<>();
            info.put("image", image);
            info.put("lowers", lowers.stream().map(p -> root.relativize(p).toString()).toList());
            info.put("created", Instant.now().toString());
            Files.write(dir.resolve("info.json"), Json.write(info));
            return new RunLayer(this, id, dir, List.copyOf(lowers), image, keep, ch, lock);
        });
    }

    private void discardDir(Path dir) throws IOException {
        Path trash = root.resolve("tmp").resolve("trash-" + UUID.randomUUID());
        Files.move(dir, trash, StandardCopyOption.ATOMIC_MOVE);
        deleteTree(trash);
    }

    /** @return the writable layers kept after their runs */
    public List<WritableLayer> keptLayers() {
        List<WritableLayer> out = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(root.resolve("runs"))) {
            for (Path run : ds) {
                if (Files.exists(run.resolve("kept"))) {
                    Map<String, Object> info = Json.object(Files.readAllBytes(run.resolve("info.json")), "run info");
                    out.add(new WritableLayer(run.getFileName().toString(), run.resolve("upper"), Json.str(info, "image")));
                }
            }
        } catch (IOException e) {
            throw new ImageStoreException("cannot list kept layers in " + root + ": " + e, e);
        }
        out.sort((a, b) -> a.id().compareTo(b.id()));
        return out;
    }

    private Path keptDir(WritableLayer layer) {
        if (!RUN_ID.matcher(layer.id()).matches()) {
            throw new ImageStoreException("'" + layer.id() + "' is not a writable layer of this store", null);
        }
        Path dir = root.resolve("runs").resolve(layer.id());
        if (!Files.exists(dir.resolve("kept"))) {
            throw new ImageStoreException("writable layer " + layer.id() + " is not kept in " + root
                    + " (it is still in use, was discarded, or belongs to another store)", null);
        }
        return dir;
    }

    /** @param layer a kept layer @return whether it was there */
    public boolean discard(WritableLayer layer) {
        return locked(() -> {
            Path dir = root.resolve("runs").resolve(layer.id());
            if (!RUN_ID.matcher(layer.id()).matches() || !Files.exists(dir.resolve("kept"))) {
                return false;
            }
            discardDir(dir);
            return true;
        });
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
        Path dir = keptDir(layer);
        String digest = locked(() -> {
            Map<String, Object> info = Json.object(Files.readAllBytes(dir.resolve("info.json")), "run info");
            String base = Json.str(info, "image");
            Optional<String> baseDigest = ref(base);
            if (baseDigest.isEmpty()) {
                throw new IOException("its image '" + base + "' is no longer in the store (or it ran from a root "
                        + "file system archive, which has no image to build on: import it with corral import)");
            }
            return LayerCommit.commit(this, dir.resolve("upper"), baseDigest.get(), base);
        });
        locked(() -> {
            writeRef(newName, digest);
            return null;
        });
        return info(newName).orElseThrow();
    }

    /* ---------------- volumes ---------------- */

    private Path volumePath(String name) {
        if (!VOLUME.matcher(name).matches()) {
            throw new ImageStoreException("volume name '" + name + "' must be 1-128 of A-Z, a-z, 0-9, '_', '.', '-', "
                    + "starting with a letter or digit", null);
        }
        return root.resolve("volumes").resolve(name);
    }

    /** @param name a volume name @return its directory, created if it is new */
    public Path volume(String name) {
        Path p = volumePath(name);
        try {
            Files.createDirectories(p);
            return p;
        } catch (IOException e) {
            throw new ImageStoreException("cannot create volume " + name + " in " + root + ": " + e, e);
        }
    }

    /** @return the volume names */
    public List<String> volumes() {
        List<String> out = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(root.resolve("volumes"))) {
            ds.forEach(p -> out.add(p.getFileName().toString()));
        } catch (IOException e) {
            throw new ImageStoreException("cannot list volumes in " + root + ": " + e, e);
        }
        out.sort(null);
        return out;
    }

    /** @param name a volume name @return whether it was there */
    public boolean removeVolume(String name) {
        Path p = volumePath(name);
        return locked(() -> {
            if (!Files.exists(p, LinkOption.NOFOLLOW_LINKS)) {
                return false;
            }
            discardDir(p);
            return true;
        });
    }

    /* ---------------- prune ---------------- */

    /** @return what was removed */
    public PruneReport prune() {
        return locked(() -> {
            Set<String> blobs = new HashSet<>();
            Set<Path> trees = new HashSet<>();
            try (DirectoryStream<Path> ds = Files.newDirectoryStream(root.resolve("refs"))) {
                for (Path ref : ds) {
                    String d = Files.readString(ref).trim();
                    try {
                        Manifest m = manifest(d);
                        blobs.add(d);
                        blobs.add(m.config().digest());
                        for (Descriptor l : m.layers()) {
                            blobs.add(l.digest());
                            trees.add(root.resolve("layers/sha256").resolve(hex(l.digest())));
                        }
                        trees.add(root.resolve("flat/sha256").resolve(hex(d)));
                    } catch (IOException e) {
                        LOG.warn("image {} is damaged, its blobs are left alone: {}", ref.getFileName(), e.toString());
                        return new PruneReport(0, 0, 0, 0);
                    }
                }
            }
            int runs = 0;
            long freed = 0;
            try (DirectoryStream<Path> ds = Files.newDirectoryStream(root.resolve("runs"))) {
                for (Path run : ds) {
                    if (Files.exists(run.resolve("kept")) || inUse(run)) {
                        Map<String, Object> info = Json.object(Files.readAllBytes(run.resolve("info.json")), "run info");
                        for (String l : Json.strings(info, "lowers")) {
                            trees.add(root.resolve(l));
                        }
                    } else {
                        freed += du(run);
                        discardDir(run);
                        runs++;
                    }
                }
            }
            int layers = 0;
            for (String sub : List.of("layers/sha256", "flat/sha256", "rootfs/sha256")) {
                try (DirectoryStream<Path> ds = Files.newDirectoryStream(root.resolve(sub))) {
                    for (Path t : ds) {
                        if (!trees.contains(t)) {
                            freed += du(t);
                            discardDir(t);
                            layers++;
                        }
                    }
                }
            }
            int removedBlobs = 0;
            try (DirectoryStream<Path> ds = Files.newDirectoryStream(root.resolve("blobs/sha256"))) {
                for (Path b : ds) {
                    if (!blobs.contains(SHA256 + b.getFileName())) {
                        freed += Files.size(b);
                        Files.delete(b);
                        removedBlobs++;
                    }
                }
            }
            try (DirectoryStream<Path> ds = Files.newDirectoryStream(root.resolve("tmp"))) {
                for (Path t : ds) {
                    freed += du(t);
                    deleteTree(t);
                }
            }
            return new PruneReport(layers, removedBlobs, runs, freed);
        });
    }

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

    /* ---------------- files ---------------- */

    static long du(Path p) throws IOException {
        long[] n = {0};
        if (!Files.exists(p, LinkOption.NOFOLLOW_LINKS)) {
            return 0;
        }
        Files.walkFileTree(p, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
                n[0] += attrs.isRegularFile() ? attrs.size() : 0;
                return FileVisitResult.CONTINUE;
            }
        });
        return n[0];
    }

    /** Removes a tree without following symlinks; gone already is fine. */
    public static void deleteTree(Path p) throws IOException {
        if (!Files.exists(p, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        Files.walkFileTree(p, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                Files.deleteIfExists(file);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path dir, IOException e) throws IOException {
                if (e != null) {
                    throw e;
                }
                Files.deleteIfExists(dir);
                return FileVisitResult.CONTINUE;
            }
        });
    }

    static String arch() {
        String a = System.getProperty("os.arch").toLowerCase(Locale.ROOT);
        return switch (a) {
            case "amd64", "x86_64" -> "amd64";
            case "aarch64", "arm64" -> "arm64";
            default -> a;
        };
    }

    static UncheckedIOException unchecked(IOException e) {
        return new UncheckedIOException(e);
    }
}
