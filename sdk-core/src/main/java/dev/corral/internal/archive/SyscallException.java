package dev.corral.internal.archive;

import java.io.IOException;

/** A system call failed: which call, on which path, and the errno, kept raw and named. */
public final class SyscallException extends IOException {
    private static final long serialVersionUID = 1L;

    private final String call;
    private final String path;
    private final int errno;

    SyscallException(String call, String path, int errno) {
        super(call + " " + path + ": " + Native.errnoName(errno));
        this.call = call;
        this.path = path;
        this.errno = errno;
    }

    /** @return the system call, e.g. {@code "openat2"} */
    public String call() {
        return call;
    }

    /** @return the path the call was given, relative to the directory it was given */
    public String path() {
        return path;
    }

    /** @return the raw errno */
    public int errno() {
        return errno;
    }

    /** @return the errno's symbolic name, e.g. {@code "ELOOP"} */
    public String errnoName() {
        return Native.errnoName(errno);
    }
}
