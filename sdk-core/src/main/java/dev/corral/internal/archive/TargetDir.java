package dev.corral.internal.archive;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;

/**
 * A directory that paths are resolved in as if it were {@code /}: symlinks, absolute ones
 * included, and {@code ..} never lead out of it, magic links ({@code /proc/PID/root} and the like)
 * are refused, and mount points are not crossed.
 *
 * <p>With {@code openat2(2)} (Linux 5.6+) the kernel does this in one call with
 * {@code RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV}. Without it the same
 * resolution is done here one component at a time: each component is opened with
 * {@code O_PATH | O_NOFOLLOW}, a symlink's text is read and resolved again from the root (an
 * absolute target) or from its directory (a relative one), and a magic link, being a symlink
 * whose text is a path, is never followed by the kernel. The fallback is not atomic against
 * another process renaming directories in the tree at the same time; extraction targets are
 * private to the extractor, and the archive itself cannot rename anything.
 *
 * <p>Every mutating call made by the extractor takes a directory fd from here and a single
 * name, with flags that do not follow a final symlink.
 */
final class TargetDir implements AutoCloseable {
    private static final int MAX_SYMLINKS = 40;
    private static final long RESOLVE = Native.RESOLVE_IN_ROOT | Native.RESOLVE_NO_MAGICLINKS | Native.RESOLVE_NO_XDEV;
    private static final int DIR_PATH = Native.O_PATH | Native.O_DIRECTORY | Native.O_CLOEXEC;

    private final int rootFd;
    private final boolean openat2;

    private TargetDir(int rootFd, boolean openat2) {
        this.rootFd = rootFd;
        this.openat2 = openat2;
    }

    /**
     * Opens a target directory.
     *
     * @param target     an existing directory (a symlink in the caller's own path is followed)
     * @param useOpenat2 use {@code openat2} where the kernel has it
     */
    static TargetDir open(Path target, boolean useOpenat2) throws IOException {
        int fd = Native.openat(Native.AT_FDCWD, target.toString(), Native.O_RDONLY | Native.O_DIRECTORY, 0);
        boolean have = false;
        if (useOpenat2) {
            try {
                Native.close(Native.openat2(fd, ".", DIR_PATH, 0, RESOLVE));
                have = true;
            } catch (SyscallException e) {
                // ENOSYS: a kernel before 5.6. EPERM: a seccomp filter that predates openat2
                // (older container runtimes' defaults answer EPERM to unknown system calls).
                if (e.errno() != Native.ENOSYS && e.errno() != Native.EPERM) {
                    Native.close(fd);
                    throw e;
                }
            }
        }
        return new TargetDir(fd, have);
    }

    int rootFd() {
        return rootFd;
    }

    boolean usesOpenat2() {
        return openat2;
    }

    /**
     * Resolves a directory inside the target.
     *
     * @param components clean path components (no "", ".", ".."), possibly through symlinks
     * @return a new {@code O_PATH} fd of the directory; the caller closes it
     * @throws SyscallException ENOENT, ENOTDIR, ELOOP, EXDEV and the like
     */
    int resolveDir(List<String> components) throws SyscallException {
        if (components.isEmpty()) {
            return Native.openat(rootFd, ".", DIR_PATH, 0);
        }
        if (openat2) {
            return Native.openat2(rootFd, String.join("/", components), DIR_PATH, 0, RESOLVE);
        }
        return resolveByComponents(components);
    }

    /**
     * Resolves a directory, creating missing components as directories with mode 0755 (as tar
     * does for parents that have no entry of their own).
     *
     * @return a new {@code O_PATH} fd of the directory; the caller closes it
     * @throws SyscallException ENOTDIR where a component exists and is not a directory, ELOOP,
     *                          ENOENT where a component is a symlink to nothing
     */
    int ensureDir(List<String> components, List<List<String>> created) throws SyscallException {
        try {
            return resolveDir(components);
        } catch (SyscallException e) {
            if (e.errno() != Native.ENOENT) {
                throw e;
            }
        }
        int fd = resolveDir(List.of());
        for (int i = 1; i <= components.size(); i++) {
            List<String> prefix = components.subList(0, i);
            int next;
            try {
                next = resolveDir(prefix);
            } catch (SyscallException e) {
                if (e.errno() != Native.ENOENT) {
                    Native.close(fd);
                    throw e;
                }
                try {
                    // A single name in an already resolved directory: mkdirat never follows it.
                    Native.mkdirat(fd, components.get(i - 1), 0755);
                    created.add(List.copyOf(prefix));
                } catch (SyscallException m) {
                    Native.close(fd);
                    // EEXIST here: the name is a symlink whose target does not exist.
                    throw m.errno() == Native.EEXIST ? new SyscallException("resolve", String.join("/", prefix), Native.ENOENT) : m;
                }
                try {
                    next = resolveDir(prefix);
                } catch (SyscallException again) {
                    Native.close(fd);
                    throw again;
                }
            }
            Native.close(fd);
            fd = next;
        }
        return fd;
    }

    private int resolveByComponents(List<String> components) throws SyscallException {
        Deque<Integer> stack = new ArrayDeque<>();
        Deque<String> todo = new ArrayDeque<>(components);
        stack.push(Native.openat(rootFd, ".", DIR_PATH, 0));
        int links = 0;
        try {
            while (!todo.isEmpty()) {
                String c = todo.pollFirst();
                if (c.isEmpty() || c.equals(".")) {
                    continue;
                }
                if (c.equals("..")) {
                    if (stack.size() > 1) {
                        Native.close(stack.pop());
                    }
                    continue;
                }
                int fd = Native.openat(stack.peek(), c, Native.O_PATH | Native.O_NOFOLLOW, 0);
                Native.Stat st;
                try {
                    st = Native.lstatat(fd, "");
                } catch (SyscallException e) {
                    Native.close(fd);
                    throw e;
                }
                if (st.isSymlink()) {
                    String target;
                    try {
                        target = Native.readlinkat(fd, "");
                    } finally {
                        Native.close(fd);
                    }
                    if (++links > MAX_SYMLINKS) {
                        throw new SyscallException("resolve", String.join("/", components), Native.ELOOP);
                    }
                    if (target.startsWith("/")) {
                        while (stack.size() > 1) {
                            Native.close(stack.pop());
                        }
                    }
                    String[] parts = target.split("/");
                    for (int i = parts.length - 1; i >= 0; i--) {
                        todo.addFirst(parts[i]);
                    }
                    continue;
                }
                if (!st.isDirectory()) {
                    Native.close(fd);
                    throw new SyscallException("resolve", String.join("/", components), Native.ENOTDIR);
                }
                stack.push(fd);
            }
            return stack.pop();
        } finally {
            while (!stack.isEmpty()) {
                Native.close(stack.pop());
            }
        }
    }

    @Override
    public void close() {
        Native.close(rootFd);
    }
}
