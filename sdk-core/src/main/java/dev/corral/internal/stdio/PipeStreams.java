package dev.corral.internal.stdio;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;

/**
 * The caller's ends of {@code Input.pipe()} and {@code Output.pipe()}: blocking streams over a
 * relayed socket that may still be on its way when the stream is first used. The caller's own
 * thread does the blocking; Corral starts none.
 */
public final class PipeStreams {
    private PipeStreams() {}

    static SocketChannel await(CompletableFuture<SocketChannel> channel) throws IOException {
        try {
            return channel.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted waiting for the container's stream");
        } catch (ExecutionException e) {
            throw new IOException("the container's stream is not available: " + e.getCause().getMessage(), e.getCause());
        }
    }

    /**
     * @param channel completed with the stream when it arrives
     * @return a stream reading it
     */
    public static InputStream input(CompletableFuture<SocketChannel> channel) {
        return new InputStream() {
            @Override
            public int read() throws IOException {
                byte[] one = new byte[1];
                int n = read(one, 0, 1);
                return n < 0 ? -1 : one[0] & 0xff;
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                if (len == 0) {
                    return 0;
                }
                SocketChannel ch = await(channel);
                int n;
                do {
                    n = ch.read(ByteBuffer.wrap(b, off, len));
                } while (n == 0);
                return n;
            }

            @Override
            public void close() throws IOException {
                if (channel.isDone() && !channel.isCompletedExceptionally()) {
                    channel.join().close();
                } else {
                    channel.thenAccept(PipeStreams::closeQuietly);
                }
            }
        };
    }

    /**
     * @param channel completed with the stream when it arrives
     * @return a stream writing it; closing it gives the command end of file
     */
    public static OutputStream output(CompletableFuture<SocketChannel> channel) {
        return new OutputStream() {
            @Override
            public void write(int b) throws IOException {
                write(new byte[] {(byte) b}, 0, 1);
            }

            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                SocketChannel ch = await(channel);
                ByteBuffer buf = ByteBuffer.wrap(b, off, len);
                while (buf.hasRemaining()) {
                    ch.write(buf);
                }
            }

            @Override
            public void close() throws IOException {
                if (channel.isDone() && !channel.isCompletedExceptionally()) {
                    channel.join().close();
                } else {
                    channel.thenAccept(PipeStreams::closeQuietly);
                }
            }
        };
    }

    /** @param channel closed, ignoring failure */
    public static void closeQuietly(SocketChannel channel) {
        try {
            channel.close();
        } catch (IOException e) {
            /* nothing left to release */
        }
    }
}
