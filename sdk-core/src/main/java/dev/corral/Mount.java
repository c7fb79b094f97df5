package dev.corral;

import dev.corral.unit.DataSize;
import dev.corral.image.ImageStore;
import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;

/**
 * A file system mounted into the container, in addition to its root. The short names are the
 * safe ones: {@link #bind} is read-only; writing through to the host takes
 * {@link #bindReadWrite}. Every bind is {@code nosuid} and {@code nodev}.
 *
 * <pre>{@code
 * Mount.bind(Path.of("/srv/tests/42"), "/tests");         // read-only
 * Mount.bindReadWrite(Path.of("/srv/work/42"), "/work");   // the container writes to the host
 * Mount.bindAsOwner(Path.of("/srv/ws/42"), "/ws", false); // the container's user is the owner
 * Mount.tmpfs("/scratch", DataSize.ofMebibytes(64));       // private, in memory, 64 MiB at most
 * Mount.volume(store, "gradle-cache", "/cache");           // a named volume: persists across runs
 * }</pre>
 */
public sealed interface Mount {

    /** @return the absolute path inside the container */
    String target();

    /**
     * A host file or directory, read-only in the container.
     *
     * @param source a host path; it must exist when the container starts
     * @param target an absolute path inside the container
     * @return the mount
     */
    static Mount bind(Path source, String target) {
        return new Bind(source, target, true, false);
    }

    /**
     * A host file or directory the container may write to: its writes reach the host.
     *
     * @param source a host path; it must exist when the container starts
     * @param target an absolute path inside the container
     * @return the mount
     */
    static Mount bindReadWrite(Path source, String target) {
        return new Bind(source, target, false, false);
    }

    /**
     * A host directory or file whose owner, on the host, is the container's user inside (an
     * idmapped mount): an opt-in for a workspace or a cache that belongs to someone else than
     * the container's user. Through this mount only, and only for the source's owner:
     * <ul>
     *   <li>the owner's files (uid and gid of the source itself) show as the container user's,
     *       so it has the owner's rights to them: it can write a root-owned or user-owned
     *       workspace, and read a {@code 0750} cache;</li>
     *   <li>what the container creates belongs on the host to the source's owner, not to an
     *       unprivileged host ID;</li>
     *   <li>files of other owners show as the overflow ID ({@code nobody}) and keep only their
     *       permissions for others.</li>
     * </ul>
     * Nothing else changes: the container's root stays an unprivileged host ID everywhere else,
     * the mount is {@code nosuid} and {@code nodev}, and it does not reach into submounts. It
     * takes an idmapped mount of the host's file system, which only host root may make; for
     * an unprivileged caller it is a plain bind when the container's user already is the owner
     * (the default rootless container's root is the caller, as is {@code UserNamespace.keepId()}'s
     * user), and refused otherwise.
     *
     * <pre>{@code
     * Container.builder()
     *         .mount(Mount.bindAsOwner(Path.of("/srv/ci/ws"), "/ws", false))      // build writes here
     *         .mount(Mount.bindAsOwner(Path.of("/root/.m2"), "/root/.m2", true))  // 0750, read-only
     *         .run("make", "-C", "/ws");
     * }</pre>
     *
     * @param source   a host path; it must exist when the container starts
     * @param target   an absolute path inside the container
     * @param readOnly whether the container sees it read-only
     * @return the mount
     */
    static Mount bindAsOwner(Path source, String target, boolean readOnly) {
        return new Bind(source, target, readOnly, true);
    }

    /**
     * A private, empty, in-memory file system with no size limit of its own (its pages are
     * the container's memory).
     *
     * @param target an absolute path inside the container
     * @return the mount
     */
    static Mount tmpfs(String target) {
        return new Tmpfs(target, Optional.empty());
    }

    /**
     * A private, empty, in-memory file system of at most {@code size}.
     *
     * @param target an absolute path inside the container
     * @param size   the most it may hold
     * @return the mount
     */
    static Mount tmpfs(String target, DataSize size) {
        return new Tmpfs(target, Optional.of(size));
    }

    /**
     * A named volume of a store, read-write: created empty on first use, kept across runs,
     * shareable by several containers at once, removed by {@link ImageStore#removeVolume}.
     *
     * @param store  the store that holds it
     * @param name   1-128 of A-Z, a-z, 0-9, '_', '.', '-', starting with a letter or digit
     * @param target an absolute path inside the container
     * @return the mount
     */
    static Mount volume(ImageStore store, String name, String target) {
        return new Volume(store, name, target, false);
    }

    /**
     * A named volume of a store, read-only in the container.
     *
     * @param store  the store that holds it
     * @param name   the volume's name
     * @param target an absolute path inside the container
     * @return the mount
     */
    static Mount volumeReadOnly(ImageStore store, String name, String target) {
        return new Volume(store, name, target, true);
    }

    /**
     * A named volume, bound nosuid and nodev.
     *
     * <pre>{@code
     * Container.builder().mount(Mount.volume(store, "cache", "/cache"));   // persists across runs
     * }</pre>
     *
     * @param store    the store
     * @param name     the volume's name
     * @param target   the path inside the container
     * @param readOnly whether the container sees it read-only
     */
    record Volume(ImageStore store, String name, String target, boolean readOnly) implements Mount {
        /** @param store store @param name volume name @param target container path @param readOnly read-only */
        public Volume {
            Objects.requireNonNull(store, "store");
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(target, "target");
        }
    }

    /**
     * A bind mount of a host path.
     *
     * <pre>{@code
     * Container.builder().mount(Mount.bind(Path.of("/srv/tests"), "/tests"))      // read-only
     *         .mount(Mount.bindReadWrite(Path.of("/srv/out"), "/out"));
     * }</pre>
     *
     * @param source   the host path
     * @param target   the path inside the container
     * @param readOnly whether the container sees it read-only
     * @param asOwner  whether the source's owner is the container's user inside ({@link Mount#bindAsOwner})
     */
    record Bind(Path source, String target, boolean readOnly, boolean asOwner) implements Mount {
        /**
         * @param source host path @param target container path @param readOnly read-only
         * @param asOwner the owner mapped to the container's user
         */
        public Bind {
            Objects.requireNonNull(source, "source");
            Objects.requireNonNull(target, "target");
        }

        /** @param source host path @param target container path @param readOnly read-only */
        public Bind(Path source, String target, boolean readOnly) {
            this(source, target, readOnly, false);
        }
    }

    /**
     * A tmpfs.
     *
     * <pre>{@code
     * Container.builder().mount(Mount.tmpfs("/scratch", DataSize.ofMebibytes(64)));
     * }</pre>
     *
     * @param target the path inside the container
     * @param size   its size limit, if any
     */
    record Tmpfs(String target, Optional<DataSize> size) implements Mount {
        /** @param target container path @param size size limit */
        public Tmpfs {
            Objects.requireNonNull(target, "target");
            Objects.requireNonNull(size, "size");
        }
    }
}
