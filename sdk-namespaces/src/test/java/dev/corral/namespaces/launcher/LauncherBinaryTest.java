package dev.corral.namespaces.launcher;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The launcher's two homes: a sealed memfd, and the checked cache file where memfds cannot run. */
class LauncherBinaryTest {
    @TempDir
    Path dir;

    @Test
    void theCacheFileHoldsThePackedLauncherAndATamperedOneIsWrittenAgain() throws IOException {
        LauncherBinary binary = LauncherBinary.packed();
        Path file = binary.verifiedCacheFile(dir);
        byte[] packed = Files.readAllBytes(file);
        assertTrue(packed.length > 1000, "a whole executable");
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));

        Files.write(file, new byte[] {0x7f, 'E', 'L', 'F'});
        assertEquals(file, binary.verifiedCacheFile(dir));
        assertArrayEquals(packed, Files.readAllBytes(file));
    }

    @Test
    void theMemfdIsSealedAndHoldsTheSameBytes() throws IOException {
        LauncherBinary binary = LauncherBinary.packed();
        Path memfd = Path.of(binary.memfdPath());
        assertArrayEquals(Files.readAllBytes(binary.verifiedCacheFile(dir)), Files.readAllBytes(memfd));
        assertTrue(Files.isExecutable(memfd));
        try {
            Files.write(memfd, new byte[] {0});
            throw new AssertionError("a write into the sealed launcher memfd succeeded");
        } catch (IOException expected) {
            // F_SEAL_WRITE: EPERM
        }
    }
}
