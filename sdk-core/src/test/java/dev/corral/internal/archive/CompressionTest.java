package dev.corral.internal.archive;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.BufferedInputStream;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.CRC32;
import java.util.zip.GZIPOutputStream;

import dev.corral.internal.archive.ArchiveException.Reason;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.tukaani.xz.LZMA2Options;
import org.tukaani.xz.XZOutputStream;

/** Compression told from magic bytes, real tools' output decoded, decoder memory bounded. */
class CompressionTest {
    @TempDir
    Path tmp;

    private static byte[] tar() {
        return new TarBuilder().dir("d").file("d/hello", "hello\n").file("big", "z".repeat(300_000)).build();
    }

    private static byte[] tool(byte[] input, String... command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        Thread writer = new Thread(() -> {
            try (var out = p.getOutputStream()) {
                out.write(input);
            } catch (IOException ignored) {
                // the tool's exit status reports it
            }
        });
        writer.start();
        byte[] out = p.getInputStream().readAllBytes();
        writer.join();
        assertEquals(0, p.waitFor(), String.join(" ", command));
        return out;
    }

    private void assertExtracts(byte[] archive, Compression expected, String name) throws IOException {
        assertEquals(expected, Compression.detect(new BufferedInputStream(new ByteArrayInputStream(archive))));
        Path t = Files.createDirectories(tmp.resolve(name));
        ExtractResult r = TarExtractor.extract(new ByteArrayInputStream(archive), t, ExtractOptions.defaults());
        assertEquals(3, r.entries());
        assertEquals("hello\n", Files.readString(t.resolve("d/hello")));
        assertEquals(300_000, Files.size(t.resolve("big")));
    }

    @ParameterizedTest
    @ValueSource(strings = {"gzip", "xz", "zstd"})
    void realToolsOutput(String tool) throws Exception {
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/" + tool)), tool);
        Compression c = switch (tool) {
            case "gzip" -> Compression.GZIP;
            case "xz" -> Compression.XZ;
            default -> Compression.ZSTD;
        };
        byte[] once = tool(tar(), tool, "-c");
        assertExtracts(once, c, tool);
        // Concatenated members/streams/frames, as pigz, parallel xz and zstd -T write them:
        // split the tar in two, compress each half, concatenate.
        byte[] t = tar();
        int half = t.length / 2;
        ByteArrayOutputStream two = new ByteArrayOutputStream();
        two.write(tool(java.util.Arrays.copyOfRange(t, 0, half), tool, "-c"));
        two.write(tool(java.util.Arrays.copyOfRange(t, half, t.length), tool, "-c"));
        assertExtracts(two.toByteArray(), c, tool + "-concatenated");
    }

    @Test
    void plainAndNamesDoNotMatter() throws IOException {
        assertExtracts(tar(), Compression.NONE, "plain");
        Path misnamed = Files.write(tmp.resolve("layer.tar.gz"), tar());
        Path t = Files.createDirectories(tmp.resolve("misnamed"));
        assertEquals(3, TarExtractor.extract(misnamed, t, ExtractOptions.defaults()).entries());
        ByteArrayOutputStream gz = new ByteArrayOutputStream();
        try (GZIPOutputStream out = new GZIPOutputStream(gz)) {
            out.write(tar());
        }
        Path gzAsTar = Files.write(tmp.resolve("layer.tar"), gz.toByteArray());
        Path t2 = Files.createDirectories(tmp.resolve("gz-named-tar"));
        assertEquals(3, TarExtractor.extract(gzAsTar, t2, ExtractOptions.defaults()).entries());
    }

    @Test
    void unsupportedCompressionIsNamed() {
        ArchiveException e = assertThrows(ArchiveException.class,
                () -> Compression.decompress(new ByteArrayInputStream("BZh91AY&SY".getBytes()), 1 << 20));
        assertTrue(e.getMessage().contains("bzip2"), e.getMessage());
    }

    @Test
    void xzDictionaryLargerThanTheLimitIsRefusedBeforeAllocation() throws IOException {
        ByteArrayOutputStream xz = new ByteArrayOutputStream();
        LZMA2Options small = new LZMA2Options();
        small.setDictSize(1 << 20);
        try (XZOutputStream out = new XZOutputStream(xz, small)) {
            out.write(tar());
        }
        byte[] b = xz.toByteArray();
        // Block header after the 12-byte stream header: size byte, flags, then (no sizes
        // present) the LZMA2 filter: id 0x21, properties size 1, the dictionary-size byte.
        int block = 12;
        assertEquals(0x21, b[block + 2] & 0xff, "LZMA2 filter id where expected");
        b[block + 4] = 36;  // a 1 GiB dictionary
        int headerSize = ((b[block] & 0xff) + 1) * 4;
        CRC32 crc = new CRC32();
        crc.update(b, block, headerSize - 4);
        long v = crc.getValue();
        for (int i = 0; i < 4; i++) {
            b[block + headerSize - 4 + i] = (byte) (v >>> (8 * i));
        }
        Path t = Files.createDirectories(tmp.resolve("xz"));
        long before = usedHeap();
        IOException e = assertThrows(IOException.class,
                () -> TarExtractor.extract(new ByteArrayInputStream(b), t, ExtractOptions.defaults()));
        assertEquals(Reason.LIMIT, ((ArchiveException) e).reason(), e.toString());
        assertTrue(usedHeap() - before < 512L << 20, "no dictionary was allocated");
    }

    private static long usedHeap() {
        Runtime r = Runtime.getRuntime();
        return r.totalMemory() - r.freeMemory();
    }

    @Test
    void zstdWindowLargerThanTheLimitIsRefused() throws IOException {
        // Frame header: magic, descriptor 0 (no single segment, no checksum, no content size),
        // window descriptor for 2^31 bytes, then a last raw block of 3 bytes.
        byte[] frame = {0x28, (byte) 0xb5, 0x2f, (byte) 0xfd, 0x00, (byte) ((31 - 10) << 3),
            0x19, 0x00, 0x00, 'a', 'b', 'c'};
        Path t = Files.createDirectories(tmp.resolve("zstd"));
        ArchiveException e = assertThrows(ArchiveException.class,
                () -> TarExtractor.extract(new ByteArrayInputStream(frame), t, ExtractOptions.defaults()));
        assertEquals(Reason.LIMIT, e.reason(), e.getMessage());
        // The same frame with a 1 KiB window passes the guard and decodes to "abc".
        frame[5] = 0;
        try (InputStream in = Compression.decompress(new ByteArrayInputStream(frame), 1 << 20)) {
            assertEquals("abc", new String(in.readAllBytes()));
        }
    }
}
