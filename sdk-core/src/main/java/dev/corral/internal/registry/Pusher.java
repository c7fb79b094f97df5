package dev.corral.internal.registry;

import dev.corral.image.ImageRef;
import dev.corral.image.ImageStoreException;
import dev.corral.image.RegistryException;
import dev.corral.image.RegistryOptions;
import dev.corral.internal.image.Descriptor;
import dev.corral.internal.image.Json;
import dev.corral.internal.image.Manifest;
import dev.corral.internal.image.MediaTypes;
import dev.corral.internal.image.Store;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code docker push} of a store image: each layer and the config that the registry lacks
 * ({@code HEAD} says so) is mounted from another repository of the registry that the store
 * knows has it, or uploaded, in parallel, as one monolithic {@code POST} then {@code PUT}
 * of the whole blob (the registry checks its digest), then the manifest is put under the tag,
 * byte for byte as the store has it, so its digest is the same on both sides.
 *
 * <pre>{@code
 * String digest = Pusher.push(store, "app:1", ImageRef.parse("localhost:5000/app:1"), options);
 * }</pre>
 */
public final class Pusher {
    private static final Logger LOG = LoggerFactory.getLogger(Pusher.class);

    private final Store store;
    private final RegistryClient client;
    private final RegistryOptions options;
    private Map<String, String> mountable = Map.of();

    private Pusher(Store store, RegistryClient client, RegistryOptions options) {
        this.store = store;
        this.client = client;
        this.options = options;
    }

    /**
     * @param store   the store
     * @param name    the image's name in the store
     * @param target  where to push it; a digest reference is refused (the registry names it by its content)
     * @param options how
     * @return the digest of the manifest pushed
     */
    public static String push(Store store, String name, ImageRef target, RegistryOptions options) {
        return pushManifest(store, store.ref(name).orElseThrow(() -> store.missingImage(name)), target, options);
    }

    /**
     * @param store          the store
     * @param manifestDigest the image, by its manifest's digest (a build's result may have no name)
     * @param target         where to push it, with a tag
     * @param options        how
     * @return the digest of the manifest pushed
     */
    public static String pushManifest(Store store, String manifestDigest, ImageRef target, RegistryOptions options) {
        if (target.tag().isEmpty()) {
            throw new IllegalArgumentException("push needs a tag to push to, not only a digest: " + target);
        }
        return new Pusher(store, new RegistryClient(target, options, "pull,push"), options).run(manifestDigest);
    }

    private String run(String manifestDigest) {
        ImageRef ref = client.ref();
        byte[] manifestBytes;
        Manifest m;
        try {
            manifestBytes = store.blobs().read(manifestDigest);
            m = store.manifests().read(manifestDigest);
        } catch (IOException e) {
            throw new ImageStoreException("image " + manifestDigest + " in " + store.root() + " is damaged: " + e.getMessage(), e);
        }
        List<Descriptor> blobs = new ArrayList<>(m.layers());
        blobs.add(m.config());
        mountable = mountSources(blobs);
        ExecutorService pool = Executors.newFixedThreadPool(options.parallelism(), r -> {
            Thread t = new Thread(r, "corral-push");
            t.setDaemon(true);
            return t;
        });
        try {
            Map<String, Future<?>> jobs = new LinkedHashMap<>();
            for (Descriptor d : blobs) {
                jobs.putIfAbsent(d.digest(), pool.submit(() -> {
                    upload(d);
                    return null;
                }));
            }
            for (Future<?> f : jobs.values()) {
                try {
                    f.get();
                } catch (ExecutionException e) {
                    jobs.values().forEach(j -> j.cancel(true));
                    throw e.getCause() instanceof RuntimeException re ? re
                            : new RegistryException(ref + ": " + e.getCause(), ref.toString(), Optional.empty(), OptionalInt.empty(), e.getCause());
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new RegistryException(ref + ": interrupted", ref.toString(), Optional.empty(), OptionalInt.empty(), e);
                }
            }
        } finally {
            pool.shutdownNow();
            try {
                pool.awaitTermination(1, TimeUnit.MINUTES);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        String type = Json.str(m.json(), "mediaType").isEmpty() ? MediaTypes.MANIFEST : Json.str(m.json(), "mediaType");
        URI uri = client.url("manifests/" + ref.tag().orElseThrow());
        try (RegistryClient.Response r = client.send("PUT", uri, Map.of("Content-Type", type), RegistryClient.Body.of(manifestBytes))) {
            if (r.status() != 201 && r.status() != 200) {
                throw client.failure("PUT manifest", r);
            }
            r.header("docker-content-digest").filter(d -> !d.equals(manifestDigest)).ifPresent(d -> {
                throw new RegistryException(ref + ": the registry stored the manifest as " + d + ", not " + manifestDigest,
                        ref.toString(), Optional.of(uri.toString()), OptionalInt.of(r.status()), null);
            });
        } catch (IOException e) {
            throw client.failure("PUT manifest", uri, e);
        }
        LOG.debug("pushed {} ({})", ref, manifestDigest);
        return manifestDigest;
    }

    /**
     * Docker's cross-repository mount: a blob of an image the store holds under another repository
     * of the same registry (it was pulled from or pushed there) can be mounted from that repository
     * instead of uploaded; the registry starts an ordinary upload when it cannot (or the token
     * does not cover the other repository).
     *
     * @return for each blob that may be mounted, a repository to mount it from
     */
    private Map<String, String> mountSources(List<Descriptor> blobs) {
        ImageRef target = client.ref();
        Map<String, String> out = new LinkedHashMap<>();
        java.util.Set<String> wanted = new java.util.HashSet<>();
        blobs.forEach(b -> wanted.add(b.digest()));
        for (String name : store.names().list()) {
            Optional<ImageRef> r = ImageRef.tryParse(name);
            if (r.isEmpty() || !r.get().registry().equals(target.registry()) || r.get().repository().equals(target.repository())) {
                continue;
            }
            try {
                Manifest other = store.manifests().read(store.ref(name).orElseThrow());
                List<Descriptor> theirs = new ArrayList<>(other.layers());
                theirs.add(other.config());
                for (Descriptor b : theirs) {
                    if (wanted.contains(b.digest())) {
                        out.putIfAbsent(b.digest(), r.get().repository());
                    }
                }
            } catch (IOException | RuntimeException e) {
                LOG.debug("not mounting from {}: {}", name, e.toString());
            }
        }
        return out;
    }

    /** Uploads one blob unless the registry has it (or it can be mounted from another repository). */
    private void upload(Descriptor d) throws IOException {
        URI blobUri = client.url("blobs/" + d.digest());
        try (RegistryClient.Response head = client.send("HEAD", blobUri, Map.of(), null)) {
            if (head.status() == 200) {
                options.listener().present(d.digest(), d.size());
                return;
            }
            if (head.status() != 404) {
                throw client.failure("HEAD blob " + d.digest(), head);
            }
        }
        Path file = store.blobs().path(d.digest());
        long size = Files.size(file);
        URI start = client.url("blobs/uploads/");
        String from = mountable.get(d.digest());
        URI post0 = from == null ? start : URI.create(start + "?mount=" + d.digest().replace(":", "%3A") + "&from="
                + java.net.URLEncoder.encode(from, java.nio.charset.StandardCharsets.UTF_8));
        URI at;
        try (RegistryClient.Response post = client.send("POST", post0, Map.of(), null)) {
            if (post.status() == 201 && from != null) {
                LOG.debug("{}: blob {} mounted from {}", client.ref(), d.digest(), from);
                options.listener().present(d.digest(), d.size());
                return;
            }
            if (post.status() != 202) {
                throw client.failure("POST blob upload", post);
            }
            at = start.resolve(post.header("location").orElseThrow(() -> new RegistryException(client.ref()
                    + ": the registry started an upload without a Location", client.ref().toString(), Optional.of(start.toString()), OptionalInt.of(202),
                    null)));
        }
        URI put = URI.create(at + (at.getRawQuery() == null ? "?" : "&") + "digest=" + d.digest().replace(":", "%3A"));
        options.listener().progress(d.digest(), 0, size);
        RegistryClient.Body body = new RegistryClient.Body() {
            @Override
            public long length() {
                return size;
            }

            @Override
            public InputStream open() throws IOException {
                return counting(file, d, size);
            }
        };
        try (RegistryClient.Response r = client.send("PUT", put, Map.of("Content-Type", "application/octet-stream"), body)) {
            if (r.status() != 201) {
                throw client.failure("PUT blob " + d.digest(), r);
            }
        }
    }

    /** The blob's file, telling the listener how much has been read (sent) so far. */
    private InputStream counting(Path file, Descriptor d, long size) throws IOException {
        return new FilterInputStream(Files.newInputStream(file)) {
            private long done;

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                int n = super.read(b, off, len);
                if (n > 0) {
                    done += n;
                    options.listener().progress(d.digest(), done, size);
                }
                return n;
            }
        };
    }
}
