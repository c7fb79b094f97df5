package dev.corral.namespaces.launcher;

import dev.corral.namespaces.LaunchStep;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Optional;

/**
 * The JVM's side of a container's terminal ({@link LaunchPlan.StdioOp#tty}): the pseudo-terminal
 * pair is opened here, at its size, and handed to the launcher with the plan; the launcher makes
 * the slave the container's fds 0, 1 and 2 and relays the master. The JVM keeps a copy of the
 * master to change the size on ({@link Launcher#resize}) until the container ends.
 *
 * <pre>{@code
 * Terminals.Pair pair = Terminals.open(24, 80);   // or a LaunchFailure at TTY_OPEN
 * Terminals.resize(pair.master(), 50, 132);
 * }</pre>
 */
final class Terminals {
    /* the same on x86_64 and aarch64 (asm-generic) */
    private static final int O_RDWR = 2;
    private static final int O_NOCTTY = 0x100;
    private static final long TIOCGPTPEER = 0x5441;
    private static final long TIOCSWINSZ = 0x5414;

    private Terminals() {}

    /**
     * A pseudo-terminal pair, both close-on-exec.
     *
     * @param master its master
     * @param slave  its slave, opened through the master (no path looked up)
     */
    record Pair(int master, int slave) {}

    /** A pair that could not be opened: why, as the launcher reports a step. */
    static final class OpenException extends Exception {
        private static final long serialVersionUID = 1L;
        private final transient LaunchFailure failure;

        OpenException(LaunchFailure failure) {
            super(failure.toString());
            this.failure = failure;
        }

        LaunchFailure failure() {
            return failure;
        }
    }

    /**
     * @param rows    rows, 1 to 65535
     * @param columns columns, 1 to 65535
     * @return the pair, at that size
     * @throws OpenException naming the call that failed (TTY_OPEN's index) and its errno
     */
    static Pair open(int rows, int columns) throws OpenException {
        int master = (int) NativeCalls.POSIX_OPENPT.call(O_RDWR | O_NOCTTY | NativeCalls.O_CLOEXEC);
        if (master < 0) {
            throw failed(0, -1, -1);
        }
        if (NativeCalls.UNLOCKPT.call(master) < 0) {
            throw failed(1, master, -1);
        }
        int slave = (int) NativeCalls.IOCTL.call(master, TIOCGPTPEER, O_RDWR | O_NOCTTY | NativeCalls.O_CLOEXEC);
        if (slave < 0) {
            throw failed(2, master, -1);
        }
        if (resize(master, rows, columns) < 0) {
            throw failed(3, master, slave);
        }
        return new Pair(master, slave);
    }

    /** @return 0, or -1 (the terminal is gone) */
    static int resize(int master, int rows, int columns) {
        ByteBuffer size = ByteBuffer.allocate(8).order(ByteOrder.nativeOrder()); /* struct winsize */
        size.putShort((short) rows).putShort((short) columns).putShort((short) 0).putShort((short) 0);
        long winsize = NativeCalls.copyIn(size.array());
        try {
            return (int) NativeCalls.IOCTL.call(master, TIOCSWINSZ, winsize);
        } finally {
            NativeCalls.free(winsize);
        }
    }

    static void close(int fd) {
        NativeCalls.CLOSE.call(fd);
    }

    private static OpenException failed(int index, int master, int slave) {
        int errno = NativeCalls.errno();
        if (slave >= 0) {
            NativeCalls.CLOSE.call(slave);
        }
        if (master >= 0) {
            NativeCalls.CLOSE.call(master);
        }
        return new OpenException(new LaunchFailure(Optional.of(LaunchStep.TTY_OPEN), errno, index));
    }
}
