package dev.corral.namespaces.launcher;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Duration;

/**
 * A container's gate ({@link LaunchPlan#gate()}): a pipe whose capacity is set to one page and
 * filled, so that the container's first process, whose one-byte write to the write end is its
 * gate, waits there until this JVM {@linkplain #open(java.time.Duration) opens} it by reading. The write end
 * is blocking (its file description, and so its {@code O_NONBLOCK}, is shared with the launcher's
 * and the container's copies); the read end is non-blocking and this object's.
 *
 * <pre>{@code
 * try (GatePipe gate = GatePipe.create()) {
 *     plan.gate(plan.descriptor(gate.writeEnd()));
 *     launcher.launch(id, plan, listener);      // listener.gated(pid): the container waits
 *     gate.closeWriteEnd();                     // the plan was sent
 *     ... configure what the command must find ...
 *     gate.open(Duration.ofSeconds(10));        // the command runs
 * }
 * }</pre>
 */
public final class GatePipe implements AutoCloseable {
    private static final int O_NONBLOCK = 0x800;
    private static final int F_GETFL = 3;
    private static final int F_SETFL = 4;
    private static final int F_SETPIPE_SZ = 1031;
    private static final int EAGAIN = 11;
    private static final short POLLIN = 1;

    private int read;
    private int write;
    private final int filled;

    private GatePipe(int read, int write, int filled) {
        this.read = read;
        this.write = write;
        this.filled = filled;
    }

    /**
     * @return a gate, its pipe full: a write to it blocks
     * @throws IOException if the pipe cannot be made, sized or filled
     */
    public static GatePipe create() throws IOException {
        long fdPair = NativeCalls.copyIn(new byte[8]);
        int[] fds = new int[2];
        try {
            if (NativeCalls.PIPE2.call(fdPair, NativeCalls.O_CLOEXEC | O_NONBLOCK) < 0) {
                throw failure("pipe2");
            }
            byte[] pair = new byte[8];
            NativeCalls.copyOut(fdPair, pair);
            ByteBuffer b = ByteBuffer.wrap(pair).order(ByteOrder.nativeOrder());
            fds[0] = b.getInt();
            fds[1] = b.getInt();
        } finally {
            NativeCalls.free(fdPair);
        }
        GatePipe g = new GatePipe(fds[0], fds[1], -1);
        long fill = 0;
        try {
            int size = (int) NativeCalls.FCNTL.call(fds[1], F_SETPIPE_SZ, 4096); /* one page: the kernel's smallest */
            if (size < 0) {
                throw failure("F_SETPIPE_SZ");
            }
            fill = NativeCalls.copyIn(new byte[size]);
            long n = NativeCalls.WRITE.call(fds[1], fill, size);
            if (n != size || NativeCalls.WRITE.call(fds[1], fill, 1) != -1 || NativeCalls.errno() != EAGAIN) {
                throw new IOException("a gate's pipe of " + size + " bytes did not fill with as many (" + n + ")");
            }
            int flags = (int) NativeCalls.FCNTL.call(fds[1], F_GETFL, 0);
            if (flags < 0 || NativeCalls.FCNTL.call(fds[1], F_SETFL, flags & ~O_NONBLOCK) < 0) {
                throw failure("F_SETFL");
            }
            GatePipe full = new GatePipe(fds[0], fds[1], size);
            g.read = g.write = -1;
            return full;
        } finally {
            NativeCalls.free(fill);
            g.close();
        }
    }

    /** @return the write end (blocking), to hand to the launcher as the plan's gate; -1 once closed */
    public synchronized int writeEnd() {
        return write;
    }

    /** Closes this process's write end, once the plan carrying it was sent (or will not be). */
    public synchronized void closeWriteEnd() {
        if (write >= 0) {
            NativeCalls.CLOSE.call(write);
            write = -1;
        }
    }

    /**
     * Opens the gate: reads the bytes that kept the pipe full, then the container's own byte,
     * which its first process wrote on its way to the command, and closes the read end.
     *
     * @param wait how long to wait for the container's byte (it may still be making its mounts)
     * @return true if the container passed; false if it did not come within {@code wait}, or
     *         every write end closed first (it died), or the gate was closed meanwhile
     * @throws IOException if the pipe cannot be read
     */
    public boolean open(Duration wait) throws IOException {
        long deadline = System.nanoTime() + wait.toNanos();
        int got = 0;
        long buf = NativeCalls.copyIn(new byte[filled + 1]); /* what is read is never looked at */
        try {
            while (got <= filled) {
                long n;
                synchronized (this) {
                    if (read < 0) {
                        return false;
                    }
                    n = NativeCalls.READ.call(read, buf, filled + 1 - got);
                }
                if (n > 0) {
                    got += (int) n;
                    continue;
                }
                if (n == 0) {
                    return false; /* every write end closed: the container is gone */
                }
                int e = NativeCalls.errno();
                if (e != EAGAIN && e != NativeCalls.EINTR) {
                    throw failure("read a gate");
                }
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                poll((int) Math.min(50, Math.max(1, left / 1_000_000)));
            }
            return true;
        } finally {
            NativeCalls.free(buf);
            close();
        }
    }

    private void poll(int millis) {
        int fd;
        synchronized (this) {
            fd = read;
        }
        if (fd >= 0) {
            ByteBuffer p = ByteBuffer.allocate(8).order(ByteOrder.nativeOrder()).putInt(fd).putShort(POLLIN).putShort((short) 0);
            long pollfd = NativeCalls.copyIn(p.array());
            try {
                NativeCalls.POLL.call(pollfd, 1, millis);
            } finally {
                NativeCalls.free(pollfd);
            }
        }
    }

    /** Closes both ends: a container still at the gate then fails there ({@code EPIPE}). Idempotent. */
    @Override
    public synchronized void close() {
        closeWriteEnd();
        if (read >= 0) {
            NativeCalls.CLOSE.call(read);
            read = -1;
        }
    }

    private static IOException failure(String what) {
        int e = NativeCalls.errno();
        return new IOException(what + ": " + Errno.name(e) + " (" + Errno.description(e) + ")");
    }
}
