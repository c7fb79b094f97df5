package dev.corral.samples.cli;

import dev.corral.Container;
import dev.corral.ContainerSpec;
import dev.corral.Mount;
import dev.corral.Rootfs;
import dev.corral.image.ImageStore;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Option;

/** The options that describe a container, shared by {@code corral run} and {@code corral bench}. */
final class ContainerOptions {

    @Option(names = "--rootfs", paramLabel = "DIR|FILE",
            description = "Root file system: a directory, or an archive (.tar, .tar.gz, .tar.xz, .tar.zst) unpacked "
                    + "once into the store (default: the host's /usr, /bin, /lib*, /etc, read-only).")
    Path rootfs;

    @Option(names = "--image", paramLabel = "REF",
            description = "Run an image: a name in the store, or the path of an OCI layout directory or a docker save "
                    + "archive (PATH:TAG for one of several), imported on first use. Each run writes to its own layer.")
    String image;

    @Option(names = "--store", paramLabel = "DIR",
            description = "The image store (default: $XDG_CACHE_HOME/corral or ~/.cache/corral).")
    Path store;

    @Option(names = "--keep-layer",
            description = "Keep the run's writable layer (with --image or an archive --rootfs); corral commit makes it an image.")
    boolean keepLayer;

    @Option(names = "--volume", paramLabel = "NAME:DST[:ro]", converter = Converters.VolumeConverter.class,
            description = "Mount a named volume of the store, created on first use, read-write unless :ro. Repeatable.")
    List<Converters.VolumeSpec> volumes = new ArrayList<>();

    @Option(names = "--bind", paramLabel = "SRC:DST[:ro|rw]", converter = Converters.BindConverter.class,
            description = "Bind a host path into the container; read-only unless :rw. Repeatable.")
    List<Mount> binds = new ArrayList<>();

    @Option(names = "--tmpfs", paramLabel = "DST[:SIZE]", converter = Converters.TmpfsConverter.class,
            description = "Mount a private tmpfs, optionally limited to SIZE (e.g. 64m). Repeatable.")
    List<Mount> tmpfs = new ArrayList<>();

    @Option(names = "--hostname", paramLabel = "NAME", description = "The container's hostname (default: corral).")
    String hostname;

    @Option(names = {"-e", "--env"}, paramLabel = "K=V", converter = Converters.EnvConverter.class,
            description = "Set an environment variable; K alone passes corral's own value. The environment is "
                    + "otherwise empty. Repeatable.")
    List<String[]> env = new ArrayList<>();

    @Option(names = {"-w", "--workdir"}, paramLabel = "DIR", description = "Working directory inside the container (default: /).")
    String workdir;

    @Option(names = {"-u", "--user"}, paramLabel = "UID[:GID]", converter = Converters.UserConverter.class,
            description = "Numeric user and group to run as (GID defaults to UID).")
    Converters.UserIds user;

    @Option(names = "--read-only", description = "Make the root file system read-only.")
    boolean readOnly;

    @Option(names = "--timeout", paramLabel = "DURATION", converter = Converters.DurationConverter.class,
            description = "Kill the whole container after this wall-clock time: 500ms, 2s, 1.5s, 1m.")
    Duration timeout;

    /** @return the store the options name, or the default one */
    ImageStore imageStore() {
        return store == null ? ImageStore.atDefaultLocation() : ImageStore.open(store);
    }

    /**
     * Imports and unpacks the image (or archive) ahead of the run, with a progress display.
     *
     * @param err where progress goes
     */
    void prepare(PrintWriter err) {
        if (image != null) {
            ImageStore s = imageStore();
            String name = image;
            int colon = name.lastIndexOf(':');
            boolean isPath = Files.exists(Path.of(name)) || (colon > 0 && Files.exists(Path.of(name.substring(0, colon))));
            if (s.image(name).isEmpty() && isPath) {
                s.importImage(Path.of(name), name);   /* a layout or archive path: imported under it */
            }
            try (Progress p = new Progress(err, "unpacking")) {
                s.unpack(name, p);
            }
        }
    }

    /** @return a builder holding these options; stdio is left to the caller */
    ContainerSpec.Builder builder() {
        Rootfs root;
        if (image != null) {
            if (rootfs != null) {
                throw new dev.corral.InvalidSpecException("rootfs", "give --rootfs or --image, not both");
            }
            root = Rootfs.image(imageStore(), image);
        } else if (rootfs != null && Files.isRegularFile(rootfs)) {
            root = Rootfs.tarball(imageStore(), rootfs.toAbsolutePath().normalize());
        } else {
            root = rootfs == null ? Rootfs.hostReadOnly() : Rootfs.directory(rootfs.toAbsolutePath().normalize());
        }
        ContainerSpec.Builder b = Container.builder()
                .rootfs(root)
                .readOnlyRoot(readOnly);
        if (keepLayer) {
            b.keepWritableLayer(true);
        }
        if (!volumes.isEmpty()) {
            ImageStore s = imageStore();
            for (Converters.VolumeSpec v : volumes) {
                b.mount(v.readOnly() ? Mount.volumeReadOnly(s, v.name(), v.target()) : Mount.volume(s, v.name(), v.target()));
            }
        }
        binds.forEach(b::mount);
        tmpfs.forEach(b::mount);
        if (hostname != null) {
            b.hostname(hostname);
        }
        for (String[] kv : env) {
            if (kv != null) {
                b.env(kv[0], kv[1]);
            }
        }
        if (workdir != null) {
            b.workingDirectory(workdir);
        }
        if (user != null) {
            b.user(user.uid(), user.gid());
        }
        if (timeout != null) {
            b.timeout(timeout);
        }
        return b;
    }
}
