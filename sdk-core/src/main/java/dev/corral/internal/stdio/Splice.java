package dev.corral.internal.stdio;

import dev.corral.namespaces.launcher.Launcher;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;

/**
 * One container's relayed standard output carried to another's relayed standard input on the
 * launcher's I/O thread: no thread of its own, and the writer waits (the reader's pipe full) as
 * it would on a kernel pipe. Every method runs on the I/O thread.
 *
 * <p>Ends as a pipe between two processes would, with one rule more: the reader gets end of file
 * only once the writer's output has ended, everything is delivered <em>and</em> the writer's
 * container has ended ({@link #sourceEnded()}), so that a reader cannot end "first" because of
 * an end of file the writer's end caused. A reader that is gone (its pipe closed) closes the
 * writer's output, which then gets {@code EPIPE} (SIGPIPE) on its next write.
 */
public final class Splice {
    private final ByteBuffer buf = ByteBuffer.allocate(1 << 16);
    private final long limit;
    private Runnable overLimit = () -> { };
    private SocketChannel from;
    private SocketChannel to;
    private SelectionKey readKey;
    private SelectionKey writeKey;
    private Launcher launcher;
    private long carried;
    private boolean fromEnded;
    private boolean sourceEnded;
    private boolean done;

    /** @param limit the most bytes carried; past it the writer is told (its output limit) */
    public Splice(long limit) {
        this.limit = limit;
        buf.flip(); /* empty: nothing held */
    }

    /** @param action what to do once the writer has written more than the limit (kill it) */
    public void onOverLimit(Runnable action) {
        this.overLimit = action;
    }

    /**
     * @param launcher the launcher whose I/O thread carries the bytes
     * @param channel  the writer's relayed standard output
     * @throws IOException if it cannot be watched
     */
    public void sourceConnected(Launcher launcher, SocketChannel channel) throws IOException {
        this.launcher = launcher;
        if (done) {
            channel.close();
            return;
        }
        from = channel;
        begin();
    }

    /**
     * @param launcher the launcher whose I/O thread carries the bytes
     * @param channel  the reader's relayed standard input
     * @throws IOException if it cannot be watched
     */
    public void sinkConnected(Launcher launcher, SocketChannel channel) throws IOException {
        this.launcher = launcher;
        if (done) {
            channel.close();
            return;
        }
        to = channel;
        begin();
    }

    private void begin() throws IOException {
        if (from == null || to == null) {
            return;
        }
        from.configureBlocking(false);
        to.configureBlocking(false);
        readKey = from.register(launcher.selector(), SelectionKey.OP_READ, (Launcher.ChannelHandler) k -> readable());
        writeKey = to.register(launcher.selector(), 0, (Launcher.ChannelHandler) k -> writable());
        maybeEnd();
    }

    /** The writer's container has ended: once its output is delivered, the reader gets end of file. */
    public void sourceEnded() {
        sourceEnded = true;
        if (from == null) { /* it never started: nothing will come */
            fromEnded = true;
        }
        maybeEnd();
    }

    /** The reader's container has ended, or never started: the writer's output has nowhere to go. */
    public void sinkEnded() {
        if (to == null) {
            close();
        }
    }

    private void readable() throws IOException {
        while (!buf.hasRemaining()) {
            buf.clear();
            int n;
            try {
                n = from.read(buf);
            } catch (IOException e) {
                n = -1;
            }
            if (n <= 0) {
                buf.flip();
                if (n < 0) {
                    fromEnded = true;
                    readKey.cancel();
                    from.close();
                    maybeEnd();
                }
                return;
            }
            buf.flip();
            carried += n;
            if (carried > limit) {
                close();
                overLimit.run();
                return;
            }
            if (!flush()) {
                return;
            }
        }
    }

    private void writable() throws IOException {
        if (flush()) {
            if (!fromEnded) {
                readable();
            }
            maybeEnd();
        }
    }

    /** @return whether everything held went out; if not, waits for the reader to make room */
    private boolean flush() throws IOException {
        try {
            while (buf.hasRemaining()) {
                if (to.write(buf) == 0) {
                    readKey.interestOps(0);
                    writeKey.interestOps(SelectionKey.OP_WRITE);
                    return false;
                }
            }
        } catch (IOException e) { /* the reader is gone: so is the writer's output */
            close();
            return false;
        }
        writeKey.interestOps(0);
        if (readKey.isValid()) {
            readKey.interestOps(SelectionKey.OP_READ);
        }
        return true;
    }

    private void maybeEnd() {
        if (!done && fromEnded && sourceEnded && !buf.hasRemaining()) {
            close();
        }
    }

    /** Closes both ends; idempotent. */
    public void close() {
        done = true;
        buf.clear().flip();
        for (SelectionKey k : new SelectionKey[] {readKey, writeKey}) {
            if (k != null) {
                k.cancel();
            }
        }
        if (from != null) {
            PipeStreams.closeQuietly(from);
        }
        if (to != null) {
            PipeStreams.closeQuietly(to);
        }
    }
}
