package dev.corral.namespaces.launcher;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.List;

/**
 * The connection a plan's descriptors travel on to the launcher: a {@code SOCK_SEQPACKET} Unix
 * socket beside the control connection, made with libc ({@link NativeCalls}) because a
 * {@link java.nio.channels.SocketChannel} cannot pass descriptors. Java's side listens in the
 * launcher's 0700 socket directory; the launcher connects once, before its control connection,
 * and proves itself with the same token. From then on each plan that carries descriptors is
 * preceded by one message of one byte with them all ({@code SCM_RIGHTS}); the launcher takes
 * exactly as many as the plan's message says.
 *
 * <pre>{@code
 * DescriptorChannel d = DescriptorChannel.listen(dir.resolve("d"));   // before the launcher starts
 * ... the launcher starts and connects ...
 * d.accept(token);
 * d.send(List.of(tasksFd, counterFd));                                 // then the plan
 * }</pre>
 */
final class DescriptorChannel implements AutoCloseable {
    private static final int AF_UNIX = 1;
    private static final int SOCK_SEQPACKET = 5;
    private static final int SOCK_CLOEXEC = 0x80000;
    private static final int SOL_SOCKET = 1;
    private static final int SCM_RIGHTS = 1;
    private static final int NO_SIGPIPE = 0x4000; /* MSG_NOSIGNAL */
    private static final int CONTROL_TRUNCATED = 0x8; /* MSG_CTRUNC */
    private static final int DONT_WAIT = 0x40; /* MSG_DONTWAIT */
    private static final int CMSG_CLOEXEC = 0x40000000; /* MSG_CMSG_CLOEXEC */


    private int listener;
    private int connection = -1;

    private DescriptorChannel(int listener) {
        this.listener = listener;
    }

    /**
     * @param path where to listen (in a directory only this user may enter)
     * @return the listening channel
     * @throws IOException if the socket cannot be made
     */
    static DescriptorChannel listen(Path path) throws IOException {
        byte[] name = path.toString().getBytes(StandardCharsets.UTF_8);
        if (name.length >= 108) {
            throw new IOException("descriptor socket path too long: " + path);
        }
        byte[] addr = new byte[110];
        addr[0] = AF_UNIX;
        System.arraycopy(name, 0, addr, 2, name.length);
        int fd = (int) NativeCalls.SOCKET.call(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
        if (fd < 0) {
            throw failure("socket");
        }
        long address = NativeCalls.copyIn(addr);
        try {
            if (NativeCalls.BIND.call(fd, address, 2 + name.length + 1) < 0 || NativeCalls.LISTEN.call(fd, 1) < 0) {
                IOException e = failure("bind or listen on " + path);
                NativeCalls.CLOSE.call(fd);
                throw e;
            }
        } finally {
            NativeCalls.free(address);
        }
        return new DescriptorChannel(fd);
    }

    /**
     * Takes the launcher's connection, which it made before its control connection, so it is
     * waiting by the time that one was accepted, and checks its token.
     *
     * @param token the launcher's token
     * @throws IOException if there is no such connection or it carries another token
     */
    void accept(byte[] token) throws IOException {
        int fd = (int) NativeCalls.ACCEPT4.call(listener, 0, 0, SOCK_CLOEXEC); /* the peer's address is not needed */
        if (fd < 0) {
            throw failure("accept the launcher's descriptor connection");
        }
        NativeCalls.CLOSE.call(listener);
        listener = -1;
        connection = fd;
        byte[] got = new byte[token.length];
        long buffer = NativeCalls.copyIn(got);
        long n;
        try {
            n = NativeCalls.RECV.call(fd, buffer, got.length, 0);
            NativeCalls.copyOut(buffer, got);
        } finally {
            NativeCalls.free(buffer);
        }
        if (n != token.length || !MessageDigest.isEqual(got, token)) {
            throw new IOException("the descriptor connection did not carry the launcher's token");
        }
    }

    /**
     * Sends descriptors, all in one message; the launcher has its own copies once this returns.
     *
     * @param fds descriptors of this process, at most {@link LaunchPlan#MAX_PLAN_DESCRIPTORS}
     * @throws IOException if they cannot be sent (the plan must then not be sent either)
     */
    synchronized void send(List<Integer> fds) throws IOException {
        int n = fds.size();
        int cmsgLen = 16 + 4 * n;
        int space = 16 + ((4 * n + 7) & ~7);
        // One direct buffer holds it all: the msghdr at 0, its iovec at 56, the one data byte
        // at 72, the control message at 80.
        ByteBuffer msg = ByteBuffer.allocateDirect(80 + space).order(ByteOrder.nativeOrder());
        long base = NativeCalls.address(msg);
        msg.put(72, (byte) 'd');
        msg.putLong(56, base + 72);
        msg.putLong(64, 1);
        msg.putLong(80, cmsgLen);
        msg.putInt(88, SOL_SOCKET);
        msg.putInt(92, SCM_RIGHTS);
        for (int i = 0; i < n; i++) {
            msg.putInt(96 + 4 * i, fds.get(i));
        }
        msg.putLong(0, 0);
        msg.putLong(8, 0);
        msg.putLong(16, base + 56);
        msg.putLong(24, 1);
        msg.putLong(32, base + 80);
        msg.putLong(40, space);
        msg.putLong(48, 0);
        long sent;
        do {
            sent = NativeCalls.SENDMSG.call(connection, base, NO_SIGPIPE);
        } while (sent < 0 && NativeCalls.errno() == NativeCalls.EINTR);
        java.lang.ref.Reference.reachabilityFence(msg);
        if (sent != 1) {
            throw failure("send descriptors " + Arrays.toString(fds.toArray()) + " to the launcher");
        }
    }

    /**
     * Receives the descriptors the launcher sent for a namespace set (NAMESPACES_MADE says how
     * many, after they were sent: they are there to take). Only the I/O thread calls this.
     *
     * @param n how many the launcher said it sent
     * @return them, close-on-exec, this process's own
     * @throws IOException if not exactly n came (any that came are closed)
     */
    List<Integer> receive(int n) throws IOException {
        int space = 16 + ((4 * n + 7) & ~7);
        // laid out as in send: msghdr at 0, iovec at 56, the data byte at 72, control at 80
        ByteBuffer msg = ByteBuffer.allocateDirect(80 + space).order(ByteOrder.nativeOrder());
        long base = NativeCalls.address(msg);
        msg.putLong(56, base + 72);
        msg.putLong(64, 1);
        msg.putLong(0, 0);
        msg.putLong(8, 0);
        msg.putLong(16, base + 56);
        msg.putLong(24, 1);
        msg.putLong(32, base + 80);
        msg.putLong(40, space);
        msg.putLong(48, 0);
        long got;
        do {
            got = NativeCalls.RECVMSG.call(connection, base, CMSG_CLOEXEC | DONT_WAIT);
        } while (got < 0 && NativeCalls.errno() == NativeCalls.EINTR);
        java.lang.ref.Reference.reachabilityFence(msg);
        if (got < 0) {
            throw failure("receive a namespace set's descriptors from the launcher");
        }
        long controlLen = msg.getLong(40);
        boolean rights = controlLen >= 16 && msg.getInt(88) == SOL_SOCKET && msg.getInt(92) == SCM_RIGHTS;
        int count = rights ? (int) ((msg.getLong(80) - 16) / 4) : 0;
        List<Integer> fds = new java.util.ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            fds.add(msg.getInt(96 + 4 * i));
        }
        if (count != n || (msg.getInt(48) & CONTROL_TRUNCATED) != 0) {
            closeAll(fds);
            throw new IOException("the launcher sent " + count + " descriptors for a namespace set, not " + n);
        }
        return fds;
    }

    /** @param fds descriptors of this process to close */
    static void closeAll(List<Integer> fds) {
        for (int fd : fds) {
            NativeCalls.CLOSE.call(fd);
        }
    }

    private static IOException failure(String what) {
        int errno = NativeCalls.errno();
        return new IOException(what + ": " + Errno.name(errno) + " (" + Errno.description(errno) + ")");
    }

    @Override
    public synchronized void close() {
        if (listener >= 0) {
            NativeCalls.CLOSE.call(listener);
            listener = -1;
        }
        if (connection >= 0) {
            NativeCalls.CLOSE.call(connection);
            connection = -1;
        }
    }
}
