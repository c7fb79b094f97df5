package dev.corral.internal.stdio;

import dev.corral.namespaces.launcher.Launcher;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads one relayed stream into memory on the launcher's I/O thread, up to a limit. Past the
 * limit it keeps the first {@code limit} bytes, stops reading and tells its owner, which kills
 * the container.
 */
public final class CaptureSink implements Launcher.ChannelHandler {
    /** What the owner hears. */
    public interface Owner {
        /** @param sink the stream that reached its end */
        void captureEnded(CaptureSink sink);

        /** @param sink the stream that went past its limit */
        void captureLimitExceeded(CaptureSink sink);
    }

    private static final Logger LOG = LoggerFactory.getLogger(CaptureSink.class);
    private static final ThreadLocal<ByteBuffer> BUFFER = ThreadLocal.withInitial(() -> ByteBuffer.allocate(1 << 16));

    private final long limit;
    private final Owner owner;
    private final ByteArrayOutputStream data = new ByteArrayOutputStream();
    private Optional<OutputStream> live;
    private boolean ended;

    /** @param limit most bytes kept @param live also written to as bytes come @param owner told of the end */
    public CaptureSink(long limit, Optional<OutputStream> live, Owner owner) {
        this.limit = limit;
        this.live = live;
        this.owner = owner;
    }

    /**
     * Starts reading; call on the I/O thread.
     *
     * @param launcher the launcher whose selector to use
     * @param channel  the stream
     * @throws IOException if it cannot be registered
     */
    public void attach(Launcher launcher, SocketChannel channel) throws IOException {
        channel.register(launcher.selector(), SelectionKey.OP_READ, this);
    }

    @Override
    public void ready(SelectionKey key) throws IOException {
        SocketChannel ch = (SocketChannel) key.channel();
        ByteBuffer buf = BUFFER.get();
        for (;;) {
            buf.clear();
            int n;
            try {
                n = ch.read(buf);
            } catch (IOException e) {
                n = -1;
            }
            if (n == 0) {
                return;
            }
            if (n < 0) {
                finish(key, false);
                return;
            }
            long room = limit - data.size();
            if (n > room) {
                keep(buf.array(), (int) room);
                finish(key, true);
                return;
            }
            keep(buf.array(), n);
        }
    }

    private void keep(byte[] bytes, int n) {
        synchronized (this) {
            data.write(bytes, 0, n);
        }
        if (live.isPresent() && n > 0) {
            try {
                live.get().write(bytes, 0, n);
                live.get().flush();
            } catch (IOException e) {
                LOG.debug("the live copy of a captured stream failed, capturing without it: {}", e.toString());
                live = Optional.empty();
            }
        }
    }

    private void finish(SelectionKey key, boolean overLimit) throws IOException {
        key.cancel();
        key.channel().close();
        synchronized (this) {
            ended = true;
        }
        if (overLimit) {
            owner.captureLimitExceeded(this);
        }
        owner.captureEnded(this);
    }

    /** @return the bytes captured so far */
    public synchronized byte[] bytes() {
        return data.toByteArray();
    }

    /** @return whether the stream has ended */
    public synchronized boolean ended() {
        return ended;
    }
}
