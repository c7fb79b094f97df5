package dev.corral.namespaces.launcher;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Locale;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The launcher executable, made runnable without a C compiler and without any path a
 * container could write to (the runc CVE-2019-5736 class): its bytes, packed in this jar per
 * architecture, go into a sealed memfd that nothing can modify, executed through
 * {@code /proc/<jvm pid>/fd/N}. Where the kernel forbids executing a memfd
 * ({@code vm.memfd_noexec=2}) or lacks memfds, a cache file in the user's cache directory is
 * used instead, whose SHA-256 is checked against the packed bytes before every start.
 */
final class LauncherBinary {
    private static final Logger log = LoggerFactory.getLogger(LauncherBinary.class);

    private static final int MFD_CLOEXEC = 0x1, MFD_ALLOW_SEALING = 0x2, MFD_EXEC = 0x10;
    private static final int F_ADD_SEALS = 1033;
    private static final int F_SEAL_SEAL = 0x1, F_SEAL_SHRINK = 0x2, F_SEAL_GROW = 0x4, F_SEAL_WRITE = 0x8;
    private static final int EINVAL = 22;

    private final byte[] bytes;
    private String sha256; /* computed only for the cache file: hashing costs a CLI start ~20 ms of CPU */
    private String memfdPath;

    private LauncherBinary(byte[] bytes) {
        this.bytes = bytes;
    }

    static LauncherBinary packed() {
        String arch = architecture();
        String resource = "linux-" + arch + "/corral-launcher";
        try (InputStream in = LauncherBinary.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new LauncherUnavailableException("this Corral build has no launcher for linux-" + arch
                        + " (os.arch=" + System.getProperty("os.arch") + "); it holds the build machine's"
                        + " architecture and those a cross compiler was installed for", null);
            }
            return new LauncherBinary(in.readAllBytes());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the packed launcher " + resource, e);
        }
    }

    static String architecture() {
        String arch = System.getProperty("os.arch").toLowerCase(Locale.ROOT);
        return switch (arch) {
            case "amd64", "x86_64" -> "x86_64";
            case "aarch64", "arm64" -> "aarch64";
            default -> arch;
        };
    }

    /** @return a path to execute the launcher from: a sealed memfd of this JVM */
    synchronized String memfdPath() {
        if (memfdPath == null) {
            memfdPath = createSealedMemfd();
        }
        return memfdPath;
    }

    private String createSealedMemfd() {
        long name = NativeCalls.copyIn("corral-launcher\0".getBytes(StandardCharsets.US_ASCII));
        int fd;
        try {
            fd = (int) NativeCalls.MEMFD_CREATE.call(name, MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_EXEC);
            if (fd < 0 && NativeCalls.errno() == EINVAL) { /* kernels before 6.3 know no MFD_EXEC */
                fd = (int) NativeCalls.MEMFD_CREATE.call(name, MFD_CLOEXEC | MFD_ALLOW_SEALING);
            }
        } finally {
            NativeCalls.free(name);
        }
        if (fd < 0) {
            throw new IllegalStateException("memfd_create: " + Errno.name(NativeCalls.errno()));
        }
        long memory = NativeCalls.copyIn(bytes);
        try {
            for (int done = 0; done < bytes.length; ) {
                long n = NativeCalls.WRITE.call(fd, memory + done, bytes.length - done);
                if (n <= 0) {
                    int err = NativeCalls.errno();
                    NativeCalls.CLOSE.call(fd);
                    throw new IllegalStateException("write to the launcher memfd: " + Errno.name(err));
                }
                done += (int) n;
            }
        } finally {
            NativeCalls.free(memory);
        }
        if (NativeCalls.FCNTL.call(fd, F_ADD_SEALS, F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE) < 0) {
            int err = NativeCalls.errno();
            NativeCalls.CLOSE.call(fd);
            throw new IllegalStateException("sealing the launcher memfd: " + Errno.name(err));
        }
        String path = "/proc/" + ProcessHandle.current().pid() + "/fd/" + fd;
        log.debug("launcher sealed in memfd {} ({} bytes)", path, bytes.length);
        return path;
    }

    /**
     * @return a cache file holding the launcher, written once per content and checked against
     *     the packed bytes' SHA-256 on every call
     */
    Path verifiedCacheFile() {
        String xdg = System.getenv("XDG_CACHE_HOME");
        return verifiedCacheFile((xdg != null && !xdg.isEmpty() ? Path.of(xdg) : Path.of(System.getProperty("user.home"), ".cache"))
                .resolve("corral"));
    }

    /** {@link #verifiedCacheFile()} in the given directory. */
    synchronized Path verifiedCacheFile(Path dir) {
        if (sha256 == null) {
            sha256 = sha256(bytes);
        }
        Path file = dir.resolve("corral-launcher-" + sha256.substring(0, 16));
        try {
            Files.createDirectories(dir);
            if (!Files.isRegularFile(file) || !sha256(Files.readAllBytes(file)).equals(sha256)) {
                Path tmp = Files.createTempFile(dir, ".launcher", ".tmp",
                        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
                Files.write(tmp, bytes);
                try {
                    Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                } catch (AtomicMoveNotSupportedException e) {
                    Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
                }
            }
            if (!sha256(Files.readAllBytes(file)).equals(sha256)) {
                throw new IllegalStateException("the launcher cache file " + file + " does not match the packed launcher");
            }
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the launcher cache file " + file, e);
        }
    }

    private static String sha256(byte[] data) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
