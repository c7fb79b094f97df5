package dev.corral;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Images made by tools no one here wrote: umoci builds an OCI layout from a busybox root file
 * system and adds a layer that deletes and replaces files; skopeo converts it to a docker-save
 * archive. Both are Debian packages that .ci/run installs.
 */
final class OciFixtures {
    /** The applets the image's busybox answers to. */
    static final List<String> APPLETS = List.of("sh", "ls", "cat", "echo", "true", "sleep", "id", "env", "touch",
            "mkdir", "pwd", "rm", "find", "sort", "stat", "md5sum", "test", "[", "readlink", "wc", "grep");

    /** The command that prints a tree: every path but the mount points, its type, mode, owner, size and digest. */
    static final String TREE = "cd / && find . -xdev | sort | while read -r f; do "
            + "case \"$f\" in .|./proc|./dev|./tmp) continue;; esac; "
            + "stat -c '%n %F %a %u:%g %s' \"$f\"; "
            + "if [ -f \"$f\" ] && [ ! -L \"$f\" ]; then md5sum \"$f\"; fi; "
            + "if [ -L \"$f\" ]; then readlink \"$f\"; fi; done";

    private OciFixtures() {}

    static String run(Path dir, String... cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (p.waitFor() != 0) {
            throw new IOException(String.join(" ", cmd) + " failed: " + out);
        }
        return out;
    }

    static void requireTools() {
        for (String tool : List.of("/usr/bin/umoci", "/usr/bin/skopeo")) {
            if (!Files.isExecutable(Path.of(tool))) {
                throw new IllegalStateException("tests need " + tool + ": apt-get install umoci skopeo (.ci/run does)");
            }
        }
    }

    /**
     * Builds {@code dir/oci} with two tags: {@code base} (busybox, /etc files, a config with
     * defaults) and {@code v2} (base plus a layer that deletes, replaces and adds), and
     * {@code dir/expected/rootfs}: v2 as umoci itself unpacks it.
     *
     * @param dir an empty directory
     * @return the layout directory
     */
    static Path layout(Path dir) throws IOException, InterruptedException {
        requireTools();
        run(dir, "umoci", "init", "--layout", "oci");
        run(dir, "umoci", "new", "--image", "oci:base");
        run(dir, "umoci", "unpack", "--image", "oci:base", "b1");
        Path r = dir.resolve("b1/rootfs");
        Path bin = Files.createDirectories(r.resolve("bin"));
        Files.copy(TestRootfs.BUSYBOX, bin.resolve("busybox"));
        for (String a : APPLETS) {
            Files.createSymbolicLink(bin.resolve(a), Path.of("busybox"));
        }
        Path etc = Files.createDirectories(r.resolve("etc"));
        Files.writeString(etc.resolve("a"), "one\n");
        Files.writeString(etc.resolve("b"), "keep\n");
        Files.writeString(etc.resolve("passwd"), "root:x:0:0:root:/:/bin/sh\nworker:x:1000:1001::/work:/bin/sh\n");
        Files.writeString(etc.resolve("group"), "root:x:0:\nworkers:x:1001:\n");
        Files.createDirectories(r.resolve("gone/deep"));
        Files.writeString(r.resolve("gone/deep/file"), "to be deleted\n");
        Files.createDirectories(r.resolve("opq"));
        Files.writeString(r.resolve("opq/x"), "x\n");
        Files.writeString(r.resolve("opq/y"), "y\n");
        Files.createDirectories(r.resolve("work"));
        run(dir, "umoci", "repack", "--image", "oci:base", "b1");
        run(dir, "umoci", "config", "--image", "oci:base", "--config.env", "PATH=/bin", "--config.env", "GREETING=image",
                "--config.entrypoint", "/bin/sh", "--config.cmd", "-c", "--config.cmd", "echo $GREETING in $(pwd) as $(id -u):$(id -g)",
                "--config.workingdir", "/work", "--config.user", "worker");

        run(dir, "umoci", "unpack", "--image", "oci:base", "b2");
        Path r2 = dir.resolve("b2/rootfs");
        Files.delete(r2.resolve("etc/a"));
        Files.writeString(r2.resolve("etc/b"), "replaced\n");
        deleteTree(r2.resolve("gone"));
        deleteTree(r2.resolve("opq"));
        Files.createDirectories(r2.resolve("opq"));
        Files.writeString(r2.resolve("opq/z"), "z\n");
        Files.createSymbolicLink(r2.resolve("etc/link"), Path.of("b"));
        Files.createDirectories(r2.resolve("new/dir"));
        run(dir, "umoci", "repack", "--image", "oci:v2", "b2");
        run(dir, "umoci", "unpack", "--image", "oci:v2", "expected");
        return dir.resolve("oci");
    }

    /** @return a docker-save archive of {@code layout:tag}, written by skopeo */
    static Path dockerArchive(Path layout, String tag, Path out, String name) throws IOException, InterruptedException {
        run(out.getParent(), "skopeo", "copy", "--quiet", "oci:" + layout + ":" + tag, "docker-archive:" + out + ":" + name);
        return out;
    }

    static void deleteTree(Path p) throws IOException {
        if (!Files.exists(p, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        List<Path> all = new ArrayList<>();
        try (var s = Files.walk(p)) {
            s.forEach(all::add);
        }
        for (int i = all.size() - 1; i >= 0; i--) {
            Files.delete(all.get(i));
        }
    }
}
