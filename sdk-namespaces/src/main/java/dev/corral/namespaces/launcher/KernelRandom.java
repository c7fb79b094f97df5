package dev.corral.namespaces.launcher;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HexFormat;

/**
 * Random bytes read from the kernel ({@code /dev/urandom}, what {@code SecureRandom}'s default
 * provider on Linux reads as well), for the names and tokens a container's start needs. Not
 * {@code SecureRandom} itself: its first use loads and configures the security providers, about
 * 30 ms of CPU that a short-lived command line pays on every start. Where {@code /dev/urandom}
 * cannot be read, {@code SecureRandom} is used.
 *
 * <pre>{@code
 * byte[] token = KernelRandom.bytes(32);
 * Path dir = KernelRandom.privateDirectory(base, "corral-");   // base/corral-<16 hex digits>, 0700
 * }</pre>
 */
public final class KernelRandom {
    private static final Path URANDOM = Path.of("/dev/urandom");

    private KernelRandom() {}

    /**
     * @param n how many
     * @return n random bytes
     */
    public static byte[] bytes(int n) {
        byte[] b = new byte[n];
        try (InputStream in = Files.newInputStream(URANDOM)) {
            if (in.readNBytes(b, 0, n) == n) {
                return b;
            }
        } catch (IOException e) {
            /* no /dev/urandom here: SecureRandom finds another source */
        }
        new java.security.SecureRandom().nextBytes(b);
        return b;
    }

    /** @return 64 random bits as 16 hexadecimal digits */
    public static String hex64() {
        return HexFormat.of().formatHex(bytes(8));
    }

    /**
     * Makes a new directory only this user may enter, with a random name, as
     * {@code Files.createTempDirectory} does with permissions {@code rwx------}.
     *
     * @param parent where
     * @param prefix the name's start
     * @return the new directory
     * @throws IOException if it cannot be made
     */
    public static Path privateDirectory(Path parent, String prefix) throws IOException {
        for (int attempt = 0; ; attempt++) {
            Path dir = parent.resolve(prefix + hex64());
            try {
                return Files.createDirectory(dir,
                        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            } catch (FileAlreadyExistsException e) {
                if (attempt == 8) {
                    throw e;
                }
            }
        }
    }
}
