package dev.corral.internal.image;

import dev.corral.image.UnpackListener;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;

/**
 * Counts what is read and tells a listener about every mebibyte, and about the end.
 *
 * <pre>{@code
 * try (InputStream in = new ProgressInputStream(Files.newInputStream(blob), listener, digest, size)) { ... }
 * }</pre>
 */
public final class ProgressInputStream extends FilterInputStream {
    private final UnpackListener listener;
    private final String name;
    private final long total;
    private long done;
    private long lastReport;

    /**
     * @param in       the stream to count
     * @param listener who to tell
     * @param name     what is read, as the listener is told
     * @param total    its size in bytes
     */
    public ProgressInputStream(InputStream in, UnpackListener listener, String name, long total) {
        super(in);
        this.listener = listener;
        this.name = name;
        this.total = total;
    }

    @Override
    public int read() throws IOException {
        int b = super.read();
        if (b >= 0) {
            count(1);
        }
        return b;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        int n = super.read(b, off, len);
        if (n > 0) {
            count(n);
        }
        return n;
    }

    private void count(long n) {
        done += n;
        if (done - lastReport >= (1 << 20) || done == total) {
            lastReport = done;
            listener.progress(name, done, total);
        }
    }
}
