package dev.corral.internal.archive;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.zip.GZIPInputStream;

import com.github.luben.zstd.ZstdInputStream;
import org.tukaani.xz.XZInputStream;

/** The compressions a tar archive may come in, told apart by their magic bytes, never by a file name. */
public enum Compression {
    /** A plain tar archive. */
    NONE,
    /** gzip (RFC 1952), concatenated members included, as pigz writes them. */
    GZIP,
    /** xz, concatenated streams included. */
    XZ,
    /** Zstandard (RFC 8878), several frames and skippable frames included. */
    ZSTD;

    private static final int MAGIC_BYTES = 6;

    /**
     * Tells the compression from the first bytes of a stream without consuming them.
     *
     * @param in a stream that supports mark/reset
     * @return the compression; {@link #NONE} for anything that is not a known compressed format
     * @throws IOException if reading fails, or the stream is compressed in a format not supported
     */
    public static Compression detect(BufferedInputStream in) throws IOException {
        in.mark(MAGIC_BYTES);
        byte[] b = in.readNBytes(MAGIC_BYTES);
        in.reset();
        return detect(b, b.length);
    }

    static Compression detect(byte[] b, int n) throws ArchiveException {
        if (starts(b, n, 0x1f, 0x8b)) {
            return GZIP;
        }
        if (starts(b, n, 0xfd, '7', 'z', 'X', 'Z', 0x00)) {
            return XZ;
        }
        if (starts(b, n, 0x28, 0xb5, 0x2f, 0xfd)
                || n >= 4 && (b[0] & 0xf0) == 0x50 && starts(b, n, b[0] & 0xff, 0x2a, 0x4d, 0x18)) {
            return ZSTD;
        }
        if (starts(b, n, 'B', 'Z', 'h')) {
            throw unsupported("bzip2");
        }
        if (starts(b, n, 0x04, 0x22, 0x4d, 0x18)) {
            throw unsupported("lz4");
        }
        if (starts(b, n, 'P', 'K', 0x03, 0x04)) {
            throw unsupported("zip");
        }
        return NONE;
    }

    private static ArchiveException unsupported(String what) {
        return new ArchiveException(ArchiveException.Reason.MALFORMED, null,
                "the archive is compressed with " + what + "; supported: none, gzip, xz, zstd");
    }

    private static boolean starts(byte[] b, int n, int... magic) {
        if (n < magic.length) {
            return false;
        }
        for (int i = 0; i < magic.length; i++) {
            if ((b[i] & 0xff) != magic[i]) {
                return false;
            }
        }
        return true;
    }

    /**
     * Wraps a stream in the decoder its magic bytes call for.
     *
     * @param in               the raw stream
     * @param maxDecoderMemory most memory an xz dictionary or a zstd window may ask for
     * @return the decompressed stream (the stream itself when it is not compressed)
     * @throws IOException if reading fails or the format is not supported
     */
    public static InputStream decompress(InputStream in, long maxDecoderMemory) throws IOException {
        BufferedInputStream buffered = in instanceof BufferedInputStream b ? b : new BufferedInputStream(in, 65536);
        return switch (detect(buffered)) {
            case NONE -> buffered;
            case GZIP -> new GZIPInputStream(buffered, 65536);
            // XZInputStream checks each block's declared dictionary size against the limit
            // before it allocates the dictionary.
            case XZ -> new XZInputStream(buffered, (int) Math.min(Integer.MAX_VALUE, Math.max(1, maxDecoderMemory >> 10)));
            // zstd's decoder grows its window up to what each frame header declares: the guard
            // checks those headers first, and the decoder is told the same bound.
            case ZSTD -> zstd(new ZstdFrameGuard(buffered, maxDecoderMemory), maxDecoderMemory);
        };
    }

    private static InputStream zstd(InputStream in, long maxWindow) throws IOException {
        ZstdInputStream z = new ZstdInputStream(in);
        // windowLogMax, so that the native decoder refuses a larger window on its own too.
        z.setLongMax(Math.max(10, Math.min(31, 64 - Long.numberOfLeadingZeros(Math.max(1, maxWindow - 1)))));
        return z;
    }
}
