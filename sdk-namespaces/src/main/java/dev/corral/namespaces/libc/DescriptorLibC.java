package dev.corral.namespaces.libc;

import jnr.ffi.Pointer;

/**
 * The libc functions Corral's launcher driver uses for its descriptor connection (internal to
 * Corral; bound with jnr-ffi):
 * <pre>{@code
 * DescriptorLibC libc = LibraryLoader.create(DescriptorLibC.class).load(LibraryLoader.DEFAULT_LIBRARY);
 * }</pre>
 * Opened (not exported) by its module: jnr-ffi defines the implementation of a library interface
 * in a class loader of its own, whose unnamed module must be able to access the interface; an
 * open package is exported at run time, to every module, and to none at compile time.
 * <p>No jnr-ffi annotations: errno is saved by default, arrays are copied in and out, and each
 * annotation type read costs a short-lived JVM a generated proxy class.
 */
public interface DescriptorLibC {
    int socket(int domain, int type, int protocol);

    int bind(int fd, byte[] addr, int len);

    int listen(int fd, int backlog);

    int accept4(int fd, byte[] addr, int[] len, int flags);

    long recv(int fd, byte[] buf, long len, int flags);

    long sendmsg(int fd, Pointer msg, int flags);

    /**
     * @param fd    a socket
     * @param msg   a {@code struct msghdr}
     * @param flags {@code MSG_*} flags
     * @return bytes received, or -1 with errno
     */
    long recvmsg(int fd, Pointer msg, int flags);

    int close(int fd);
}
