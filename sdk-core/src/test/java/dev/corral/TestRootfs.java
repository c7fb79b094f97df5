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
     * Makes a directory usable by a default container, whose root is an unprivileged host ID
     * (as root: a user namespace mapped to a high range): sets its mode and lets everyone
     * through its parents up to /tmp.
     *
     * @param dir a directory
     * @param mode e.g. rwxr-xr-x
     */
    static void openUp(Path dir, String mode) {
        try {
            Files.setPosixFilePermissions(dir, java.nio.file.attribute.PosixFilePermissions.fromString(mode));
            for (Path p = dir.toAbsolutePath().getParent(); p != null && p.getNameCount() > 1; p = p.getParent()) {
                var perms = Files.getPosixFilePermissions(p);
                perms.add(java.nio.file.attribute.PosixFilePermission.OTHERS_EXECUTE);
                Files.setPosixFilePermissions(p, perms);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

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
            openUp(dir, "rwxr-xr-x"); /* a @TempDir is 0700: the container's root is an unprivileged host ID */
            Path bin = Files.createDirectories(dir.resolve("bin"));
            for (String mountPoint : List.of("proc", "dev", "tmp")) { /* the container may not create them */
                Files.createDirectories(dir.resolve(mountPoint));
            }
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
