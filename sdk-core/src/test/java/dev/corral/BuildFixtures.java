package dev.corral;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;

/** Base images and build contexts for the build tests, made by umoci from busybox. */
final class BuildFixtures {
    static final List<String> APPLETS = List.of("sh", "ls", "cat", "echo", "true", "sleep", "id", "env", "touch",
            "mkdir", "pwd", "rm", "find", "sort", "stat", "md5sum", "test", "[", "readlink", "wc", "grep", "chmod",
            "chown", "ln", "mv", "cp", "printf", "sed", "head");

    private BuildFixtures() {}

    /**
     * An OCI layout {@code dir/bb} with tag {@code 1}: busybox, /etc/passwd and group with a
     * {@code worker} user (1000:1001) and group {@code workers}, the usual empty directories.
     */
    static Path busyboxLayout(Path dir) throws IOException, InterruptedException {
        OciFixtures.requireTools();
        OciFixtures.run(dir, "umoci", "init", "--layout", "bb");
        OciFixtures.run(dir, "umoci", "new", "--image", "bb:1");
        OciFixtures.run(dir, "umoci", "unpack", "--image", "bb:1", "bb-unpacked");
        Path r = dir.resolve("bb-unpacked/rootfs");
        Path bin = Files.createDirectories(r.resolve("bin"));
        Files.copy(TestRootfs.BUSYBOX, bin.resolve("busybox"));
        for (String a : APPLETS) {
            Files.createSymbolicLink(bin.resolve(a), Path.of("busybox"));
        }
        Path etc = Files.createDirectories(r.resolve("etc"));
        Files.writeString(etc.resolve("passwd"), "root:x:0:0:root:/root:/bin/sh\nworker:x:1000:1001::/home/worker:/bin/sh\n");
        Files.writeString(etc.resolve("group"), "root:x:0:\nworkers:x:1001:\n");
        Files.writeString(etc.resolve("motd"), "base\n");
        for (String d : List.of("dev", "proc", "sys", "root", "home/worker", "var/old")) {
            Files.createDirectories(r.resolve(d));
        }
        Files.writeString(r.resolve("var/old/file"), "old\n");
        Path tmp = Files.createDirectories(r.resolve("tmp"));
        Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwxrwxrwx"));
        OciFixtures.run(dir, "chmod", "1777", tmp.toString());
        OciFixtures.run(dir, "chown", "1000:1001", r.resolve("home/worker").toString());
        OciFixtures.run(dir, "umoci", "repack", "--image", "bb:1", "bb-unpacked");
        OciFixtures.run(dir, "umoci", "config", "--image", "bb:1", "--config.env", "PATH=/bin", "--config.cmd", "sh");
        return dir.resolve("bb");
    }
}
