package dev.corral;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** Root file systems for tests, made from what CI installs (busybox-static). */
final class TestRootfs {
    static final Path BUSYBOX = Path.of("/bin/busybox");

    private TestRootfs() {}

    /**
     * A minimal root file system: a static busybox and its applets, nothing else.
     *
     * @param dir an empty directory
     * @return dir
     */
    static Path busybox(Path dir) {
        if (!Files.isExecutable(BUSYBOX)) {
            throw new IllegalStateException("tests need a static busybox at /bin/busybox: apt-get install busybox-static");
        }
        try {
            Path bin = Files.createDirectories(dir.resolve("bin"));
            Files.copy(BUSYBOX, bin.resolve("busybox"));
            for (String applet : List.of("sh", "ls", "cat", "echo", "true", "false", "sleep", "id", "hostname", "env",
                    "touch", "mkdir", "pwd", "ps", "kill", "wc", "grep", "readlink", "stat", "mount", "rm")) {
                Files.createSymbolicLink(bin.resolve(applet), Path.of("busybox"));
            }
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
