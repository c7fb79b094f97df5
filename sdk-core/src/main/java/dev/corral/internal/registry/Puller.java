package dev.corral.internal.registry;

import dev.corral.image.ImageInfo;
import dev.corral.image.ImageRef;
import dev.corral.image.ImageStoreException;
import dev.corral.image.RegistryException;
import dev.corral.image.RegistryOptions;
import dev.corral.internal.image.Descriptor;
import dev.corral.internal.image.Digests;
import dev.corral.internal.image.Json;
import dev.corral.internal.image.MediaTypes;
import dev.corral.internal.image.Store;
import dev.corral.internal.image.StoreFiles;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code docker pull} into the store: the manifest (an index or manifest list resolved to
 * linux/this architecture), then the config and every layer the store lacks, fetched in
 * parallel into a directory claimed under the store's {@code tmp/} (which {@code prune} leaves
 * alone while the pull lives), each hashed as it streams and resumed
 * with a {@code Range} request after a broken connection. Only when every blob has the digest
 * and size its descriptor names are they moved into the store, the manifest written and the
 * name pointed at it, under the store lock; a failure leaves nothing but what was there.
 *
 * <pre>{@code
 * String digest = Puller.pull(store, ImageRef.parse("localhost:5000/app:1"), "localhost:5000/app:1", options);
 * }</pre>
 */
public final class Puller {
    /** The manifest types a pull accepts, OCI first. */
    public static final String ACCEPT = String.join(", ", MediaTypes.MANIFEST, MediaTypes.INDEX,
            MediaTypes.DOCKER_MANIFEST, MediaTypes.DOCKER_LIST);
    private static final Logger LOG = LoggerFactory.getLogger(Puller.class);
    private static final int MAX_MANIFEST = 4 << 20;
    private static final int ATTEMPTS = 5;

    private final Store store;
    private final RegistryClient client;
    private final RegistryOptions options;
    private Path work;

    private Puller(Store store, RegistryClient client, RegistryOptions options) {
        this.store = store;
        this.client = client;
        this.options = options;
    }

    /**
     * @param store   the store
     * @param ref     what to pull
     * @param name    the name to give it in the store
     * @param options how
     * @return the image
     */
    public static ImageInfo pull(Store store, ImageRef ref, String name, RegistryOptions options) {
        Puller p = new Puller(store, new RegistryClient(ref, options, "pull"), options);
        String digest = p.run();
        store.names().tag(name, digest);
        LOG.debug("pulled {} as {} ({})", ref, name, digest);
        return store.info(name).orElseThrow();
    }

    /** A manifest as the registry sent it, verified. */
    record Fetched(String digest, String mediaType, byte[] bytes) {}

    private String run() {
        ImageRef ref = client.ref();
        List<Fetched> manifests = new ArrayList<>();
        Fetched top = manifest(ref.reference(), ref.digest());
        Fetched image = top;
        for (int depth = 0; isIndex(image); depth++) {
            if (depth > 3) {
                throw new RegistryException(ref + ": image indexes nested too deep", ref.toString(), Optional.empty(), OptionalInt.empty(), null);
            }
            manifests.add(image);
            Descriptor chosen = platform(image);
            image = manifest(chosen.digest(), Optional.of(chosen.digest()));
        }
        manifests.add(image);
        Fetched theImage = image;
        Map<String, Object> m;
        List<Descriptor> blobs = new ArrayList<>();
        try {
            m = Json.object(image.bytes(), "manifest of " + ref);
            blobs.add(Descriptor.of(Json.obj(m, "config")));
            for (Object o : Json.list(m, "layers")) {
                if (o instanceof Map<?, ?> d) {
                    @SuppressWarnings("unchecked")
                    Map<String, Object> dm = (Map<String, Object>) d;
                    blobs.add(Descriptor.of(dm));
                }
            }
        } catch (IOException e) {
            throw new RegistryException(ref + ": its manifest is not an image manifest: " + e.getMessage(), ref.toString(),
                    Optional.of(client.url("manifests/" + image.digest()).toString()), OptionalInt.empty(), e);
        }
        Map<String, Path> fetched = new LinkedHashMap<>();
        StoreFiles.Claim claim = store.locked(() -> store.files().claimTmpDir("pull"));
        work = claim.dir();
        ExecutorService pool = Executors.newFixedThreadPool(options.parallelism(), r -> {
            Thread t = new Thread(r, "corral-pull");
            t.setDaemon(true);
            return t;
        });
        try {
            Map<String, Future<Path>> jobs = new LinkedHashMap<>();
            for (Descriptor d : blobs) {
                if (jobs.containsKey(d.digest())) {
                    continue;
                }
                if (exists(d.digest())) {
                    options.listener().present(d.digest(), d.size());
                    continue;
                }
                jobs.put(d.digest(), pool.submit(() -> fetch(d)));
            }
            RuntimeException failure = null;
            for (Map.Entry<String, Future<Path>> j : jobs.entrySet()) {
                try {
                    fetched.put(j.getKey(), j.getValue().get());
                } catch (ExecutionException e) {
                    if (failure == null) {
                        failure = e.getCause() instanceof RuntimeException re ? re
                                : new RegistryException(ref + ": " + e.getCause(), ref.toString(), Optional.empty(), OptionalInt.empty(), e.getCause());
                        jobs.values().forEach(f -> f.cancel(true));
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new RegistryException(ref + ": interrupted", ref.toString(), Optional.empty(), OptionalInt.empty(), e);
                } catch (java.util.concurrent.CancellationException e) {
                    /* cancelled after another blob failed */
                }
            }
            if (failure != null) {
                throw failure;
            }
            return store.locked(() -> {
                for (Map.Entry<String, Path> f : fetched.entrySet()) {
                    store.blobs().adopt(f.getValue(), f.getKey());
                }
                for (Fetched man : manifests) {
                    store.blobs().put(new ByteArrayInputStream(man.bytes()), Optional.of(man.digest()), OptionalLong.empty(),
                            "manifest of " + ref);
                }
                return theImage.digest();
            });
        } finally {
            pool.shutdownNow();
            try {
                pool.awaitTermination(1, java.util.concurrent.TimeUnit.MINUTES);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            try {
                claim.close();
            } catch (IOException e) {
                LOG.debug("cannot remove {}: {}", work, e.toString());
            }
        }
    }

    private boolean exists(String digest) {
        try {
            return store.blobs().exists(digest);
        } catch (IOException e) {
            throw new ImageStoreException("a descriptor of " + client.ref() + " names a malformed digest: " + e.getMessage(), e);
        }
    }

    private static boolean isIndex(Fetched f) {
        return f.mediaType().equals(MediaTypes.INDEX) || f.mediaType().equals(MediaTypes.DOCKER_LIST);
    }

    private Descriptor platform(Fetched index) {
        ImageRef ref = client.ref();
        String arch = MediaTypes.arch();
        List<String> seen = new ArrayList<>();
        try {
            for (Object o : Json.list(Json.object(index.bytes(), "index of " + ref), "manifests")) {
                if (o instanceof Map<?, ?> e) {
                    @SuppressWarnings("unchecked")
                    Map<String, Object> em = (Map<String, Object>) e;
                    Map<String, Object> p = Json.obj(em, "platform");
                    String os = Json.str(p, "os");
                    String a = Json.str(p, "architecture");
                    seen.add(os + "/" + a);
                    if (os.equals("linux") && a.equals(arch)) {
                        return Descriptor.of(em);
                    }
                }
            }
        } catch (IOException e) {
            throw new RegistryException(ref + ": its image index is malformed: " + e.getMessage(), ref.toString(), Optional.empty(), OptionalInt.empty(), e);
        }
        throw new RegistryException(ref + " has no image for linux/" + arch + " (it has " + seen + ")", ref.toString(),
                Optional.of(client.url("manifests/" + index.digest()).toString()), OptionalInt.empty(), null);
    }

    private Fetched manifest(String reference, Optional<String> pinned) {
        URI uri = client.url("manifests/" + reference);
        byte[] bytes;
        Map<String, String> headers;
        try (RegistryClient.Response r = client.send("GET", uri, Map.of("Accept", ACCEPT), null)) {
            if (r.status() != 200) {
                throw client.failure("GET manifest", r);
            }
            bytes = r.body().readNBytes(MAX_MANIFEST + 1);
            headers = r.headers();
        } catch (IOException e) {
            throw client.failure("GET manifest", uri, e);
        }
        if (bytes.length > MAX_MANIFEST) {
            throw new RegistryException(client.ref() + ": the manifest at " + uri + " is over 4 MiB", client.ref().toString(),
                    Optional.of(uri.toString()), OptionalInt.of(200), null);
        }
        String actual = Digests.of(bytes);
        Optional<String> expected = pinned.or(() -> Optional.ofNullable(headers.get("docker-content-digest")));
        if (expected.isPresent() && !expected.get().equals(actual)) {
            throw new RegistryException(client.ref() + ": the manifest at " + uri + " has digest " + actual + ", not "
                    + expected.get() + ": corrupt or tampered with; nothing was stored", client.ref().toString(),
                    Optional.of(uri.toString()), OptionalInt.of(200), null);
        }
        String type = headers.getOrDefault("content-type", "").replaceFirst(";.*", "").trim();
        if (!type.equals(MediaTypes.MANIFEST) && !type.equals(MediaTypes.INDEX) && !type.equals(MediaTypes.DOCKER_MANIFEST)
                && !type.equals(MediaTypes.DOCKER_LIST)) {
            try {
                Map<String, Object> m = Json.object(bytes, "manifest");
                type = !Json.str(m, "mediaType").isEmpty() ? Json.str(m, "mediaType")
                        : m.containsKey("manifests") ? MediaTypes.INDEX : MediaTypes.MANIFEST;
            } catch (IOException e) {
                throw new RegistryException(client.ref() + ": the manifest at " + uri + " is not JSON", client.ref().toString(),
                        Optional.of(uri.toString()), OptionalInt.of(200), e);
            }
        }
        return new Fetched(actual, type, bytes);
    }

    /** Streams one blob into a file under the store's tmp/, hashing it; resumes with Range after a break. */
    private Path fetch(Descriptor d) throws IOException {
        URI uri = client.url("blobs/" + d.digest());
        Path tmp = work.resolve(Digests.hex(d.digest()));
        MessageDigest md = Digests.sha256();
        long have = 0;
        boolean ok = false;
        try (FileChannel out = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            options.listener().progress(d.digest(), 0, d.size());
            for (int attempt = 1; ; attempt++) {
                try {
                    Map<String, String> h = have > 0 ? Map.of("Range", "bytes=" + have + "-") : Map.of();
                    try (RegistryClient.Response r = client.send("GET", uri, h, null)) {
                        InputStream in = r.body();
                        if (r.status() == 200 && have > 0) {
                            have = 0;             /* the server ignored the Range: start again */
                            md.reset();
                            out.truncate(0).position(0);
                        } else if (r.status() != 200 && !(r.status() == 206 && have > 0)) {
                            throw client.failure("GET blob " + d.digest(), r);
                        }
                        byte[] buf = new byte[1 << 20];
                        for (int n; (n = in.read(buf)) > 0; ) {
                            if (have + n > d.size()) {
                                throw new RegistryException(client.ref() + ": blob " + d.digest() + " at " + uri
                                        + " is longer than the " + d.size() + " bytes its descriptor says; nothing was stored",
                                        client.ref().toString(), Optional.of(uri.toString()), OptionalInt.of(r.status()), null);
                            }
                            md.update(buf, 0, n);
                            out.write(ByteBuffer.wrap(buf, 0, n));
                            have += n;
                            options.listener().progress(d.digest(), have, d.size());
                        }
                    }
                    if (have < d.size()) {
                        throw new IOException("the connection ended after " + have + " of " + d.size() + " bytes");
                    }
                    break;
                } catch (IOException e) {
                    if (attempt >= ATTEMPTS || Thread.currentThread().isInterrupted()) {
                        throw client.failure("GET blob " + d.digest() + " (" + attempt + " attempts)", uri, e);
                    }
                    LOG.debug("{}: blob {} broke off at {} of {} bytes ({}); resuming", client.ref(), d.digest(), have,
                            d.size(), e.toString());
                    try {
                        Thread.sleep(200L * attempt);
                    } catch (InterruptedException ie) {
                        Thread.currentThread().interrupt();
                        throw client.failure("GET blob " + d.digest(), uri, ie);
                    }
                }
            }
            String actual = Digests.of(md);
            if (!actual.equals(d.digest())) {
                throw new RegistryException(client.ref() + ": blob " + d.digest() + " from " + uri + " has digest " + actual
                        + ": corrupt or tampered with; nothing was stored", client.ref().toString(), Optional.of(uri.toString()), OptionalInt.of(200), null);
            }
            ok = true;
            return tmp;
        } finally {
            if (!ok) {
                Files.deleteIfExists(tmp);
            }
        }
    }
}
