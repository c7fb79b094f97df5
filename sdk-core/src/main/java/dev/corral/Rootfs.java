package dev.corral;

import java.nio.file.Path;
import java.util.Objects;

/**
 * The root file system a container sees as {@code /}.
 *
 * <pre>{@code
 * Rootfs.directory(Path.of("/srv/rootfs/alpine"));  // an unpacked root file system
 * Rootfs.hostReadOnly();                             // the host's /usr, /bin, /lib*, /etc, read-only
 * }</pre>
 */
public sealed interface Rootfs {

    /**
     * A directory on the host used as the container's root, like {@code chroot} but with
     * {@code pivot_root}: the host's root is detached, not merely hidden.
     *
     * @param path an existing directory; checked when the container is built
     * @return the root file system
     */
    static Rootfs directory(Path path) {
        return new Directory(path);
    }

    /**
     * The host's own programs and libraries, read-only: {@code /usr}, {@code /bin},
     * {@code /sbin}, {@code /lib*} and {@code /etc} of the host, and nothing else of it
     * (bubblewrap's common use). Everything else ({@code /tmp}, {@code /proc}, {@code /dev},
     * {@code /root}, ...) is fresh and private to the container.
     *
     * @return the root file system
     */
    static Rootfs hostReadOnly() {
        return HostReadOnly.INSTANCE;
    }

    /**
     * A directory on the host used as the container's root.
     *
     * @param path the directory
     */
    record Directory(Path path) implements Rootfs {
        /** @param path the directory */
        public Directory {
            Objects.requireNonNull(path, "path");
        }
    }

    /** The host's programs and libraries, read-only. */
    enum HostReadOnly implements Rootfs {
        /** The only instance. */
        INSTANCE
    }
}
