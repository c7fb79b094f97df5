package dev.corral.samples.cli;

import dev.corral.Container;
import dev.corral.ContainerSpec;
import dev.corral.Mount;
import dev.corral.Rootfs;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Option;

/** The options that describe a container, shared by {@code corral run} and {@code corral bench}. */
final class ContainerOptions {

    @Option(names = "--rootfs", paramLabel = "DIR",
            description = "Root file system directory (default: the host's /usr, /bin, /lib*, /etc, read-only).")
    Path rootfs;

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

    /** @return a builder holding these options; stdio is left to the caller */
    ContainerSpec.Builder builder() {
        ContainerSpec.Builder b = Container.builder()
                .rootfs(rootfs == null ? Rootfs.hostReadOnly() : Rootfs.directory(rootfs.toAbsolutePath().normalize()))
                .readOnlyRoot(readOnly);
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
