package dev.corral;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.corral.image.BuildResult;
import dev.corral.image.ImageBuilder;
import dev.corral.image.ImageStore;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The same Dockerfiles built by Corral and by buildah (which also builds without a daemon;
 * vfs storage and chroot isolation under a temp dir, never a system store), both written as OCI
 * layouts and unpacked by umoci: the same files, owners and modes, and the same config.
 */
class BuildahComparisonTest {
    static final Path BUILDAH = Path.of("/usr/bin/buildah");
    /** The start of the SHA-256 of nothing. */
    static final String EMPTY = "e3b0c44298fc1c14";

    @TempDir
    static Path fixtures;
    static Path base;

    @TempDir
    Path work;

    @BeforeAll
    static void baseImage() throws Exception {
        if (!Files.isExecutable(BUILDAH)) {
            throw new IllegalStateException("tests need " + BUILDAH + ": apt-get install buildah (.ci/run does)");
        }
        base = BuildFixtures.busyboxLayout(fixtures);
    }

    /** Builds with both, unpacks both with umoci, and compares. */
    private void compare(String dockerfile, Map<String, String> files) throws Exception {
        Path ctx = Files.createDirectories(work.resolve("ctx"));
        for (Map.Entry<String, String> f : files.entrySet()) {
            Path p = ctx.resolve(f.getKey());
            Files.createDirectories(p.getParent());
            Files.writeString(p, f.getValue());
        }
        Files.writeString(ctx.resolve("Dockerfile.corral"), dockerfile.replace("@BASE@", "bb:1"));
        Files.writeString(ctx.resolve("Dockerfile.buildah"), dockerfile.replace("@BASE@", "oci:" + base + ":1"));

        ImageStore store = ImageStore.open(work.resolve("store"));
        store.importImage(Path.of(base + ":1"), "bb:1");
        Path ours = work.resolve("ours");
        BuildResult r = ImageBuilder.of(store, ctx).dockerfile(ctx.resolve("Dockerfile.corral")).tag("t:1")
                .ociLayout(ours).build();
        assertTrue(r.stepsRun() > 0);

        Path theirs = work.resolve("theirs");
        String[] storage = {"--storage-driver", "vfs", "--root", work.resolve("b-root").toString(), "--runroot",
                work.resolve("b-runroot").toString()};
        buildah(storage, "bud", "--isolation", "chroot", "--quiet", "-f", ctx.resolve("Dockerfile.buildah").toString(),
                "-t", "t:1", ctx.toString());
        buildah(storage, "push", "--quiet", "t:1", "oci:" + theirs + ":1");

        assertSameImage(work, ours, "1", theirs, "1");
        buildah(storage, "rmi", "--all", "--force");
    }

    /** Unpacks both layouts with umoci and compares their trees and configs. */
    static void assertSameImage(Path work, Path ours, String ourTag, Path theirs, String theirTag) throws Exception {
        assertSameImage(work, ours, ourTag, theirs, theirTag, Set.of());
    }

    /**
     * The same, setting aside files whose content buildah's layer missed: its vfs diff tells a
     * changed file by size and mtime, so a rewrite that keeps both (a backup written by
     * useradd, which restores the mtime) is not in its layer. For those only the content may
     * differ; the caller checks what Corral's holds.
     */
    static void assertSameImage(Path work, Path ours, String ourTag, Path theirs, String theirTag,
                                Set<String> buildahMisses) throws Exception {
        OciFixtures.run(work, "umoci", "unpack", "--image", ours + ":" + ourTag, "ours-unpacked");
        OciFixtures.run(work, "umoci", "unpack", "--image", theirs + ":" + theirTag, "theirs-unpacked");
        Map<String, String> a = tree(work.resolve("ours-unpacked/rootfs"));
        Map<String, String> b = tree(work.resolve("theirs-unpacked/rootfs"));
        /* what buildah's RUN leaves behind and docker build does not: the empty files it mounts
           over and /run; left out only when they are exactly that */
        for (String f : List.of("/etc/hostname", "/etc/hosts", "/etc/resolv.conf")) {
            b.computeIfPresent(f, (k, v) -> v.endsWith(" 0 " + EMPTY) && !a.containsKey(k) ? null : v);
        }
        b.computeIfPresent("/run", (k, v) -> v.equals("/run 40755 0:0") && !a.containsKey(k) ? null : v);
        for (String f : buildahMisses) {
            String x = a.remove(f);
            String y = b.remove(f);
            assertTrue(x != null && y != null && x.substring(0, x.lastIndexOf(' ')).equals(y.substring(0, y.lastIndexOf(' '))),
                    f + ": only its content may differ: " + x + " vs " + y);
        }
        List<String> onlyOurs = a.values().stream().filter(x -> !b.containsValue(x)).toList();
        List<String> onlyTheirs = b.values().stream().filter(x -> !a.containsValue(x)).toList();
        assertEquals(List.of(), onlyOurs, "corral's tree has these, buildah's has instead " + onlyTheirs);
        assertEquals(List.of(), onlyTheirs, "buildah's tree has these, corral's lacks them");
        assertEquals(config(theirs, theirTag), config(ours, ourTag));
    }

    static void buildah(String[] storage, String... args) throws Exception {
        List<String> cmd = new java.util.ArrayList<>(List.of(BUILDAH.toString()));
        cmd.addAll(List.of(storage));
        cmd.addAll(List.of(args));
        OciFixtures.run(Path.of("/"), cmd.toArray(String[]::new));
    }

    /** Every path: type, mode, owner, size and content digest or link target; not times. */
    static Map<String, String> tree(Path root) throws IOException {
        Map<String, String> out = new TreeMap<>();
        try (Stream<Path> s = Files.walk(root)) {
            for (Path p : s.toList()) {
                String rel = "/" + root.relativize(p);
                Map<String, Object> a = Files.readAttributes(p, "unix:mode,uid,gid,size", LinkOption.NOFOLLOW_LINKS);
                StringBuilder line = new StringBuilder(rel).append(' ')
                        .append(Integer.toOctalString((Integer) a.get("mode"))).append(' ')
                        .append(a.get("uid")).append(':').append(a.get("gid"));
                if (Files.isSymbolicLink(p)) {
                    line.append(" -> ").append(Files.readSymbolicLink(p));
                } else if (Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) {
                    line.append(' ').append(a.get("size")).append(' ').append(sha(p));
                }
                out.put(rel, line.toString());
            }
        }
        return out;
    }

    private static String sha(Path p) throws IOException {
        try (InputStream in = Files.newInputStream(p)) {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            byte[] buf = new byte[65536];
            for (int n; (n = in.read(buf)) > 0; ) {
                md.update(buf, 0, n);
            }
            return HexFormat.of().formatHex(md.digest()).substring(0, 16);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The config fields a container runs by, read from a layout with skopeo. */
    static Map<String, Object> config(Path layout, String tag) throws Exception {
        String json = OciFixtures.run(layout.getParent(), "skopeo", "inspect", "--config", "oci:" + layout + ":" + tag);
        Map<String, Object> doc = dev.corral.internal.image.BuildStorage.parseJson(
                json.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        @SuppressWarnings("unchecked")
        Map<String, Object> c = (Map<String, Object>) doc.get("config");
        Map<String, Object> out = new LinkedHashMap<>();
        for (String k : List.of("Env", "Cmd", "Entrypoint", "WorkingDir", "User", "ExposedPorts")) {
            Object v = c.get(k);
            out.put(k, v == null || "".equals(v) ? "" : v);
        }
        return out;
    }

    @Test
    void aSingleStageBuildThatAddsChangesAndDeletesFiles() throws Exception {
        compare("""
                FROM @BASE@
                ENV APP=/srv/app GREETING="hi there"
                WORKDIR /srv/app
                COPY --chown=worker:workers conf/ ./conf/
                COPY --chown=1000 run.sh /usr/local/bin/
                COPY data.txt .
                RUN echo made > made.txt && echo changed >> /etc/motd && rm -r /var/old \\
                    && mkdir -p /var/new/deep && chmod 700 /var/new && chown -R 1000:1001 /var/new/deep \\
                    && ln -s /srv/app/made.txt /made-link && chmod 4755 /usr/local/bin/run.sh
                USER worker
                EXPOSE 8080 53/udp
                ENTRYPOINT ["/bin/sh"]
                CMD ["-c", "cat made.txt"]
                """, Map.of("conf/a.conf", "a=1\n", "conf/sub/b.conf", "b=2\n", "run.sh", "#!/bin/sh\necho run\n",
                "data.txt", "data\n"));
    }

    @Test
    void aMultiStageBuildThatCopiesFromAnEarlierStage() throws Exception {
        compare("""
                FROM @BASE@ AS build
                RUN mkdir /out && echo tool > /out/tool && chmod 755 /out/tool && chown 1000:1001 /out/tool
                FROM @BASE@
                COPY --from=build /out/tool /usr/bin/tool
                COPY --from=build --chown=0:1001 /out /opt/out
                WORKDIR /opt
                CMD ["tool"]
                """, Map.of("unused.txt", "x\n"));
    }
}
