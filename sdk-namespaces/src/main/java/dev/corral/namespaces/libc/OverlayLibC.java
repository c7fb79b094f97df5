package dev.corral.namespaces.libc;

import jnr.ffi.annotations.In;
import jnr.ffi.annotations.SaveError;

/**
 * The libc functions Corral uses to clone an overlay's layers (internal to Corral; bound with
 * jnr-ffi):
 * <pre>{@code
 * OverlayLibC libc = LibraryLoader.create(OverlayLibC.class).load("c");
 * }</pre>
 * Opened (not exported) by its module: jnr-ffi defines the implementation of a library interface
 * in a class loader of its own, whose unnamed module must be able to access the interface; an
 * open package is exported at run time, to every module, and to none at compile time.
 */
@SaveError
public interface OverlayLibC {
    long syscall(long number, int dirfd, @In byte[] path, int flags);

    int close(int fd);
}
