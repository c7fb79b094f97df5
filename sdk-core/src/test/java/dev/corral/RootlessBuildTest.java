package dev.corral;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.corral.image.ImageBuildException;
import dev.corral.image.ImageBuilder;
import dev.corral.image.ImageInfo;
import dev.corral.image.ImageStore;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A build's layers record the owners and modes the container saw, the same whether the build
 * runs as root or rootless (.ci/rootless-tests.sh runs this class as an unprivileged user with
 * subordinate IDs): RUN steps as root and as other users, over files of other owners in the base
 * image, COPY with and without --chown, read-only directories, WORKDIR. And nothing is left in
 * the store that the caller cannot remove, after a build, after a failed RUN, and after a prune.
 */
class RootlessBuildTest {
    @TempDir
    Path dir;

    /**
     * After a failure too, the store is emptied through the store itself, which removes in the
     * user namespace what only it may: else the temporary directory would keep, rootless, files
     * of subordinate IDs that neither JUnit nor the caller can delete.
     */
    @AfterEach
    void emptyTheStore() {
        Path storeDir = dir.resolve("store");
        if (Files.isDirectory(storeDir)) {
            ImageStore store = ImageStore.open(storeDir);
            for (ImageInfo i : store.images()) {
                store.remove(i.name());
            }
            store.prune();
        }
    }

    private static final String DOCKERFILE = """
            FROM base:1
            RUN echo new > /new && echo changed >> /etc/motd && rm -r /var/old \\
                && echo app:x:2000:2000::/home/app:/bin/sh >> /etc/passwd && echo app:x:2000: >> /etc/group \\
                && mkdir -p /data/sub && echo secret > /data/sub/f && chmod 600 /data/sub/f \\
                && chown -R 2000:2000 /data && chmod 700 /data && chmod 4755 /new && touch /home/worker/.profile
            COPY a.txt /a.txt
            COPY --chown=1000:1001 b.txt dir /owned/
            COPY --chmod=555 dir /ro/
            WORKDIR /work/sub
            USER app
            RUN touch /data/byapp && mkdir /data/sub/d && chmod 700 /data/sub/d && echo x > /data/sub/d/x
            USER worker
            RUN echo hi > /home/worker/hello
            """;

    /** Each layer after the base: its entries as "name mode uid:gid", in the tar's order. */
    private static final List<List<String>> EXPECTED = List.of(
            List.of("data/ 700 2000:2000", "data/sub/ 755 2000:2000", "data/sub/f 600 2000:2000", "etc/ 755 0:0",
                    "etc/group 644 0:0", "etc/motd 644 0:0", "etc/passwd 644 0:0", "home/ 755 0:0",
                    "home/worker/ 750 1000:1001", "home/worker/.profile 644 0:0", "new 4755 0:0", "var/ 755 0:0",
                    "var/.wh.old 644 0:0"),
            List.of("a.txt 644 0:0"),
            List.of("owned/ 755 1000:1001", "owned/b.txt 644 1000:1001", "owned/f 640 1000:1001",
                    "owned/sub/ 755 1000:1001", "owned/sub/g 644 1000:1001"),
            List.of("ro/ 755 0:0", "ro/f 555 0:0", "ro/sub/ 555 0:0", "ro/sub/g 555 0:0"),
            List.of("work/ 755 0:0", "work/sub/ 755 0:0"),
            List.of("data/ 700 2000:2000", "data/byapp 644 2000:2000", "data/sub/ 755 2000:2000",
                    "data/sub/d/ 700 2000:2000", "data/sub/d/x 644 2000:2000"),
            List.of("home/ 755 0:0", "home/worker/ 750 1000:1001", "home/worker/hello 644 1000:1001"));

    @Test
    void layersRecordTheContainersOwnersAndTheStoreKeepsNothingItsOwnerCannotRemove() throws Exception {
        Path storeDir = Files.createDirectory(dir.resolve("store"));
        ImageStore store = ImageStore.open(storeDir);
        store.importImage(Path.of(baseLayout(dir.resolve("base")) + ":1"), "base:1");
        Path context = Files.createDirectory(dir.resolve("context"));
        write(context.resolve("Dockerfile"), DOCKERFILE, "rw-r--r--");
        write(context.resolve("a.txt"), "a\n", "rw-r--r--");
        write(context.resolve("b.txt"), "b\n", "rw-r--r--");
        Files.createDirectories(context.resolve("dir/sub"));
        Files.setPosixFilePermissions(context.resolve("dir/sub"), PosixFilePermissions.fromString("rwxr-xr-x"));
        write(context.resolve("dir/f"), "f\n", "rw-r-----");
        write(context.resolve("dir/sub/g"), "g\n", "rw-r--r--");

        ImageBuilder.of(store, context).tag("out:1").build();
        List<String> layers = store.image("out:1").orElseThrow().layers();
        List<List<String>> entries = new ArrayList<>();
        for (String l : layers.subList(1, layers.size())) {
            entries.add(entries(storeDir.resolve("blobs/sha256").resolve(l.substring("sha256:".length()))));
        }
        assertEquals(EXPECTED, entries);
        assertNothingAside(storeDir);

        /* the image's view in a container: the owners the layers give, whoever unpacked them */
        ContainerResult look = Container.builder().rootfs(Rootfs.image(store, "out:1"))
                .run("sh", "-c", "cat /home/worker/hello; stat -c '%u:%g %a %n' /home/worker /owned/f /ro/sub");
        assertEquals("hi\n1000:1001 750 /home/worker\n1000:1001 640 /owned/f\n0:0 555 /ro/sub\n", look.stdout(), look.stderr());
        ContainerResult app = Container.builder().rootfs(Rootfs.image(store, "out:1")).user(2000, 2000)
                .run("sh", "-c", "cat /data/sub/f; stat -c '%u:%g %a %n' /data /data/sub/f");
        assertEquals("secret\n2000:2000 700 /data\n2000:2000 600 /data/sub/f\n", app.stdout(), app.stderr());

        /* a RUN that fails after making files as another user leaves no writable layer behind */
        write(context.resolve("Dockerfile"), """
                FROM out:1
                USER app
                RUN mkdir /data/x && echo s > /data/x/s && chmod 700 /data/x && chmod 600 /data/x/s && exit 3
                """, "rw-r--r--");
        ImageBuildException e = assertThrows(ImageBuildException.class, () -> ImageBuilder.of(store, context).build());
        assertTrue(e.getMessage().contains("line 3") && e.getMessage().contains("exit code 3"), e.getMessage());
        assertNothingAside(storeDir);

        /* and everything the build made goes with its images */
        for (ImageInfo i : store.images()) {
            store.remove(i.name());
        }
        store.prune();
        try (Stream<Path> s = Files.list(storeDir.resolve("layers/sha256"))) {
            assertEquals(List.of(), s.toList(), "unpacked layers left after a prune");
        }
        Object owner = Files.getAttribute(storeDir, "unix:uid");
        try (Stream<Path> s = Files.walk(storeDir)) {
            List<Path> foreign = s.filter(p -> !owner.equals(uid(p))).toList();
            assertEquals(List.of(), foreign, "files of other owners left in the store");
        }
    }

    private static final String STAGES = """
            FROM base:1 AS first
            RUN mkdir -p /src/priv/deep && echo secret > /src/priv/deep/s && echo top > /src/f600 && ln /src/f600 /src/hard \\
                && ln -s priv/deep/s /src/link && chown -R 1000:1001 /src && chown -h 1000:1001 /src/link \\
                && chown 2000:2000 /src/f600 && chmod 600 /src/f600 /src/priv/deep/s && chmod 700 /src/priv \\
                && rm -r /var/old && mkdir /var/priv && chown 1000:1001 /var/priv && chmod 700 /var/priv
            FROM base:1
            COPY --from=first /src /copied/
            COPY --from=first /src/priv/deep/s /one
            COPY --from=first /var /v/
            """;

    /**
     * COPY --from reads another stage's files, and an image's, as they are: rootless a RUN's 0600
     * file or 0700 directory of another container user belongs to a subordinate ID that the
     * caller may not read, so it is read in the user namespace; the copies keep owners and modes.
     */
    @Test
    void copyFromAStageOrAnImageKeepsFilesOnlyTheirOwnersMayRead() throws Exception {
        Path storeDir = Files.createDirectory(dir.resolve("store"));
        ImageStore store = ImageStore.open(storeDir);
        store.importImage(Path.of(baseLayout(dir.resolve("base")) + ":1"), "base:1");
        Path context = Files.createDirectory(dir.resolve("context"));
        write(context.resolve("Dockerfile"), STAGES, "rw-r--r--");

        ImageBuilder.of(store, context).tag("out:1").build();
        List<String> layers = store.image("out:1").orElseThrow().layers();
        List<List<String>> entries = new ArrayList<>();
        for (String l : layers.subList(1, layers.size())) {
            entries.add(entries(storeDir.resolve("blobs/sha256").resolve(l.substring("sha256:".length()))));
        }
        assertEquals(List.of(
                List.of("copied/ 755 0:0", "copied/f600 600 2000:2000", "copied/hard 600 2000:2000",
                        "copied/link 777 1000:1001", "copied/priv/ 700 1000:1001", "copied/priv/deep/ 755 1000:1001",
                        "copied/priv/deep/s 600 1000:1001"),
                List.of("one 600 1000:1001"),
                List.of("v/ 755 0:0", "v/priv/ 700 1000:1001")), entries); /* the first stage deleted /var/old */
        assertNothingAside(storeDir);
        ContainerResult worker = Container.builder().rootfs(Rootfs.image(store, "out:1")).user(1000, 1001)
                .run("sh", "-c", "cat /copied/priv/deep/s /one /copied/link; readlink /copied/link; ls /v; "
                        + "stat -c '%u:%g %a %n' /copied/priv /copied/priv/deep /copied/priv/deep/s /one /v/priv");
        assertEquals("secret\nsecret\nsecret\npriv/deep/s\npriv\n1000:1001 700 /copied/priv\n1000:1001 755 /copied/priv/deep\n"
                + "1000:1001 600 /copied/priv/deep/s\n1000:1001 600 /one\n1000:1001 700 /v/priv\n", worker.stdout(),
                worker.stderr());
        ContainerResult app = Container.builder().rootfs(Rootfs.image(store, "out:1")).user(2000, 2000)
                .run("sh", "-c", "cat /copied/f600 /copied/hard; stat -c '%u:%g %a %n' /copied/f600 /copied/hard; "
                        + "cat /copied/priv/deep/s || echo denied");
        assertEquals("top\ntop\n2000:2000 600 /copied/f600\n2000:2000 600 /copied/hard\ndenied\n", app.stdout(),
                app.stderr());

        /* the first stage as an image of its own, and a glob through its 0700 directory */
        ImageBuilder.of(store, context).target("first").tag("first:1").build();
        write(context.resolve("Dockerfile"), """
                FROM base:1
                COPY --from=first:1 /src/priv/* /src/f* /glob/
                """, "rw-r--r--");
        ImageBuilder.of(store, context).tag("glob:1").build();
        assertEquals(0, ImageBuilder.of(store, context).tag("glob:1").build().steps().stream().filter(s -> !s.cached()).count(),
                "a rebuild reads the cache, without looking at the files again");
        List<String> globLayers = store.image("glob:1").orElseThrow().layers();
        assertEquals(List.of("glob/ 755 0:0", "glob/f600 600 2000:2000", "glob/s 600 1000:1001"),
                entries(storeDir.resolve("blobs/sha256").resolve(globLayers.get(1).substring("sha256:".length()))));
        ContainerResult glob = Container.builder().rootfs(Rootfs.image(store, "glob:1")).user(1000, 1001)
                .run("sh", "-c", "cat /glob/s; stat -c '%u:%g %a %n' /glob/s /glob/f600");
        assertEquals("secret\n1000:1001 600 /glob/s\n2000:2000 600 /glob/f600\n", glob.stdout(), glob.stderr());
        assertNothingAside(storeDir);

        for (ImageInfo i : store.images()) {
            store.remove(i.name());
        }
        store.prune();
        Object owner = Files.getAttribute(storeDir, "unix:uid");
        try (Stream<Path> s = Files.walk(storeDir)) {
            assertEquals(List.of(), s.filter(p -> !owner.equals(uid(p))).toList(), "files of other owners left in the store");
        }
    }

    /**
     * COPY and WORKDIR into another container user's 0700 directory keep that directory and what
     * it holds: rootless, the caller may not look into it, so the directories along the
     * destination are read in the user namespace (an existing directory there is not taken for
     * absent and replaced by a file, nor given root's owner and a new mode).
     */
    @Test
    void copyAndWorkdirIntoAnotherUsersPrivateDirectoryKeepItsOwnerAndMode() throws Exception {
        Path storeDir = Files.createDirectory(dir.resolve("store"));
        ImageStore store = ImageStore.open(storeDir);
        store.importImage(Path.of(baseLayout(dir.resolve("base")) + ":1"), "base:1");
        Path context = Files.createDirectory(dir.resolve("context"));
        write(context.resolve("a.txt"), "a\n", "rw-r--r--");
        write(context.resolve("Dockerfile"), """
                FROM base:1
                RUN mkdir -p /home/worker/.config/old && chown -R 1000:1001 /home/worker/.config \\
                    && chmod 700 /home/worker/.config
                COPY --chown=1000:1001 a.txt /home/worker/.config/app/
                COPY a.txt /home/worker/.config/old
                WORKDIR /home/worker/.config/w
                """, "rw-r--r--");

        ImageBuilder.of(store, context).tag("out:1").build();
        List<String> layers = store.image("out:1").orElseThrow().layers();
        List<List<String>> entries = new ArrayList<>();
        for (String l : layers.subList(2, layers.size())) {
            entries.add(entries(storeDir.resolve("blobs/sha256").resolve(l.substring("sha256:".length()))));
        }
        List<String> along = List.of("home/ 755 0:0", "home/worker/ 750 1000:1001", "home/worker/.config/ 700 1000:1001");
        assertEquals(List.of(
                concat(along, "home/worker/.config/app/ 755 1000:1001", "home/worker/.config/app/a.txt 644 1000:1001"),
                concat(along, "home/worker/.config/old/ 755 1000:1001", "home/worker/.config/old/a.txt 644 0:0"),
                concat(along, "home/worker/.config/w/ 755 0:0")), entries);
        assertNothingAside(storeDir);
        ContainerResult worker = Container.builder().rootfs(Rootfs.image(store, "out:1")).user(1000, 1001)
                .run("sh", "-c", "pwd; cat /home/worker/.config/app/a.txt; cd /home/worker/.config; "
                        + "stat -c '%u:%g %a %n' . app app/a.txt old old/a.txt w");
        assertEquals("/home/worker/.config/w\na\n1000:1001 700 .\n1000:1001 755 app\n1000:1001 644 app/a.txt\n"
                + "1000:1001 755 old\n0:0 644 old/a.txt\n0:0 755 w\n", worker.stdout(), worker.stderr());
    }

    private static List<String> concat(List<String> head, String... tail) {
        List<String> out = new ArrayList<>(head);
        out.addAll(List.of(tail));
        return out;
    }

    /** No writable layer and no temporary tree left in the store. */
    private static void assertNothingAside(Path storeDir) throws IOException {
        for (String d : List.of("runs", "tmp")) {
            Path p = storeDir.resolve(d);
            if (Files.isDirectory(p)) {
                try (Stream<Path> s = Files.list(p)) {
                    assertEquals(List.of(), s.toList(), "left in " + p);
                }
            }
        }
    }

    private static Object uid(Path p) {
        try {
            return Files.getAttribute(p, "unix:uid", LinkOption.NOFOLLOW_LINKS);
        } catch (IOException e) {
            return e.toString();
        }
    }

    private static void write(Path p, String text, String mode) throws IOException {
        Files.writeString(p, text);
        Files.setPosixFilePermissions(p, PosixFilePermissions.fromString(mode));
    }

    private static List<String> entries(Path layer) throws IOException {
        List<String> out = new ArrayList<>();
        try (InputStream in = Files.newInputStream(layer); TarArchiveInputStream tar = new TarArchiveInputStream(in)) {
            for (TarArchiveEntry e; (e = tar.getNextEntry()) != null; ) {
                out.add(e.getName() + " " + Integer.toOctalString(e.getMode() & 07777) + " " + e.getLongUserId() + ":"
                        + e.getLongGroupId());
            }
        }
        return out;
    }

    /**
     * An OCI layout with tag 1: busybox, a {@code worker} (1000:1001) whose home is 0750, written
     * here so that an unprivileged test can make it (umoci would need root to give owners).
     */
    static Path baseLayout(Path layout) throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (TarArchiveOutputStream tar = new TarArchiveOutputStream(bytes)) {
            tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
            for (String d : List.of("bin/", "dev/", "etc/", "home/", "proc/", "sys/", "var/", "var/old/")) {
                entry(tar, d, 0755, 0, null);
            }
            entry(tar, "root/", 0700, 0, null);
            entry(tar, "tmp/", 01777, 0, null);
            entry(tar, "home/worker/", 0750, 1000, null);
            entry(tar, "bin/busybox", 0755, 0, Files.readAllBytes(TestRootfs.BUSYBOX));
            for (String a : BuildFixtures.APPLETS) {
                TarArchiveEntry l = new TarArchiveEntry("bin/" + a, TarConstants.LF_SYMLINK);
                l.setLinkName("busybox");
                tar.putArchiveEntry(l);
                tar.closeArchiveEntry();
            }
            entry(tar, "etc/passwd", 0644, 0, "root:x:0:0:root:/root:/bin/sh\nworker:x:1000:1001::/home/worker:/bin/sh\n"
                    .getBytes(StandardCharsets.UTF_8));
            entry(tar, "etc/group", 0644, 0, "root:x:0:\nworkers:x:1001:\n".getBytes(StandardCharsets.UTF_8));
            entry(tar, "etc/motd", 0644, 0, "base\n".getBytes(StandardCharsets.UTF_8));
            entry(tar, "var/old/file", 0644, 0, "old\n".getBytes(StandardCharsets.UTF_8));
            tar.finish();
        }
        byte[] layer = bytes.toByteArray();
        String arch = System.getProperty("os.arch").equals("aarch64") ? "arm64" : "amd64";
        byte[] config = ("{\"architecture\":\"" + arch + "\",\"os\":\"linux\",\"config\":{\"Env\":[\"PATH=/bin\"],"
                + "\"Cmd\":[\"sh\"]},\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"" + digest(layer) + "\"]}}")
                .getBytes(StandardCharsets.UTF_8);
        byte[] manifest = ("{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
                + "\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"digest\":\"" + digest(config)
                + "\",\"size\":" + config.length + "},\"layers\":[{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar\","
                + "\"digest\":\"" + digest(layer) + "\",\"size\":" + layer.length + "}]}").getBytes(StandardCharsets.UTF_8);
        Path blobs = Files.createDirectories(layout.resolve("blobs/sha256"));
        for (byte[] b : List.of(layer, config, manifest)) {
            Files.write(blobs.resolve(digest(b).substring("sha256:".length())), b);
        }
        Files.writeString(layout.resolve("oci-layout"), "{\"imageLayoutVersion\":\"1.0.0\"}");
        Files.writeString(layout.resolve("index.json"), "{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":"
                + "\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\"" + digest(manifest) + "\",\"size\":"
                + manifest.length + ",\"annotations\":{\"org.opencontainers.image.ref.name\":\"1\"}}]}");
        return layout;
    }

    private static void entry(TarArchiveOutputStream tar, String name, int mode, int owner, byte[] data) throws IOException {
        TarArchiveEntry e = new TarArchiveEntry(name);
        e.setMode(mode);
        e.setIds(owner, owner == 1000 ? 1001 : owner);
        if (data != null) {
            e.setSize(data.length);
        }
        tar.putArchiveEntry(e);
        if (data != null) {
            tar.write(data);
        }
        tar.closeArchiveEntry();
    }

    private static String digest(byte[] b) throws Exception {
        return "sha256:" + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
    }
}
