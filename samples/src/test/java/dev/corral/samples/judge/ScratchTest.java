package dev.corral.samples.judge;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.corral.Container;
import dev.corral.ContainerResult;
import dev.corral.Mount;
import dev.corral.unit.DataSize;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Files into a run's scratch directory and out of it, within caps. */
class ScratchTest {

    @TempDir
    Path dir;

    @Test
    void filesGoInAndComeOutOfARealContainer() throws Exception {
        Path source = Files.writeString(dir.resolve("in.txt"), "hello");
        Path kept;
        try (Scratch s = Scratch.create("test")) {
            kept = s.directory();
            s.copyIn(source, "in.txt", DataSize.ofKibibytes(1), DataSize.ofKibibytes(1));
            ContainerResult r = Container.builder().mount(Mount.bindReadWrite(s.directory(), "/work"))
                    .run("/bin/sh", "-c", "cat /work/in.txt > /work/out.txt && echo ' world' >> /work/out.txt");
            assertTrue(r.succeeded(), r.toString());
            Map<String, byte[]> out = s.copyOut(DataSize.ofKibibytes(1), DataSize.ofKibibytes(2));
            assertArrayEquals("hello world\n".getBytes(), out.get("out.txt"));
            assertEquals(2, out.size());
        }
        assertFalse(Files.exists(kept), "the scratch directory is removed");
    }

    @Test
    void capsAreAClearResult() throws IOException {
        Path big = Files.write(dir.resolve("big"), new byte[2048]);
        Path small = Files.write(dir.resolve("small"), new byte[600]);
        try (Scratch s = Scratch.create("test")) {
            assertTrue(assertThrows(Scratch.CapExceededException.class,
                    () -> s.copyIn(big, "big", DataSize.ofKibibytes(1), DataSize.ofKibibytes(4))).getMessage()
                    .contains("per file"));
            assertTrue(assertThrows(Scratch.CapExceededException.class, () -> {
                s.copyIn(small, "a", DataSize.ofKibibytes(1), DataSize.ofKibibytes(1));
                s.copyIn(small, "b", DataSize.ofKibibytes(1), DataSize.ofKibibytes(1));
            }).getMessage().contains("in all"));
            assertThrows(Scratch.CapExceededException.class, () -> s.copyOut(DataSize.ofBytes(500), DataSize.ofKibibytes(4)));
            Files.write(s.directory().resolve("c"), new byte[600]);
            assertTrue(assertThrows(Scratch.CapExceededException.class,
                    () -> s.copyOut(DataSize.ofKibibytes(1), DataSize.ofKibibytes(1))).getMessage().contains("total"));
        }
    }
}
