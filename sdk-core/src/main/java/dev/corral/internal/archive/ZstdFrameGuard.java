package dev.corral.internal.archive;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;

/**
 * Passes a Zstandard stream through unchanged while walking its frame structure (RFC 8878,
 * section 3.1), and refuses a frame whose window, the memory a decoder must keep, is larger
 * than a limit. The pure-Java decoder has no such limit of its own; libzstd's is 128 MiB.
 * Only headers are read here: block contents pass through undecoded.
 */
final class ZstdFrameGuard extends FilterInputStream {
    private enum State { MAGIC, SKIPPABLE_SIZE, SKIP, FRAME_HEADER_DESCRIPTOR, FRAME_HEADER, BLOCK_HEADER, BLOCK, CHECKSUM }

    private final long maxWindow;
    private State state = State.MAGIC;
    private final byte[] field = new byte[14];
    private int fieldLength = 4;
    private int fieldFill;
    private long skip;
    private int descriptor;
    private State afterBlock = State.BLOCK_HEADER;

    ZstdFrameGuard(InputStream in, long maxWindow) {
        super(in);
        this.maxWindow = maxWindow;
    }

    @Override
    public int read() throws IOException {
        byte[] one = new byte[1];
        int n = read(one, 0, 1);
        return n < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        int n = in.read(b, off, len);
        int i = 0;
        while (i < n) {
            if (state == State.SKIP || state == State.BLOCK) {
                int step = (int) Math.min(skip, n - i);
                i += step;
                skip -= step;
                if (skip == 0) {
                    enter(state == State.SKIP ? State.MAGIC : afterBlock);
                }
                continue;
            }
            field[fieldFill++] = b[off + i++];
            if (fieldFill == fieldLength) {
                fieldComplete();
            }
        }
        return n;
    }

    @Override
    public long skip(long n) throws IOException {
        byte[] buf = new byte[8192];
        long done = 0;
        while (done < n) {
            int r = read(buf, 0, (int) Math.min(buf.length, n - done));
            if (r < 0) {
                break;
            }
            done += r;
        }
        return done;
    }

    @Override
    public boolean markSupported() {
        return false;
    }

    /** Enters a state that reads a fixed-size field: a magic number, a checksum or a block header. */
    private void enter(State next) {
        state = next;
        startField(next == State.BLOCK_HEADER ? 3 : 4);
    }

    private void startField(int length) {
        fieldLength = length;
        fieldFill = 0;
    }

    private void fieldComplete() throws IOException {
        switch (state) {
            case MAGIC -> {
                long magic = le(0, 4);
                if (magic == 0xFD2FB528L) {
                    state = State.FRAME_HEADER_DESCRIPTOR;
                    startField(1);
                } else if ((magic & 0xFFFFFFF0L) == 0x184D2A50L) {
                    state = State.SKIPPABLE_SIZE;
                    startField(4);
                } else {
                    throw malformed(String.format("not a zstd frame (magic %08x)", magic));
                }
            }
            case SKIPPABLE_SIZE -> {
                skip = le(0, 4);
                state = skip == 0 ? State.MAGIC : State.SKIP;
                startField(4);
            }
            case FRAME_HEADER_DESCRIPTOR -> {
                descriptor = field[0] & 0xff;
                if ((descriptor & 0x08) != 0) {
                    throw malformed("zstd frame header has the reserved bit set");
                }
                boolean singleSegment = (descriptor & 0x20) != 0;
                int rest = (singleSegment ? 0 : 1) + dictIdBytes() + contentSizeBytes();
                if (rest == 0) {
                    checkWindow();
                } else {
                    state = State.FRAME_HEADER;
                    startField(rest);
                }
            }
            case FRAME_HEADER -> checkWindow();
            case BLOCK_HEADER -> {
                int h = (int) le(0, 3);
                boolean last = (h & 1) != 0;
                int type = (h >> 1) & 3;
                int size = h >>> 3;
                if (type == 3) {
                    throw malformed("zstd block of the reserved type");
                }
                skip = type == 1 ? 1 : size;
                afterBlock = last ? ((descriptor & 0x04) != 0 ? State.CHECKSUM : State.MAGIC) : State.BLOCK_HEADER;
                if (skip == 0) {
                    enter(afterBlock);
                } else {
                    state = State.BLOCK;
                }
            }
            case CHECKSUM -> {
                state = State.MAGIC;
                startField(4);
            }
            default -> throw new IllegalStateException(state.toString());
        }
    }

    private int dictIdBytes() {
        return new int[] {0, 1, 2, 4}[descriptor & 3];
    }

    private int contentSizeBytes() {
        int flag = descriptor >>> 6;
        boolean singleSegment = (descriptor & 0x20) != 0;
        return flag == 0 ? (singleSegment ? 1 : 0) : new int[] {0, 2, 4, 8}[flag];
    }

    private void checkWindow() throws IOException {
        boolean singleSegment = (descriptor & 0x20) != 0;
        long window;
        if (singleSegment) {
            int at = dictIdBytes();
            int n = contentSizeBytes();
            window = le(at, n) + (n == 2 ? 256 : 0);
            if (n == 8 && window < 0) {
                window = Long.MAX_VALUE;
            }
        } else {
            int wd = field[0] & 0xff;
            int log = 10 + (wd >>> 3);
            long base = 1L << log;
            window = base + (base / 8) * (wd & 7);
        }
        if (window > maxWindow) {
            throw new ArchiveException(ArchiveException.Reason.LIMIT, null, "a zstd frame asks for a "
                    + window + "-byte window, more than the " + maxWindow + "-byte decoder memory limit");
        }
        state = State.BLOCK_HEADER;
        startField(3);
    }

    private long le(int at, int n) {
        long v = 0;
        for (int i = n - 1; i >= 0; i--) {
            v = v << 8 | (field[at + i] & 0xff);
        }
        return v;
    }

    private static ArchiveException malformed(String message) {
        return new ArchiveException(ArchiveException.Reason.MALFORMED, null, message);
    }
}
