package dev.corral.cgroups.libc;

import jnr.ffi.annotations.In;
import jnr.ffi.annotations.SaveError;

/**
 * The libc functions a cgroup lease uses to open its files (internal to Corral; bound with
 * jnr-ffi):
 * <pre>{@code
 * CgroupLibC libc = LibraryLoader.create(CgroupLibC.class).load("c");
 * }</pre>
 * Opened (not exported) by its module: jnr-ffi defines the implementation of a library interface
 * in a class loader of its own, whose unnamed module must be able to access the interface; an
 * open package is exported at run time, to every module, and to none at compile time.
 */
@SaveError
public interface CgroupLibC {
    int open(@In byte[] path, int flags, int mode);

    int close(int fd);
}
