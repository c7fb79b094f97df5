package dev.corral;

import dev.corral.image.ImageStore;
import java.nio.file.Path;
import java.util.Objects;

/**
 * The root file system a container sees as {@code /}.
 *
 * <pre>{@code
 * Rootfs.directory(Path.of("/srv/rootfs/alpine"));  // an unpacked root file system
 * Rootfs.hostReadOnly();                             // the host's /usr, /bin, /lib*, /etc, read-only
 * Rootfs.tarball(Path.of("alpine-minirootfs.tar.gz"));  // unpacked once, then like an image
 * Rootfs.image(store, "busybox:1.36");               // an image's layers, plus a writable layer per run
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
     * A root file system archive (tar, tar.gz, tar.xz or tar.zst), unpacked safely once into
     * the default {@link ImageStore} (keyed by the archive's SHA-256) and then used like a
     * one-layer image: shared read-only, with a writable overlay layer per run.
     *
     * @param archive the archive; checked when the container starts
     * @return the root file system
     */
    static Rootfs tarball(Path archive) {
        return tarball(ImageStore.atDefaultLocation(), archive);
    }

    /**
     * A root file system archive unpacked once into the given store.
     *
     * @param store   where it is unpacked
     * @param archive the archive (tar, tar.gz, tar.xz or tar.zst)
     * @return the root file system
     * @see #tarball(Path)
     */
    static Rootfs tarball(ImageStore store, Path archive) {
        return new Tarball(store, archive.toAbsolutePath().normalize(), false);
    }

    /**
     * An OCI image: its layers, unpacked once into the store and shared read-only, stacked
     * with overlayfs under a writable layer of this run's own, which is discarded when the run
     * ends unless {@link ContainerSpec.Builder#keepWritableLayer(boolean) kept}.
     *
     * <p>The image's configuration supplies defaults; the spec's own values win:
     * <ul>
     * <li>command: the command given to {@code run}/{@code start} (or the spec's
     *     {@code command}) runs exactly as given; with none, the image's {@code Entrypoint}
     *     followed by its {@code Cmd} runs;</li>
     * <li>environment: the image's {@code Env}, then the spec's variables, which replace the
     *     image's of the same name (and so {@code PATH} comes from the image unless set);</li>
     * <li>working directory: the spec's, unless it is the default {@code /}, then the image's
     *     {@code WorkingDir};</li>
     * <li>user: the spec's {@code user(uid, gid)} if set, else the image's {@code User}
     *     (numbers, or names looked up in the image's {@code /etc/passwd} and {@code /etc/group}),
     *     else root.</li>
     * </ul>
     *
     * @param store     the store that holds the image (or imports it)
     * @param reference an image name in the store, or the path of an OCI layout directory or a
     *                  {@code docker save} archive ({@code PATH:TAG} for one of several), which is
     *                  imported under that reference on first use
     * @return the root file system
     */
    static Rootfs image(ImageStore store, String reference) {
        return new Image(store, reference, false);
    }

    /**
     * A root file system archive, unpacked into a store.
     *
     * <pre>{@code
     * Container.builder().rootfs(Rootfs.tarball(Path.of("alpine-minirootfs.tar.gz")));
     * }</pre>
     *
     * @param store             the store
     * @param archive           the archive's absolute path
     * @param keepWritableLayer keep each run's writable layer after it ends
     */
    record Tarball(ImageStore store, Path archive, boolean keepWritableLayer) implements Rootfs {
        /** @param store store @param archive archive @param keepWritableLayer keep the upper */
        public Tarball {
            Objects.requireNonNull(store, "store");
            Objects.requireNonNull(archive, "archive");
        }
    }

    /**
     * An image in a store.
     *
     * <pre>{@code
     * Container.builder().rootfs(Rootfs.image(ImageStore.open(Path.of("/var/cache/judge")), "busybox:1.36"));
     * }</pre>
     *
     * @param store             the store
     * @param reference         the image's name, or a path to import it from
     * @param keepWritableLayer keep each run's writable layer after it ends
     */
    record Image(ImageStore store, String reference, boolean keepWritableLayer) implements Rootfs {
        /** @param store store @param reference name or path @param keepWritableLayer keep the upper */
        public Image {
            Objects.requireNonNull(store, "store");
            Objects.requireNonNull(reference, "reference");
        }
    }

    /**
     * A directory on the host used as the container's root.
     *
     * <pre>{@code
     * Container.builder().rootfs(Rootfs.directory(Path.of("/srv/rootfs/alpine")));
     * }</pre>
     *
     * @param path the directory
     */
    record Directory(Path path) implements Rootfs {
        /** @param path the directory */
        public Directory {
            Objects.requireNonNull(path, "path");
        }
    }

    /**
     * The host's programs and libraries, read-only.
     *
     * <pre>{@code
     * Container.builder().rootfs(Rootfs.hostReadOnly());   // the host's /usr, /bin, /lib*, /etc
     * }</pre>
     */
    enum HostReadOnly implements Rootfs {
        /** The only instance. */
        INSTANCE
    }
}
