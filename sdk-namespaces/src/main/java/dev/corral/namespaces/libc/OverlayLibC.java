package dev.corral.namespaces.libc;


/**
 * The libc functions Corral uses to clone an overlay's layers and binds' sources, and to idmap
 * them (internal to Corral; bound with jnr-ffi):
 * <pre>{@code
 * OverlayLibC libc = LibraryLoader.create(OverlayLibC.class).load(LibraryLoader.DEFAULT_LIBRARY);
 * }</pre>
 * Opened (not exported) by its module: jnr-ffi defines the implementation of a library interface
 * in a class loader of its own, whose unnamed module must be able to access the interface; an
 * open package is exported at run time, to every module, and to none at compile time.
 * <p>No jnr-ffi annotations: errno is saved by default, arrays are copied in and out, and each
 * annotation type read costs a short-lived JVM a generated proxy class.
 */
public interface OverlayLibC {
    long syscall(long number, int dirfd, byte[] path, int flags);

    /* mount_setattr(fd, path, flags, attr, size) */
    long syscall(long number, int fd, byte[] path, int flags, byte[] attr, long size);

    int close(int fd);
}
