package dev.corral.namespaces.launcher;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import jnr.ffi.LibraryLoader;
import jnr.ffi.annotations.In;

/** Descriptors a test opens to hand to the launcher with a plan, all closed by {@link #close()}. */
final class TestFds implements AutoCloseable {
    static final int O_RDONLY = 0;
    static final int O_WRONLY = 1;
    private static final int O_CLOEXEC = 0x80000;

    /** The C functions this needs. */
    public interface LibC {
        int open(@In byte[] path, int flags, int mode);

        int close(int fd);
    }

    private static final LibC LIBC = LibraryLoader.create(LibC.class).load("c");
    private final List<Integer> opened = new ArrayList<>();

    /** @return a descriptor of this process for {@code file}, opened close-on-exec */
    int open(Path file, int flags) {
        int fd = LIBC.open(file.toString().getBytes(StandardCharsets.UTF_8), flags | O_CLOEXEC, 0);
        if (fd < 0) {
            throw new IllegalStateException("cannot open " + file);
        }
        opened.add(fd);
        return fd;
    }

    @Override
    public void close() {
        opened.forEach(LIBC::close);
        opened.clear();
    }
}
