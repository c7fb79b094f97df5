package dev.corral.namespaces.libc;

/**
 * The libc functions Corral uses to open a container's pseudo-terminal and set its size
 * (internal to Corral; bound with jnr-ffi):
 * <pre>{@code
 * TerminalLibC libc = LibraryLoader.create(TerminalLibC.class).load(LibraryLoader.DEFAULT_LIBRARY);
 * int master = libc.posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
 * }</pre>
 * Opened (not exported) by its module, as {@link OverlayLibC} is, and for the same reason.
 */
public interface TerminalLibC {
    int posix_openpt(int flags);

    int unlockpt(int fd);

    /* ioctl(fd, TIOCGPTPEER, flags): the slave, opened through the master */
    int ioctl(int fd, long request, long arg);

    /* ioctl(fd, TIOCSWINSZ, struct winsize *) */
    int ioctl(int fd, long request, byte[] arg);

    int close(int fd);
}
