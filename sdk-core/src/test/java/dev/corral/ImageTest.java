package dev.corral;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.corral.image.ImageInfo;
import dev.corral.image.ImageStore;
import dev.corral.image.ImageStoreException;
import dev.corral.image.PruneReport;
import dev.corral.image.WritableLayer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Images made by umoci and skopeo, run from a store: what the container sees, what it may
 * change, what is shared, and that nothing is left behind.
 */
class ImageTest {
    @TempDir
    static Path fixtures;
    static Path layout;
    static String expectedTree;

    @TempDir
    Path storeDir;

    @BeforeAll
    static void buildImages() throws Exception {
        layout = OciFixtures.layout(fixtures);
        /* umoci's own unpack of v2, seen by the same program in a container; as host root, since
           that tree is owned by host IDs as it is (image layers are idmapped for the container's
           user namespace, a plain directory rootfs is not) */
        ContainerResult r = Container.builder().rootfs(Rootfs.directory(fixtures.resolve("expected/rootfs")))
                .privilegedRoot()
                .env("PATH", "/bin").run("sh", "-c", OciFixtures.TREE);
        assertEquals(0, r.exitCode().orElse(-1), r.stderr());
        expectedTree = r.stdout();
        assertTrue(expectedTree.contains("./etc/b regular file"), expectedTree);
    }

    private static Map<String, Object> layerIdentity(Path store) throws IOException {
        Map<String, Object> ids = new TreeMap<>();
        try (Stream<Path> s = Files.list(store.resolve("layers/sha256"))) {
            for (Path p : s.toList()) {
                ids.put(p.getFileName().toString(), Files.readAttributes(p, BasicFileAttributes.class).fileKey());
            }
        }
        return ids;
    }

    private static String treeDigest(Path dir) throws IOException {
        StringBuilder sb = new StringBuilder();
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted().toList()) {
                sb.append(dir.relativize(p)).append(' ');
                if (Files.isRegularFile(p, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                    sb.append(Files.size(p)).append(' ').append(Files.getLastModifiedTime(p)).append(' ')
                            .append(new String(Files.readAllBytes(p), StandardCharsets.ISO_8859_1).hashCode());
                }
                sb.append('\n');
            }
        }
        return sb.toString();
    }

    private static List<String> children(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    private static List<String> overlayMounts() throws IOException {
        return Files.readAllLines(Path.of("/proc/self/mountinfo")).stream()
                .filter(l -> l.contains("overlay") || l.contains("corral")).toList();
    }

    @Test
    void anOciLayoutRunsWithExactlyTheTreeUmociUnpacks() throws Exception {
        List<String> mountsBefore = overlayMounts();
        ImageStore store = ImageStore.open(storeDir);
        ImageInfo v2 = store.importImage(Path.of(layout + ":v2"), "fixture:v2");
        assertEquals(2, v2.layers().size());
        ContainerResult r = Container.builder().rootfs(Rootfs.image(store, "fixture:v2")).user(0, 0)
                .workingDirectory("/").run("sh", "-c", OciFixtures.TREE);
        assertEquals(0, r.exitCode().orElse(-1), r.stderr());
        assertEquals(expectedTree, r.stdout());
        assertTrue(r.writableLayer().isEmpty());
        assertEquals(List.of(), children(storeDir.resolve("runs")), "the writable layer is removed after the run");
        assertEquals(List.of(), children(storeDir.resolve("tmp")), "no temp dir is left");
        assertEquals(mountsBefore, overlayMounts(), "no overlay mount leaked into the host");
    }

    @Test
    void aDockerSaveArchiveWrittenBySkopeoRunsTheSameTree() throws Exception {
        Path archive = OciFixtures.dockerArchive(layout, "v2", storeDir.getParent().resolve(storeDir.getFileName() + "-d.tar"),
                "fixture:v2");
        try {
            ImageStore store = ImageStore.open(storeDir);
            /* a path as the reference: imported on first use */
            ContainerResult r = Container.builder().rootfs(Rootfs.image(store, archive.toString())).user(0, 0)
                    .workingDirectory("/").run("sh", "-c", OciFixtures.TREE);
            assertEquals(0, r.exitCode().orElse(-1), r.stderr());
            assertEquals(expectedTree, r.stdout());
            assertEquals(1, store.images().size());
        } finally {
            Files.deleteIfExists(archive);
        }
    }

    @Test
    void theImageConfigSuppliesDefaultsThatTheSpecOverrides() throws Exception {
        ImageStore store = ImageStore.open(storeDir);
        store.importImage(Path.of(layout + ":v2"), "fixture");
        ContainerSpec spec = Container.builder().rootfs(Rootfs.image(store, "fixture")).build();
        assertEquals("image in /work as 1000:1001\n", spec.run().stdout(), "entrypoint + cmd, env, working dir, user");
        ContainerResult own = Container.builder().rootfs(Rootfs.image(store, "fixture")).env("GREETING", "spec")
                .workingDirectory("/etc").user(5, 6)
                .run("sh", "-c", "echo $GREETING in $(pwd) as $(id -u):$(id -g) with PATH=$PATH");
        assertEquals("spec in /etc as 5:6 with PATH=/bin\n", own.stdout());
    }

    @Test
    void twoContainersOfOneImageWriteOnlyTheirOwnLayer() throws Exception {
        ImageStore store = ImageStore.open(storeDir);
        store.importImage(Path.of(layout + ":v2"), "fixture");
        store.unpack("fixture", (l, d, t) -> { });
        Map<String, Object> layersBefore = layerIdentity(storeDir);
        String lowerBefore = treeDigest(storeDir.resolve("layers"));
        ContainerSpec spec = Container.builder().rootfs(Rootfs.image(store, "fixture")).user(0, 0)
                .stdout(Output.pipe()).build();
        String script = "echo $0 > /etc/b; echo $0 > /mine-$0; rm /bin/true; echo ready; sleep 1; "
                + "cat /etc/b; ls / | grep mine; test -e /bin/true || echo no-true";
        try (ContainerProcess a = spec.start("sh", "-c", script, "A");
             ContainerProcess b = spec.start("sh", "-c", script, "B")) {
            ContainerResult ra = a.waitFor();
            ContainerResult rb = b.waitFor();
            assertEquals(0, ra.exitCode().orElse(-1));
            assertEquals("ready\nA\nmine-A\nno-true\n", new String(a.stdout().readAllBytes(), StandardCharsets.UTF_8));
            assertEquals("ready\nB\nmine-B\nno-true\n", new String(b.stdout().readAllBytes(), StandardCharsets.UTF_8));
        }
        assertEquals(lowerBefore, treeDigest(storeDir.resolve("layers")), "the lower layers are unchanged");
        assertEquals(layersBefore, layerIdentity(storeDir), "the layers were unpacked once, not again per run");
        assertEquals(2, layersBefore.size());
        assertEquals("replaced\n", Container.builder().rootfs(Rootfs.image(store, "fixture")).run("cat", "/etc/b").stdout());
        assertEquals(List.of(), children(storeDir.resolve("runs")));
    }

    @Test
    void twoJvmsUnpackingTheSameImageAtOnceMakeOneCorrectCopy() throws Exception {
        List<Process> jvms = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            List<String> cmd = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp",
                    System.getProperty("java.class.path"), ImageChildJvm.class.getName(), storeDir.toString(),
                    layout + ":v2", "shared");
            jvms.add(new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start());
        }
        for (Process p : jvms) {
            assertTrue(p.waitFor(120, TimeUnit.SECONDS));
            assertEquals("ran replaced\n", new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
            assertEquals(0, p.exitValue());
        }
        ImageStore store = ImageStore.open(storeDir);
        assertEquals(2, layerIdentity(storeDir).size(), "one directory per layer");
        assertEquals(List.of(), children(storeDir.resolve("tmp")), "no half-unpacked layer left");
        ContainerResult r = Container.builder().rootfs(Rootfs.image(store, "shared")).user(0, 0)
                .workingDirectory("/").run("sh", "-c", OciFixtures.TREE);
        assertEquals(expectedTree, r.stdout());
    }

    @Test
    void aHalfUnpackedLayerIsNeverUsedAndPruneRemovesIt() throws Exception {
        ImageStore store = ImageStore.open(storeDir);
        store.importImage(Path.of(layout + ":v2"), "fixture");
        /* what a crash in the middle of an unpack leaves: a partial tree under tmp/ */
        Path partial = Files.createDirectories(storeDir.resolve("tmp/layer-crashed/etc"));
        Files.writeString(partial.resolve("b"), "half");
        assertEquals("replaced\n", Container.builder().rootfs(Rootfs.image(store, "fixture")).run("cat", "/etc/b").stdout());
        PruneReport report = store.prune();
        assertEquals(List.of(), children(storeDir.resolve("tmp")));
        assertEquals(0, report.layers(), "layers of a named image stay");
        store.remove("fixture");
        report = store.prune();
        assertEquals(2, report.layers());
        assertEquals(List.of(), children(storeDir.resolve("layers/sha256")));
        assertEquals(List.of(), children(storeDir.resolve("blobs/sha256")));
    }

    @Test
    void aKeptLayerCommitsToAnImageWithWhiteouts() throws Exception {
        ImageStore store = ImageStore.open(storeDir);
        store.importImage(Path.of(layout + ":v2"), "fixture");
        ContainerResult r = Container.builder().rootfs(Rootfs.image(store, "fixture")).user(0, 0)
                .keepWritableLayer(true)
                .run("sh", "-c", "rm /etc/b; rm -r /opq; mkdir /opq; echo w > /opq/w; echo c > /etc/c");
        assertEquals(0, r.exitCode().orElse(-1), r.stderr());
        WritableLayer kept = r.writableLayer().orElseThrow();
        assertTrue(Files.isRegularFile(kept.directory().resolve("etc/c")));
        assertEquals(List.of(kept), store.keptLayers());
        ImageInfo committed = store.commit(kept, "fixture:committed");
        assertEquals(3, committed.layers().size());
        assertTrue(store.discard(kept));
        ContainerResult c = Container.builder().rootfs(Rootfs.image(store, "fixture:committed")).user(0, 0)
                .run("sh", "-c", "ls /etc; ls /opq; cat /etc/c");
        assertEquals("c\ngroup\nlink\npasswd\nw\nc\n", c.stdout(), c.stderr());
        assertEquals(List.of(), children(storeDir.resolve("runs")));
    }

    @Test
    void aNamedVolumeWrittenByOneRunIsReadByTheNext() throws Exception {
        ImageStore store = ImageStore.open(storeDir);
        store.importImage(Path.of(layout + ":v2"), "fixture");
        ContainerSpec.Builder b = Container.builder().rootfs(Rootfs.image(store, "fixture")).user(0, 0);
        assertEquals(0, b.mount(Mount.volume(store, "data", "/data")).run("sh", "-c", "echo kept > /data/x")
                .exitCode().orElse(-1));
        ContainerResult ro = Container.builder().rootfs(Rootfs.image(store, "fixture")).user(0, 0)
                .mount(Mount.volumeReadOnly(store, "data", "/data")).run("sh", "-c", "cat /data/x; touch /data/y");
        assertEquals("kept\n", ro.stdout());
        assertNotEquals(0, ro.exitCode().orElse(0), "read-only volume refuses writes");
        assertEquals(List.of("data"), store.volumes());
        store.prune();
        assertEquals(List.of("data"), store.volumes(), "prune leaves volumes alone");
        assertTrue(store.removeVolume("data"));
        assertEquals(List.of(), store.volumes());
        assertThrows(InvalidSpecException.class, () -> Container.builder().mount(Mount.volume(store, "../x", "/x")).build());
    }

    @Test
    void aRootfsArchiveIsUnpackedOnceWhateverItsCompression() throws Exception {
        ImageStore store = ImageStore.open(storeDir);
        Path src = fixtures.resolve("expected/rootfs");
        for (String[] c : List.of(new String[] {"a.tar", ""}, new String[] {"a.tar.gz", "-z"},
                new String[] {"a.tar.xz", "-J"}, new String[] {"a.tar.zst", "--zstd"})) {
            Path archive = storeDir.getParent().resolve(storeDir.getFileName() + "-" + c[0]);
            List<String> cmd = new ArrayList<>(List.of("tar", "-c", "-f", archive.toString()));
            if (!c[1].isEmpty()) {
                cmd.add(c[1]);
            }
            cmd.addAll(List.of("-C", src.toString(), "."));
            OciFixtures.run(storeDir, cmd.toArray(String[]::new));
            try {
                for (int i = 0; i < 2; i++) {
                    ContainerResult r = Container.builder().rootfs(Rootfs.tarball(store, archive)).env("PATH", "/bin")
                            .run("sh", "-c", "cat /etc/b; echo x > /etc/b");
                    assertEquals("replaced\n", r.stdout(), c[0] + ": " + r.stderr());
                }
            } finally {
                Files.delete(archive);
            }
        }
        assertEquals(4, children(storeDir.resolve("rootfs/sha256")).size(), "one tree per archive, not per run");
        assertEquals(List.of(), children(storeDir.resolve("runs")));
    }

    @Test
    void whatIsNotARootfsArchiveIsRefusedNamingTheFile() throws Exception {
        ImageStore store = ImageStore.open(storeDir);
        Path text = Files.writeString(fixtures.resolve("notes.txt"), "not an archive\n");
        byte[] noise = new byte[8192];
        new java.util.Random(17).nextBytes(noise);
        Path random = Files.write(fixtures.resolve("noise.bin"), noise);
        /* a real tar whose first header's checksum is wrong */
        Path tar = fixtures.resolve("corrupt.tar");
        OciFixtures.run(fixtures, "tar", "-c", "-f", tar.toString(), "-C", fixtures.resolve("expected/rootfs").toString(), ".");
        byte[] bytes = Files.readAllBytes(tar);
        java.util.Arrays.fill(bytes, 148, 154, (byte) '7');
        Files.write(tar, bytes);
        for (Path p : List.of(text, random, tar)) {
            ImageStoreException e = assertThrows(ImageStoreException.class,
                    () -> Container.builder().rootfs(Rootfs.tarball(store, p)).run("true"));
            assertTrue(e.getMessage().contains(p.toString()), e.getMessage());
        }
        ImageStoreException e = assertThrows(ImageStoreException.class,
                () -> Container.builder().rootfs(Rootfs.tarball(store, text)).run("true"));
        assertTrue(e.getMessage().contains("is not a root file system archive"), e.getMessage());
        Path missing = fixtures.resolve("missing.tar");
        e = assertThrows(ImageStoreException.class, () -> Container.builder().rootfs(Rootfs.tarball(store, missing)).run("true"));
        assertEquals("the root file system archive " + missing + " does not exist", e.getMessage());
        assertEquals(List.of(), children(storeDir.resolve("rootfs/sha256")));
    }

    @Test
    void theRunOfAKilledJvmIsRemovedWhenTheStoreIsNextOpened() throws Exception {
        Path archive = fixtures.resolve("held.tar");
        OciFixtures.run(fixtures, "tar", "-c", "-f", archive.toString(), "-C", fixtures.resolve("expected/rootfs").toString(), ".");
        Process held = ChildJvm.start(List.of(), "hold-tarball", storeDir.toString(), archive.toString());
        try {
            String line = new java.io.BufferedReader(new java.io.InputStreamReader(held.getInputStream())).readLine();
            assertTrue(line != null && line.startsWith("holding "), "the child JVM said " + line);
        } finally {
            held.destroyForcibly(); /* SIGKILL: its writable layer stays */
            held.waitFor();
        }
        assertEquals(1, children(storeDir.resolve("runs")).size(), "the killed JVM left its run");
        ImageStore.open(storeDir); /* the first use of this store in this JVM */
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!children(storeDir.resolve("runs")).isEmpty() && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertEquals(List.of(), children(storeDir.resolve("runs")));
    }

    @Test
    void errorsNameWhatIsMissing() throws Exception {
        ImageStore store = ImageStore.open(storeDir);
        ImageStoreException e = assertThrows(ImageStoreException.class,
                () -> Container.builder().rootfs(Rootfs.image(store, "nothing:here")).run("true"));
        assertTrue(e.getMessage().contains("no image 'nothing:here'"), e.getMessage());
        assertThrows(InvalidSpecException.class, () -> Container.builder().keepWritableLayer(true).build());
        assertThrows(ImageStoreException.class, () -> ImageStore.open(storeDir.resolve("a,b")));
        /* a tampered blob is refused on import */
        Path copy = fixtures.resolve("tampered");
        OciFixtures.run(fixtures, "cp", "-a", layout.toString(), copy.toString());
        try (Stream<Path> s = Files.list(copy.resolve("blobs/sha256"))) {
            Path biggest = s.max((x, y) -> Long.compare(x.toFile().length(), y.toFile().length())).orElseThrow();
            byte[] bytes = Files.readAllBytes(biggest);
            bytes[bytes.length / 2] ^= 1;
            Files.write(biggest, bytes);
        }
        ImageStoreException t = assertThrows(ImageStoreException.class, () -> store.importImage(Path.of(copy + ":v2"), "bad"));
        assertTrue(t.getMessage().contains("digest"), t.getMessage());
        assertFalse(store.image("bad").isPresent());
    }
}
