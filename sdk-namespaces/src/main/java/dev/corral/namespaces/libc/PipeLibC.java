package dev.corral.namespaces.libc;

/**
 * The libc functions Corral uses for a container's gate, a pipe kept full (internal to Corral;
 * bound with jnr-ffi):
 * <pre>{@code
 * PipeLibC libc = LibraryLoader.create(PipeLibC.class).load(LibraryLoader.DEFAULT_LIBRARY);
 * }</pre>
 * Opened (not exported) by its module, as {@link DescriptorLibC} is. No jnr-ffi annotations:
 * errno is saved by default, arrays are copied in and out.
 */
public interface PipeLibC {
    int pipe2(int[] fds, int flags);

    int fcntl(int fd, int cmd, int arg);

    long write(int fd, byte[] buf, long len);

    long read(int fd, byte[] buf, long len);

    /**
     * @param fds     {@code struct pollfd[]}: i32 fd, i16 events, i16 revents each
     * @param n       how many
     * @param timeout milliseconds
     * @return how many have events, 0 on timeout, -1 with errno
     */
    int poll(byte[] fds, long n, int timeout);

    int close(int fd);
}
