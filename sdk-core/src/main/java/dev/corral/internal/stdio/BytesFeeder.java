package dev.corral.internal.stdio;

import dev.corral.namespaces.launcher.Launcher;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;

/**
 * Writes given bytes to a container's relayed stdin on the launcher's I/O thread, then closes
 * it so the command reads end of file. If the command stops reading (it exited, or closed its
 * stdin), the rest is dropped.
 */
public final class BytesFeeder implements Launcher.ChannelHandler {
    private final ByteBuffer data;

    /** @param bytes what to write */
    public BytesFeeder(byte[] bytes) {
        this.data = ByteBuffer.wrap(bytes);
    }

    /**
     * Starts writing; call on the I/O thread.
     *
     * @param launcher the launcher whose selector to use
     * @param channel  the stream
     * @throws IOException if it cannot be registered
     */
    public void attach(Launcher launcher, SocketChannel channel) throws IOException {
        if (!data.hasRemaining()) {
            channel.close();
            return;
        }
        channel.register(launcher.selector(), SelectionKey.OP_WRITE, this);
    }

    @Override
    public void ready(SelectionKey key) throws IOException {
        SocketChannel ch = (SocketChannel) key.channel();
        try {
            while (data.hasRemaining()) {
                if (ch.write(data) == 0) {
                    return;
                }
            }
        } catch (IOException e) {
            /* the command no longer reads its input */
        }
        key.cancel();
        ch.close();
    }
}
