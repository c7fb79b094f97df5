package dev.corral.namespaces.libc;

import jnr.ffi.Pointer;
import jnr.ffi.annotations.In;
import jnr.ffi.annotations.Out;
import jnr.ffi.annotations.SaveError;

/**
 * The libc functions Corral's launcher driver uses for its descriptor connection (internal to
 * Corral; bound with jnr-ffi):
 * <pre>{@code
 * DescriptorLibC libc = LibraryLoader.create(DescriptorLibC.class).load("c");
 * }</pre>
 * Opened (not exported) by its module: jnr-ffi defines the implementation of a library interface
 * in a class loader of its own, whose unnamed module must be able to access the interface; an
 * open package is exported at run time, to every module, and to none at compile time.
 */
@SaveError
public interface DescriptorLibC {
    int socket(int domain, int type, int protocol);

    int bind(int fd, @In byte[] addr, int len);

    int listen(int fd, int backlog);

    int accept4(int fd, @Out byte[] addr, @In @Out int[] len, int flags);

    long recv(int fd, @Out byte[] buf, long len, int flags);

    long sendmsg(int fd, Pointer msg, int flags);

    int close(int fd);
}
