package dev.corral;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.corral.image.Credentials;
import dev.corral.image.ImageInfo;
import dev.corral.image.ImageStore;
import dev.corral.image.PullListener;
import dev.corral.image.RegistryException;
import dev.corral.image.RegistryOptions;
import dev.corral.internal.image.Json;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Pulls from and pushes to Debian's docker-registry on loopback, with images put in by skopeo
 * from OCI layouts made by umoci: what runs is the tree umoci unpacks; a broken connection is
 * resumed; layers the store has are not fetched again; a corrupted blob stores nothing; an index
 * is resolved to this machine; basic auth and bearer tokens are answered; TLS is checked
 * against the caller's CA; a push is read back by skopeo and umoci and
 * sends only the blobs the registry lacks. Every registry process is stopped by its PID.
 */
class RegistryTest {
    @TempDir
    static Path fixtures;
    static Path layout;
    static String expectedTree;
    static LoopbackRegistry registry;

    @TempDir
    Path storeDir;

    @BeforeAll
    static void registryWithImages() throws Exception {
        layout = OciFixtures.layout(fixtures);
        ContainerResult r = Container.builder().rootfs(Rootfs.directory(fixtures.resolve("expected/rootfs")))
                .privilegedRoot().env("PATH", "/bin").run("sh", "-c", OciFixtures.TREE);
        assertEquals(0, r.exitCode().orElse(-1), r.stderr());
        expectedTree = r.stdout();
        registry = LoopbackRegistry.start(Optional.empty());
        registry.put(layout, "base", "fixture:base", false);
        registry.put(layout, "v2", "fixture:v2", false);
    }

    @AfterAll
    static void stopRegistry() throws Exception {
        if (registry != null) {
            long pid = registry.pid();
            registry.close();
            assertFalse(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false), "the registry is stopped");
        }
    }

    private static List<String> children(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    private static List<String> blobGets(CuttingProxy proxy) {
        return proxy.requests().stream().filter(h -> h.startsWith("GET ") && h.contains("/blobs/")).toList();
    }

    @Test
    void aPullResumedAfterABrokenConnectionRunsTheTreeUmociUnpacks() throws Exception {
        ImageStore store = ImageStore.open(storeDir);
        String busyboxLayer = layerDigests(layout, "base").get(0);
        String ref;
        try (CuttingProxy proxy = new CuttingProxy(registry.port())) {
            ref = proxy.host() + "/fixture:v2";
            proxy.cut(busyboxLayer, 300_000, 1);
            ImageInfo pulled = store.pull(ref);
            assertEquals(ref, pulled.name());
            assertEquals(layerDigests(layout, "v2"), pulled.layers());
            List<String> gets = blobGets(proxy).stream().filter(h -> h.contains(busyboxLayer)).toList();
            assertEquals(2, gets.size(), "the layer was asked for again after the break: " + gets);
            String range = gets.get(1).lines().filter(l -> l.toLowerCase(Locale.ROOT).startsWith("range:"))
                    .findFirst().orElseThrow(() -> new AssertionError("not resumed with a Range: " + gets.get(1)));
            long from = Long.parseLong(range.replaceAll("(?i)range:\\s*bytes=(\\d+)-.*", "$1"));
            assertTrue(from > 0 && from < 300_000, "resumed from what had arrived, not from 0: " + range);
        }
        /* the proxy is gone: running needs nothing from the network */
        ContainerResult r = Container.builder().rootfs(Rootfs.image(store, ref)).user(0, 0).workingDirectory("/")
                .run("sh", "-c", OciFixtures.TREE);
        assertEquals(0, r.exitCode().orElse(-1), r.stderr());
        assertEquals(expectedTree, r.stdout());
        assertEquals(List.of(), children(storeDir.resolve("tmp")), "no download is left in tmp/");
    }

    @Test
    void layersTheStoreHasAreNotFetchedAgainAndPruneLeavesARunningPullAlone() throws Exception {
        ImageStore store = ImageStore.open(storeDir);
        try (CuttingProxy proxy = new CuttingProxy(registry.port())) {
            ImageInfo base = store.pull(proxy.host() + "/fixture:base");
            proxy.clear();
            AtomicBoolean pruned = new AtomicBoolean();
            List<String> present = new ArrayList<>();
            PullListener listener = new PullListener() {
                @Override
                public void progress(String blob, long done, long total) {
                    if (done > 0 && pruned.compareAndSet(false, true)) {
                        store.prune();      /* a prune in another thread while the blob streams in */
                    }
                }

                @Override
                public synchronized void present(String blob, long size) {
                    present.add(blob);
                }
            };
            ImageInfo v2 = store.pull(proxy.host() + "/fixture:v2", RegistryOptions.builder().listener(listener).build());
            assertTrue(pruned.get());
            assertEquals(base.layers().get(0), v2.layers().get(0));
            assertEquals(List.of(base.layers().get(0)), present);
            List<String> gets = blobGets(proxy);
            assertEquals(2, gets.size(), "the new layer and the config only: " + gets);
            assertTrue(gets.stream().anyMatch(h -> h.contains(v2.layers().get(1))), gets.toString());
            assertTrue(gets.stream().noneMatch(h -> h.contains(base.layers().get(0))), gets.toString());
        }
        assertEquals(List.of(), children(storeDir.resolve("tmp")), "no download is left in tmp/");
    }

    @Test
    void thePulledConfigGivesTheRunItsDefaults() throws Exception {
        ImageStore store = ImageStore.open(storeDir);
        String ref = registry.host() + "/fixture:v2";
        store.pull(ref);
        assertEquals("image in /work as 1000:1001\n", Container.builder().rootfs(Rootfs.image(store, ref)).build().run().stdout(),
                "the pulled config's entrypoint, cmd, env, working dir and user");
        assertEquals(List.of(), children(storeDir.resolve("tmp")));
    }

    @Test
    void aCorruptedBlobIsRejectedAndNothingIsStored() throws Exception {
        Path dir = Files.createDirectories(fixtures.resolve("corrupt"));
        OciFixtures.run(dir, "umoci", "init", "--layout", "oci");
        OciFixtures.run(dir, "umoci", "new", "--image", "oci:1");
        OciFixtures.run(dir, "umoci", "unpack", "--image", "oci:1", "b");
        byte[] noise = new byte[200_000];
        new java.util.Random(16).nextBytes(noise);
        Files.write(dir.resolve("b/rootfs/noise"), noise);
        OciFixtures.run(dir, "umoci", "repack", "--image", "oci:1", "b");
        registry.put(dir.resolve("oci"), "1", "corrupt:1", false);
        String layer = layerDigests(dir.resolve("oci"), "1").get(0);
        try (FileChannel ch = FileChannel.open(registry.blobFile(layer), StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            ByteBuffer b = ByteBuffer.allocate(1);
            ch.read(b, 100_000);
            b.put(0, (byte) (b.get(0) ^ 0x5a)).rewind();
            ch.write(b, 100_000);
        }
        ImageStore store = ImageStore.open(storeDir);
        RegistryException e = assertThrows(RegistryException.class, () -> store.pull(registry.host() + "/corrupt:1"));
        assertTrue(e.getMessage().contains(layer) && e.getMessage().contains("nothing was stored"), e.getMessage());
        assertEquals(List.of(), store.images());
        assertEquals(List.of(), children(storeDir.resolve("blobs/sha256")), "no blob of it is kept");
        assertEquals(List.of(), children(storeDir.resolve("tmp")), "no download is left");
    }

    @Test
    void anIndexIsResolvedToThisMachinesArchitecture() throws Exception {
        /* a decoy for another architecture first, then v2 for this one, in one index */
        Path dir = Files.createDirectories(fixtures.resolve("multi"));
        OciFixtures.run(dir, "umoci", "init", "--layout", "oci");
        OciFixtures.run(dir, "umoci", "new", "--image", "oci:other");
        OciFixtures.run(dir, "umoci", "unpack", "--image", "oci:other", "b");
        Files.writeString(dir.resolve("b/rootfs/arch"), "not this one\n");
        OciFixtures.run(dir, "umoci", "repack", "--image", "oci:other", "b");
        OciFixtures.run(dir, "umoci", "config", "--image", "oci:other", "--architecture", "s390x");
        OciFixtures.run(dir, "skopeo", "copy", "--quiet", "oci:" + layout + ":v2", "oci:" + dir.resolve("oci") + ":mine");
        Path oci = dir.resolve("oci");
        Map<String, Object> top = Json.object(Files.readAllBytes(oci.resolve("index.json")), "index.json");
        Map<String, Map<String, Object>> byTag = new LinkedHashMap<>();
        for (Object o : Json.list(top, "manifests")) {
            @SuppressWarnings("unchecked")
            Map<String, Object> d = (Map<String, Object>) o;
            byTag.put(Json.str(Json.obj(d, "annotations"), "org.opencontainers.image.ref.name"), d);
        }
        List<Object> entries = new ArrayList<>();
        entries.add(platformed(byTag.get("other"), "s390x"));
        entries.add(platformed(byTag.get("mine"), dev.corral.internal.image.MediaTypes.arch()));
        Map<String, Object> index = new LinkedHashMap<>();
        index.put("schemaVersion", 2);
        index.put("mediaType", "application/vnd.oci.image.index.v1+json");
        index.put("manifests", entries);
        byte[] bytes = Json.write(index);
        String digest = dev.corral.internal.image.Digests.of(bytes);
        Files.write(oci.resolve("blobs/sha256/" + digest.substring(7)), bytes);
        Map<String, Object> ref = new LinkedHashMap<>();
        ref.put("mediaType", "application/vnd.oci.image.index.v1+json");
        ref.put("digest", digest);
        ref.put("size", bytes.length);
        ref.put("annotations", Map.of("org.opencontainers.image.ref.name", "multi"));
        @SuppressWarnings("unchecked")
        List<Object> manifests = (List<Object>) top.get("manifests");
        manifests.add(ref);
        Files.write(oci.resolve("index.json"), Json.write(top));
        registry.put(oci, "multi", "multi:1", true);

        ImageStore store = ImageStore.open(storeDir);
        ImageInfo pulled = store.pull(registry.host() + "/multi:1");
        assertEquals(Json.str(byTag.get("mine"), "digest"), pulled.digest(), "the manifest for linux/"
                + dev.corral.internal.image.MediaTypes.arch());
        assertEquals(layerDigests(layout, "v2"), pulled.layers());
    }

    @Test
    void basicAuthIsAnsweredWithTheCallersCredentials() throws Exception {
        try (LoopbackRegistry secured = LoopbackRegistry.start(Optional.of("ci:s3cret"))) {
            secured.put(layout, "base", "team/base:1", false);
            ImageStore store = ImageStore.open(storeDir);
            String ref = secured.host() + "/team/base:1";
            RegistryException none = assertThrows(RegistryException.class, () -> store.pull(ref));
            assertEquals(401, none.status().orElse(-1), none.getMessage());
            RegistryException wrong = assertThrows(RegistryException.class, () -> store.pull(ref,
                    RegistryOptions.builder().credentials(new Credentials("ci", "wrong")).build()));
            assertEquals(401, wrong.status().orElse(-1), wrong.getMessage());
            assertTrue(wrong.getMessage().contains("user ci") && !wrong.getMessage().contains("wrong"), wrong.getMessage());
            RegistryOptions right = RegistryOptions.builder().credentials(Credentials.parse("ci:s3cret")).build();
            RegistryException missing = assertThrows(RegistryException.class,
                    () -> store.pull(secured.host() + "/team/base:nope", right));
            assertEquals(404, missing.status().orElse(-1), missing.getMessage());
            ImageInfo pulled = store.pull(ref, right);
            assertEquals(layerDigests(layout, "base"), pulled.layers());
            assertEquals(List.of(ref), store.images().stream().map(ImageInfo::name).toList());
            String copy = secured.host() + "/team/copy:1";
            RegistryException anonymous = assertThrows(RegistryException.class, () -> store.push(ref, copy, RegistryOptions.defaults()));
            assertEquals(401, anonymous.status().orElse(-1), anonymous.getMessage());
            assertEquals(pulled.digest(), store.push(ref, copy, right));
        }
    }

    @Test
    void bearerTokensComeFromTheRegistrysTokenServiceWithTheCallersCredentials() throws Exception {
        Path dir = Files.createDirectories(fixtures.resolve("token-" + storeDir.getFileName()));
        try (TokenService tokens = new TokenService(dir, "ci:t0ken");
             LoopbackRegistry secured = LoopbackRegistry.startWithTokens(tokens)) {
            ImageStore store = ImageStore.open(storeDir);
            ImageInfo base = store.importImage(Path.of(layout + ":base"), "base");
            String ref = secured.host() + "/team/app:1";
            RegistryOptions right = RegistryOptions.builder().credentials(Credentials.parse("ci:t0ken")).build();
            RegistryException anonymous = assertThrows(RegistryException.class, () -> store.push("base", ref,
                    RegistryOptions.defaults()));
            assertEquals(401, anonymous.status().orElse(-1), anonymous.getMessage());
            assertTrue(anonymous.getMessage().contains("token service"), anonymous.getMessage());
            assertEquals(base.digest(), store.push("base", ref, right));
            assertTrue(tokens.requests().stream().anyMatch(r -> r.contains("scope=repository%3Ateam%2Fapp%3Apull%2Cpush")
                    && r.contains("service=" + TokenService.SERVICE)), tokens.requests().toString());

            ImageStore other = ImageStore.open(Files.createDirectories(storeDir.resolve("other")));
            assertEquals(base.digest(), other.pull(ref, right).digest());
            assertTrue(tokens.requests().stream().anyMatch(r -> r.contains("scope=repository%3Ateam%2Fapp%3Apull ")),
                    "a pull asks only for pull: " + tokens.requests());
        }
    }

    @Test
    void tlsWithTheCallersCaCertificate() throws Exception {
        Path dir = Files.createDirectories(fixtures.resolve("tls-" + storeDir.getFileName()));
        /* a self-signed certificate for 127.0.0.1, made by keytool; its PEM is both the server's and the CA */
        OciFixtures.run(dir, "keytool", "-genkeypair", "-keyalg", "RSA", "-keysize", "2048", "-alias", "server",
                "-dname", "CN=127.0.0.1", "-ext", "SAN=ip:127.0.0.1", "-validity", "2", "-storetype", "PKCS12",
                "-keystore", "server.p12", "-storepass", "changeit", "-keypass", "changeit");
        OciFixtures.run(dir, "keytool", "-exportcert", "-rfc", "-alias", "server", "-keystore", "server.p12",
                "-storepass", "changeit", "-file", "ca.pem");
        java.security.KeyStore ks = java.security.KeyStore.getInstance("PKCS12");
        try (var in = Files.newInputStream(dir.resolve("server.p12"))) {
            ks.load(in, "changeit".toCharArray());
        }
        byte[] pkcs8 = ks.getKey("server", "changeit".toCharArray()).getEncoded();
        Files.writeString(dir.resolve("key.pem"), "-----BEGIN PRIVATE KEY-----\n"
                + java.util.Base64.getMimeEncoder(64, "\n".getBytes()).encodeToString(pkcs8) + "\n-----END PRIVATE KEY-----\n");
        try (LoopbackRegistry tls = LoopbackRegistry.startWithTls(dir.resolve("ca.pem"), dir.resolve("key.pem"))) {
            ImageStore store = ImageStore.open(storeDir);
            store.importImage(Path.of(layout + ":base"), "base");
            String ref = tls.host() + "/secure/app:1";
            RegistryOptions withCa = RegistryOptions.builder().caCertificate(dir.resolve("ca.pem")).build();
            String digest = store.push("base", ref, withCa);
            ImageStore other = ImageStore.open(Files.createDirectories(storeDir.resolve("other")));
            assertEquals(digest, other.pull(ref, withCa).digest());
            /* without the CA a loopback registry is spoken to in plain HTTP, which a TLS-only one refuses */
            RegistryException plain = assertThrows(RegistryException.class, () -> other.pull(ref));
            assertEquals(400, plain.status().orElse(-1), plain.getMessage());
            Path notCa = Files.writeString(dir.resolve("empty.pem"), "");
            RegistryException badCa = assertThrows(RegistryException.class,
                    () -> other.pull(ref, RegistryOptions.builder().caCertificate(notCa).build()));
            assertTrue(badCa.getMessage().contains("cannot use the CA certificate"), badCa.getMessage());
        }
    }

    @Test
    void aPushIsReadBackBySkopeoAndUnpacksByUmociToTheSameTree() throws Exception {
        ImageStore store = ImageStore.open(storeDir);
        ImageInfo imported = store.importImage(Path.of(layout + ":v2"), "fixture:v2");
        String ref = registry.host() + "/pushed/app:1";
        String digest = store.push("fixture:v2", ref, RegistryOptions.defaults());
        assertEquals(imported.digest(), digest, "the manifest is pushed byte for byte");

        Path dir = Files.createDirectories(fixtures.resolve("readback"));
        Map<String, Object> inspect = Json.object(stdout(dir, "skopeo", "inspect", "--tls-verify=false", "docker://" + ref),
                "skopeo inspect");
        assertEquals(digest, Json.str(inspect, "Digest"));
        assertEquals(imported.layers(), Json.strings(inspect, "Layers"));
        assertTrue(Json.strings(inspect, "Env").contains("GREETING=image"), inspect.toString());
        OciFixtures.run(dir, "skopeo", "copy", "--quiet", "--src-tls-verify=false", "docker://" + ref, "oci:back:1");
        OciFixtures.run(dir, "umoci", "unpack", "--image", "back:1", "unpacked");
        /* a fresh unpack of the source: the fixture's expected/ got mount points from the container run on it */
        OciFixtures.run(dir, "umoci", "unpack", "--image", layout + ":v2", "source");
        assertEquals(tree(dir.resolve("source/rootfs")), tree(dir.resolve("unpacked/rootfs")));
    }

    @Test
    void aPushSendsOnlyTheBlobsTheRegistryLacks() throws Exception {
        ImageStore store = ImageStore.open(storeDir);
        ImageInfo base = store.importImage(Path.of(layout + ":base"), "base");
        ImageInfo v2 = store.importImage(Path.of(layout + ":v2"), "v2");
        try (CuttingProxy proxy = new CuttingProxy(registry.port())) {
            store.push("base", proxy.host() + "/only/app:base", RegistryOptions.defaults());
            proxy.clear();
            List<String> present = new ArrayList<>();
            PullListener listener = new PullListener() {
                @Override
                public void progress(String blob, long done, long total) {
                }

                @Override
                public synchronized void present(String blob, long size) {
                    present.add(blob);
                }
            };
            store.push("v2", proxy.host() + "/only/app:v2", RegistryOptions.builder().listener(listener).build());
            List<String> uploads = proxy.requests().stream().filter(h -> h.startsWith("PUT ") && h.contains("/blobs/uploads/"))
                    .toList();
            assertEquals(2, uploads.size(), "the new layer and the new config: " + uploads);
            assertTrue(uploads.stream().anyMatch(h -> h.contains(v2.layers().get(1).replace(":", "%3A"))), uploads.toString());
            assertTrue(uploads.stream().noneMatch(h -> h.contains(base.layers().get(0).replace(":", "%3A"))), uploads.toString());
            assertEquals(List.of(base.layers().get(0)), present);
            assertTrue(proxy.requests().stream().anyMatch(h -> h.startsWith("PUT /v2/only/app/manifests/v2 ")),
                    proxy.requests().toString());
        }
        ImageStore other = ImageStore.open(Files.createDirectories(storeDir.resolve("other")));
        assertEquals(v2.digest(), other.pull(registry.host() + "/only/app:v2").digest());
    }

    @Test
    void aBuildFromARegistryImageIsPushedToTheRegistry() throws Exception {
        Path ctx = Files.createDirectories(fixtures.resolve("build-" + storeDir.getFileName()));
        String base = registry.host() + "/fixture:base";
        Files.writeString(ctx.resolve("Dockerfile"), "FROM " + base + "\nUSER 0\nRUN echo built > /etc/built\nENTRYPOINT [\"cat\"]\nCMD [\"/etc/built\"]\n");
        ImageStore store = ImageStore.open(storeDir);
        String out = registry.host() + "/built/app:1";
        dev.corral.image.BuildResult built = dev.corral.image.ImageBuilder.of(store, ctx).push(out).build();
        assertEquals(layerDigests(layout, "base"), store.image(base).orElseThrow().layers(),
                "the FROM image was pulled, under the name it was given");

        ImageStore other = ImageStore.open(Files.createDirectories(storeDir.resolve("other")));
        ImageInfo pulled = other.pull(out);
        assertEquals(built.digest(), pulled.digest());
        assertEquals(2, pulled.layers().size(), "the base layer and the RUN layer");
        ContainerResult r = Container.builder().rootfs(Rootfs.image(other, out)).build().run();
        assertEquals("built\n", r.stdout(), r.stderr());
    }

    private static byte[] stdout(Path dir, String... cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        byte[] out = p.getInputStream().readAllBytes();
        assertEquals(0, p.waitFor(), String.join(" ", cmd));
        return out;
    }

    /** Every path under a root with its type, mode, owner, size, content digest or link target. */
    private static String tree(Path root) throws IOException {
        StringBuilder sb = new StringBuilder();
        List<Path> all;
        try (Stream<Path> s = Files.walk(root)) {
            all = s.sorted().toList();
        }
        for (Path p : all) {
            Map<String, Object> a = Files.readAttributes(p, "unix:mode,uid,gid,size,isSymbolicLink,isRegularFile",
                    java.nio.file.LinkOption.NOFOLLOW_LINKS);
            sb.append(root.relativize(p)).append(' ').append(Integer.toOctalString((Integer) a.get("mode"))).append(' ')
                    .append(a.get("uid")).append(':').append(a.get("gid"));
            if ((Boolean) a.get("isSymbolicLink")) {
                sb.append(" -> ").append(Files.readSymbolicLink(p));
            } else if ((Boolean) a.get("isRegularFile")) {
                sb.append(' ').append(a.get("size")).append(' ')
                        .append(dev.corral.internal.image.Digests.of(Files.readAllBytes(p)));
            }
            sb.append('\n');
        }
        return sb.toString();
    }

    private static Map<String, Object> platformed(Map<String, Object> d, String arch) {
        Map<String, Object> e = new LinkedHashMap<>(d);
        e.remove("annotations");
        e.put("platform", Map.of("os", "linux", "architecture", arch));
        return e;
    }

    /** @return the layer digests of {@code layout:tag}, read from the layout itself */
    private static List<String> layerDigests(Path oci, String tag) throws IOException {
        Map<String, Object> top = Json.object(Files.readAllBytes(oci.resolve("index.json")), "index.json");
        for (Object o : Json.list(top, "manifests")) {
            @SuppressWarnings("unchecked")
            Map<String, Object> d = (Map<String, Object>) o;
            if (tag.equals(Json.str(Json.obj(d, "annotations"), "org.opencontainers.image.ref.name"))) {
                Map<String, Object> m = Json.object(Files.readAllBytes(oci.resolve("blobs/sha256/"
                        + Json.str(d, "digest").substring(7))), "manifest");
                List<String> out = new ArrayList<>();
                for (Object l : Json.list(m, "layers")) {
                    @SuppressWarnings("unchecked")
                    Map<String, Object> lm = (Map<String, Object>) l;
                    out.add(Json.str(lm, "digest"));
                }
                return out;
            }
        }
        throw new IOException("no tag " + tag + " in " + oci);
    }
}
