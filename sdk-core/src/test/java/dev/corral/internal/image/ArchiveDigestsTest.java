package dev.corral.internal.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The archive digest cache in the store: read by the next JVM, keyed on the file's version. */
class ArchiveDigestsTest {
    @TempDir
    Path dir;

    private Path cacheFile(Path archive) throws IOException {
        return ArchiveDigests.cacheFile(dir.resolve("store"), archive);
    }

    @Test
    void aDigestIsStoredAndWhatTheStoreHoldsIsWhatANewJvmGets() throws IOException {
        Path store = Files.createDirectories(dir.resolve("store"));
        Path a = Files.writeString(dir.resolve("a.tar"), "first");
        String digest = ArchiveDigests.digest(store, a);
        assertEquals(Digests.of(Files.readAllBytes(a)), digest);
        assertEquals(ArchiveDigests.key(a) + "\n" + digest + "\n", Files.readString(cacheFile(a)));

        /* a file this JVM has not hashed: the store's entry is taken as it is, without reading the archive */
        Path b = Files.writeString(dir.resolve("b.tar"), "second");
        String planted = "sha256:" + "0".repeat(64);
        Files.createDirectories(cacheFile(b).getParent());
        Files.writeString(cacheFile(b), ArchiveDigests.key(b) + "\n" + planted + "\n");
        assertEquals(planted, ArchiveDigests.digest(store, b));

        /* an entry for another version of the same inode is not taken */
        Path c = Files.writeString(dir.resolve("c.tar"), "third");
        Files.createDirectories(cacheFile(c).getParent());
        Files.writeString(cacheFile(c), ArchiveDigests.key(c) + "|older\n" + planted + "\n");
        assertEquals(Digests.of(Files.readAllBytes(c)), ArchiveDigests.digest(store, c));
    }

    @Test
    void anyChangeToTheFileIsANewVersion() throws IOException, InterruptedException {
        Path store = Files.createDirectories(dir.resolve("store"));
        Path a = Files.writeString(dir.resolve("a.tar"), "12345");
        String key = ArchiveDigests.key(a);
        FileTime mtime = Files.getLastModifiedTime(a);
        Thread.sleep(20); /* file times move in clock ticks: make sure one passes */
        /* same size, modification time set back: the status-change time still moves */
        Files.writeString(a, "54321", StandardOpenOption.TRUNCATE_EXISTING);
        Files.setLastModifiedTime(a, mtime);
        assertNotEquals(key, ArchiveDigests.key(a));
        assertEquals(Digests.of("54321".getBytes(StandardCharsets.UTF_8)), ArchiveDigests.digest(store, a));
    }
}
