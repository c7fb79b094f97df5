package dev.corral.internal.archive;

import java.nio.charset.StandardCharsets;
import java.util.Locale;

import jnr.ffi.LastError;
import jnr.ffi.LibraryLoader;
import jnr.ffi.Runtime;
import jnr.ffi.annotations.In;
import jnr.ffi.annotations.Out;
import jnr.ffi.annotations.SaveError;

/**
 * The few Linux system calls extraction needs, each wrapped so that a failure throws a
 * {@link SyscallException} with the call, the path and the errno. Every call that names a path
 * takes a directory fd and a path relative to it; callers pass single names wherever the call
 * would otherwise follow a symbolic link.
 *
 * <p>Constants that differ between architectures ({@code O_DIRECTORY}, {@code O_NOFOLLOW},
 * system call numbers) are chosen for x86_64 and aarch64, the two architectures the launcher
 * is built for; on any other the class refuses to load rather than guess.
 */
final class Native {

    /** The C library functions used; glibc or musl. */
    @SaveError
    public interface LibC {
        int openat(int dirfd, @In byte[] path, int flags, int mode);

        long syscall(long number, int dirfd, @In byte[] path, @In long[] how, long size);

        long syscall(long number, int dirfd, @In byte[] path, int mode, int dev);

        int close(int fd);

        int mkdirat(int dirfd, @In byte[] path, int mode);

        int symlinkat(@In byte[] target, int dirfd, @In byte[] path);

        int linkat(int olddirfd, @In byte[] oldpath, int newdirfd, @In byte[] newpath, int flags);

        int unlinkat(int dirfd, @In byte[] path, int flags);

        int fchownat(int dirfd, @In byte[] path, int uid, int gid, int flags);

        int fchmod(int fd, int mode);

        int chmod(@In byte[] path, int mode);

        int utimensat(int dirfd, @In byte[] path, @In long[] times, int flags);

        int futimens(int fd, @In long[] times);

        int fsetxattr(int fd, @In byte[] name, @In byte[] value, long size, int flags);

        int setxattr(@In byte[] path, @In byte[] name, @In byte[] value, long size, int flags);

        long lgetxattr(@In byte[] path, @In byte[] name, @Out byte[] value, long size);

        long readlinkat(int dirfd, @In byte[] path, @Out byte[] buf, long size);

        int statx(int dirfd, @In byte[] path, int flags, int mask, @Out byte[] buf);

        long write(int fd, @In byte[] buf, long count);

        int geteuid();
    }

    private static final LibC LIBC = LibraryLoader.create(LibC.class).load(LibraryLoader.DEFAULT_LIBRARY);
    private static final Runtime RUNTIME = Runtime.getRuntime(LIBC);

    static final boolean X86_64;

    static {
        String arch = System.getProperty("os.arch", "").toLowerCase(Locale.ROOT);
        if (arch.equals("amd64") || arch.equals("x86_64")) {
            X86_64 = true;
        } else if (arch.equals("aarch64") || arch.equals("arm64")) {
            X86_64 = false;
        } else {
            throw new ExceptionInInitializerError("safe extraction supports x86_64 and aarch64, not " + arch);
        }
    }

    static final int AT_FDCWD = -100;
    static final int O_RDONLY = 0;
    static final int O_WRONLY = 1;
    static final int O_CREAT = 0100;
    static final int O_EXCL = 0200;
    static final int O_NONBLOCK = 04000;
    static final int O_DIRECTORY = X86_64 ? 0200000 : 040000;
    static final int O_NOFOLLOW = X86_64 ? 0400000 : 0100000;
    static final int O_CLOEXEC = 02000000;
    static final int O_PATH = 010000000;

    static final int AT_SYMLINK_NOFOLLOW = 0x100;
    static final int AT_REMOVEDIR = 0x200;
    static final int AT_EMPTY_PATH = 0x1000;

    static final long RESOLVE_NO_XDEV = 0x01;
    static final long RESOLVE_NO_MAGICLINKS = 0x02;
    static final long RESOLVE_IN_ROOT = 0x10;

    static final int S_IFMT = 0170000;
    static final int S_IFSOCK = 0140000;
    static final int S_IFLNK = 0120000;
    static final int S_IFREG = 0100000;
    static final int S_IFBLK = 060000;
    static final int S_IFDIR = 040000;
    static final int S_IFCHR = 020000;
    static final int S_IFIFO = 010000;

    /** Asm-generic errno values, the same on x86_64 and aarch64. */
    static final int EPERM = 1;
    static final int ENOENT = 2;
    static final int EINTR = 4;
    static final int EBADF = 9;
    static final int EACCES = 13;
    static final int EEXIST = 17;
    static final int EXDEV = 18;
    static final int ENOTDIR = 20;
    static final int EISDIR = 21;
    static final int EINVAL = 22;
    static final int ENOSPC = 28;
    static final int EROFS = 30;
    static final int EMLINK = 31;
    static final int ERANGE = 34;
    static final int ENAMETOOLONG = 36;
    static final int ENOSYS = 38;
    static final int ENOTEMPTY = 39;
    static final int ELOOP = 40;
    static final int ENODATA = 61;
    static final int E2BIG = 7;
    static final int EOPNOTSUPP = 95;
    static final int EAGAIN = 11;

    private static final long SYS_OPENAT2 = 437;
    private static final long SYS_MKNODAT = X86_64 ? 259 : 33;

    private static final int STATX_TYPE = 0x1;
    private static final int STATX_MODE = 0x2;
    private static final int STATX_NLINK = 0x4;
    private static final int STATX_UID = 0x8;
    private static final int STATX_GID = 0x10;
    private static final int STATX_MTIME = 0x40;
    private static final int STATX_INO = 0x100;
    private static final int STATX_SIZE = 0x200;

    private Native() {
    }

    /** What {@code statx} says about a file, without following a final symbolic link. */
    record Stat(int mode, long ino, long dev, int uid, int gid, long size, long nlink,
                long mtimeSeconds, int mtimeNanos, int rdevMajor, int rdevMinor) {
        int type() {
            return mode & S_IFMT;
        }

        boolean isDirectory() {
            return type() == S_IFDIR;
        }

        boolean isSymlink() {
            return type() == S_IFLNK;
        }

        boolean isRegular() {
            return type() == S_IFREG;
        }
    }

    static byte[] cstr(String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        byte[] z = new byte[b.length + 1];
        System.arraycopy(b, 0, z, 0, b.length);
        return z;
    }

    private static int errno() {
        return LastError.getLastError(RUNTIME);
    }

    private static SyscallException fail(String call, String path) {
        return new SyscallException(call, path, errno());
    }

    static int geteuid() {
        return LIBC.geteuid();
    }

    /** {@code openat2(2)}; throws with ENOSYS where the kernel lacks it (before 5.6). */
    static int openat2(int dirfd, String path, int flags, int mode, long resolve) throws SyscallException {
        long[] how = {flags & 0xffffffffL, mode, resolve};
        while (true) {
            long fd = LIBC.syscall(SYS_OPENAT2, dirfd, cstr(path), how, 24);
            if (fd >= 0) {
                return (int) fd;
            }
            int e = errno();
            if (e != EAGAIN && e != EINTR) {
                throw new SyscallException("openat2", path, e);
            }
            // EAGAIN: a concurrent rename elsewhere on the system; the kernel asks us to retry.
        }
    }

    static int openat(int dirfd, String path, int flags, int mode) throws SyscallException {
        int fd = LIBC.openat(dirfd, cstr(path), flags | O_CLOEXEC, mode);
        if (fd < 0) {
            throw fail("openat", path);
        }
        return fd;
    }

    static void close(int fd) {
        if (fd >= 0) {
            LIBC.close(fd);
        }
    }

    static void mkdirat(int dirfd, String name, int mode) throws SyscallException {
        if (LIBC.mkdirat(dirfd, cstr(name), mode) < 0) {
            throw fail("mkdirat", name);
        }
    }

    /** {@code mknodat(2)} through the raw system call: older glibc exports no {@code mknodat}. */
    static void mknodat(int dirfd, String name, int mode, int major, int minor) throws SyscallException {
        // The kernel's 32-bit dev_t encoding (new_encode_dev).
        int dev = (minor & 0xff) | ((major & 0xfff) << 8) | ((minor & ~0xff) << 12);
        if (LIBC.syscall(SYS_MKNODAT, dirfd, cstr(name), mode, dev) < 0) {
            throw fail("mknodat", name);
        }
    }

    static void symlinkat(String target, int dirfd, String name) throws SyscallException {
        if (LIBC.symlinkat(cstr(target), dirfd, cstr(name)) < 0) {
            throw fail("symlinkat", name);
        }
    }

    /** {@code linkat(2)} with no flags: a final symbolic link in the old path is linked, not followed. */
    static void linkat(int olddirfd, String oldname, int newdirfd, String newname) throws SyscallException {
        if (LIBC.linkat(olddirfd, cstr(oldname), newdirfd, cstr(newname), 0) < 0) {
            throw fail("linkat", newname);
        }
    }

    static void unlinkat(int dirfd, String name, int flags) throws SyscallException {
        if (LIBC.unlinkat(dirfd, cstr(name), flags) < 0) {
            throw fail("unlinkat", name);
        }
    }

    static void lchownat(int dirfd, String name, int uid, int gid) throws SyscallException {
        if (LIBC.fchownat(dirfd, cstr(name), uid, gid, AT_SYMLINK_NOFOLLOW) < 0) {
            throw fail("fchownat", name);
        }
    }

    /** Changes the owner of the file an fd (O_PATH included) refers to. */
    static void lchownatEmpty(int fd, int uid, int gid) throws SyscallException {
        if (LIBC.fchownat(fd, cstr(""), uid, gid, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) < 0) {
            throw fail("fchownat", "");
        }
    }

    static void fchmod(int fd, int mode, String what) throws SyscallException {
        if (LIBC.fchmod(fd, mode) < 0) {
            throw fail("fchmod", what);
        }
    }

    /**
     * Changes the mode of the file an {@code O_PATH} descriptor refers to, through its
     * {@code /proc/self/fd} entry: Linux has no {@code fchmod} for {@code O_PATH} descriptors,
     * and {@code fchmodat} without {@code AT_SYMLINK_NOFOLLOW} would follow a final symlink.
     */
    static void chmodByFd(int pathFd, int mode, String what) throws SyscallException {
        if (LIBC.chmod(cstr("/proc/self/fd/" + pathFd), mode) < 0) {
            throw fail("chmod", what);
        }
    }

    /** Sets access and modification times without following a final symbolic link. */
    static void lutimensat(int dirfd, String name, long atimeSec, int atimeNsec, long mtimeSec, int mtimeNsec)
            throws SyscallException {
        long[] times = {atimeSec, atimeNsec, mtimeSec, mtimeNsec};
        if (LIBC.utimensat(dirfd, cstr(name), times, AT_SYMLINK_NOFOLLOW) < 0) {
            throw fail("utimensat", name);
        }
    }

    static void futimens(int fd, long atimeSec, int atimeNsec, long mtimeSec, int mtimeNsec, String what)
            throws SyscallException {
        long[] times = {atimeSec, atimeNsec, mtimeSec, mtimeNsec};
        if (LIBC.futimens(fd, times) < 0) {
            throw fail("futimens", what);
        }
    }

    static void fsetxattr(int fd, String name, byte[] value, String what) throws SyscallException {
        if (LIBC.fsetxattr(fd, cstr(name), value, value.length, 0) < 0) {
            throw fail("fsetxattr " + name, what);
        }
    }

    /** Sets an xattr on the file an {@code O_PATH} descriptor refers to (see {@link #chmodByFd}). */
    static void setxattrByFd(int pathFd, String name, byte[] value, String what) throws SyscallException {
        if (LIBC.setxattr(cstr("/proc/self/fd/" + pathFd), cstr(name), value, value.length, 0) < 0) {
            throw fail("setxattr " + name, what);
        }
    }

    /** Reads an xattr of a path without following a final symlink; {@code null} if it has none. */
    static byte[] lgetxattr(String path, String name) throws SyscallException {
        byte[] buf = new byte[65536];
        long n = LIBC.lgetxattr(cstr(path), cstr(name), buf, buf.length);
        if (n < 0) {
            if (errno() == ENODATA) {
                return null;
            }
            throw fail("lgetxattr " + name, path);
        }
        byte[] v = new byte[(int) n];
        System.arraycopy(buf, 0, v, 0, v.length);
        return v;
    }

    /** Reads the symlink {@code name} in {@code dirfd}, or the symlink an O_PATH fd refers to if name is "". */
    static String readlinkat(int dirfd, String name) throws SyscallException {
        byte[] buf = new byte[4097];
        long n = LIBC.readlinkat(dirfd, cstr(name), buf, buf.length);
        if (n < 0) {
            throw fail("readlinkat", name);
        }
        if (n >= buf.length) {
            throw new SyscallException("readlinkat", name, ENAMETOOLONG);
        }
        return new String(buf, 0, (int) n, StandardCharsets.UTF_8);
    }

    /** {@code statx} of {@code name} in {@code dirfd} without following a final symlink; "" for the fd itself. */
    static Stat lstatat(int dirfd, String name) throws SyscallException {
        byte[] buf = new byte[256];
        int flags = AT_SYMLINK_NOFOLLOW | (name.isEmpty() ? AT_EMPTY_PATH : 0);
        int mask = STATX_TYPE | STATX_MODE | STATX_NLINK | STATX_UID | STATX_GID | STATX_MTIME | STATX_INO | STATX_SIZE;
        if (LIBC.statx(dirfd, cstr(name), flags, mask, buf) < 0) {
            throw fail("statx", name);
        }
        return new Stat(u16(buf, 28), i64(buf, 32), ((long) i32(buf, 136) << 32) | (i32(buf, 140) & 0xffffffffL),
                i32(buf, 20), i32(buf, 24), i64(buf, 40), i32(buf, 16) & 0xffffffffL,
                i64(buf, 112), i32(buf, 120), i32(buf, 128), i32(buf, 132));
    }

    /** {@link #lstatat}, or {@code null} where nothing exists under that name. */
    static Stat lstatatOrNull(int dirfd, String name) throws SyscallException {
        try {
            return lstatat(dirfd, name);
        } catch (SyscallException e) {
            if (e.errno() == ENOENT) {
                return null;
            }
            throw e;
        }
    }

    /** Writes all of {@code len} bytes. */
    static void writeFully(int fd, byte[] buf, int len, String what) throws SyscallException {
        int off = 0;
        byte[] chunk = buf;
        while (off < len) {
            if (off > 0) {
                chunk = new byte[len - off];
                System.arraycopy(buf, off, chunk, 0, chunk.length);
            }
            long n = LIBC.write(fd, chunk, len - off);
            if (n < 0) {
                if (errno() == EINTR) {
                    continue;
                }
                throw fail("write", what);
            }
            off += (int) n;
        }
    }

    private static int u16(byte[] b, int off) {
        return (b[off] & 0xff) | (b[off + 1] & 0xff) << 8;
    }

    private static int i32(byte[] b, int off) {
        return (b[off] & 0xff) | (b[off + 1] & 0xff) << 8 | (b[off + 2] & 0xff) << 16 | (b[off + 3] & 0xff) << 24;
    }

    private static long i64(byte[] b, int off) {
        return (i32(b, off) & 0xffffffffL) | ((long) i32(b, off + 4) << 32);
    }

    static String errnoName(int errno) {
        return switch (errno) {
            case EPERM -> "EPERM";
            case ENOENT -> "ENOENT";
            case EINTR -> "EINTR";
            case E2BIG -> "E2BIG";
            case EBADF -> "EBADF";
            case EAGAIN -> "EAGAIN";
            case EACCES -> "EACCES";
            case EEXIST -> "EEXIST";
            case EXDEV -> "EXDEV";
            case ENOTDIR -> "ENOTDIR";
            case EISDIR -> "EISDIR";
            case EINVAL -> "EINVAL";
            case ENOSPC -> "ENOSPC";
            case EROFS -> "EROFS";
            case EMLINK -> "EMLINK";
            case ERANGE -> "ERANGE";
            case ENAMETOOLONG -> "ENAMETOOLONG";
            case ENOSYS -> "ENOSYS";
            case ENOTEMPTY -> "ENOTEMPTY";
            case ELOOP -> "ELOOP";
            case ENODATA -> "ENODATA";
            case EOPNOTSUPP -> "EOPNOTSUPP";
            default -> "errno " + errno;
        };
    }
}
