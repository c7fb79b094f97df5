package dev.corral.samples.cli;

import dev.corral.Container;
import dev.corral.ContainerSpec;
import dev.corral.Mount;
import dev.corral.InvalidSpecException;
import dev.corral.Rootfs;
import dev.corral.cgroups.CgroupLimits;
import dev.corral.cgroups.Controller;
import dev.corral.unit.DataSize;
import dev.corral.namespaces.Capability;
import dev.corral.namespaces.CapabilitySet;
import dev.corral.namespaces.IdMapping;
import dev.corral.namespaces.Rlimit;
import dev.corral.namespaces.UserNamespace;
import dev.corral.namespaces.seccomp.OciSeccompProfiles;
import dev.corral.namespaces.seccomp.SeccompProfiles;
import dev.corral.image.ImageStore;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;
import picocli.CommandLine.Option;

/** The options that describe a container, shared by {@code corral run} and {@code corral bench}. */
public final class ContainerOptions {

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

    /** When {@code --image} is pulled from a registry. */
    enum PullPolicy { missing, always, never }

    @Option(names = "--pull", paramLabel = "missing|always|never",
            description = "Pull --image from its registry when the store lacks it (missing, the default), before every "
                    + "run (always), or never. A path is imported, not pulled.")
    PullPolicy pull = PullPolicy.missing;

    @picocli.CommandLine.Mixin
    RegistryFlags registry;

    @Option(names = "--keep-layer",
            description = "Keep the run's writable layer (with --image or an archive --rootfs); corral commit makes it an image.")
    boolean keepLayer;

    @Option(names = "--volume", paramLabel = "NAME:DST[:ro]", converter = Converters.VolumeConverter.class,
            description = "Mount a named volume of the store, created on first use, read-write unless :ro. Repeatable.")
    List<Converters.VolumeSpec> volumes = new ArrayList<>();

    @Option(names = "--bind", paramLabel = "SRC:DST[:ro|rw][,idmap]", converter = Converters.BindConverter.class,
            description = "Bind a host path into the container; read-only unless :rw. With idmap, the path's owner on the "
                    + "host is the container's user inside (root only, an idmapped mount): a root-owned workspace is "
                    + "writable, a 0750 cache readable, and new files belong to the owner. Repeatable.")
    List<Mount> binds = new ArrayList<>();

    @Option(names = "--tmpfs", paramLabel = "DST[:SIZE]", converter = Converters.TmpfsConverter.class,
            description = "Mount a private tmpfs, optionally limited to SIZE (e.g. 64m). Repeatable.")
    List<Mount> tmpfs = new ArrayList<>();

    @Option(names = "--hostname", paramLabel = "NAME", description = "The container's hostname (default: corral).")
    String hostname;

    @Option(names = "--network", paramLabel = "none|host|bridge[:NAME]|pasta",
            description = "The container's network: none (default: loopback only), host (the host's network namespace, "
                    + "its interfaces and ports), bridge[:NAME] (root: a bridge made on first use, 'corral' by default, "
                    + "with NAT, /etc/hosts by name and published ports), or pasta (rootless, through pasta: Debian package passt).")
    String network;

    @Option(names = {"-p", "--publish"}, paramLabel = "[IP:]HOST:CONTAINER[/udp]",
            description = "Publish a container port on the host (bridge and pasta networks); HOST and CONTAINER may be "
                    + "ranges of as many ports (8000-8009:9000-9009). Repeatable.")
    List<String> publish = new ArrayList<>();

    @Option(names = "--add-host", paramLabel = "NAME:IP", description = "Add a line to the container's /etc/hosts. Repeatable.")
    List<String> addHosts = new ArrayList<>();

    @Option(names = "--dns", paramLabel = "IP", description = "A name server for the container's /etc/resolv.conf. Repeatable.")
    List<String> dns = new ArrayList<>();

    @Option(names = "--network-alias", paramLabel = "NAME",
            description = "Another name the containers on its bridge reach it by. Repeatable.")
    List<String> networkAliases = new ArrayList<>();

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

    /* ---- resources: a cgroup of the container's own (under /sys/fs/cgroup/<controller>/corral as root) ---- */

    @Option(names = "--memory", paramLabel = "SIZE", converter = Converters.DataSizeConverter.class,
            description = "Memory limit of all the container's processes together (at least 1m): 64m, 1.5g. Past it the "
                    + "kernel's OOM killer ends the command (status OOM_KILLED, exit 137). No swap unless --memory-swap.")
    DataSize memory;

    @Option(names = "--memory-swap", paramLabel = "SIZE", converter = Converters.DataSizeConverter.class,
            description = "Swap allowed on top of --memory (default none; note: docker's --memory-swap is the total).")
    DataSize memorySwap;

    @Option(names = "--cpus", paramLabel = "N",
            description = "CPU bandwidth in CPUs: 0.5 is half of one CPU's time, 2 two CPUs' worth (0.01 or more).")
    Double cpus;

    @Option(names = "--cpuset", paramLabel = "LIST", description = "The CPUs it may run on: 0, 0-2, 0,2-3.")
    String cpuset;

    @Option(names = "--pids", paramLabel = "N", description = "The most processes and threads at once (1 or more).")
    Long pids;

    @Option(names = "--cpu-time", paramLabel = "DURATION", converter = Converters.DurationConverter.class,
            description = "CPU-time limit (user + system, all processes together): 1s, 2.5s. Past it the whole "
                    + "container is killed (status CPU_TIME_EXCEEDED, exit 137). Wall time is --timeout.")
    Duration cpuTime;

    @Option(names = "--output-limit", paramLabel = "SIZE", converter = Converters.DataSizeConverter.class,
            description = "Capture stdout and stderr, each up to SIZE; more kills the container (status "
                    + "OUTPUT_LIMITED, exit 137). corral run still shows them as they come (a tee); corral bench "
                    + "captures instead of discarding.")
    DataSize outputLimit;

    @Option(names = "--allow-unenforced", paramLabel = "CONTROLLER", split = ",",
            converter = Converters.ControllerConverter.class,
            description = "Run even where these cgroup controllers are missing (rootless without a delegated cgroup), "
                    + "leaving their limits unenforced: memory, cpu, cpuacct, cpuset, pids, io, freezer, or all. "
                    + "Without it a limit that cannot be enforced is an error (exit 125); --cpu-time always needs "
                    + "cpuacct. Repeatable.")
    List<Converters.Controllers> allowUnenforced = new ArrayList<>();

    /** @return whether any resource limit was asked for */
    boolean hasLimits() {
        return memory != null || memorySwap != null || cpus != null || cpuset != null || pids != null || cpuTime != null;
    }

    /** Each value is checked alone first, so that an error names its option, then all together. */
    private void applyLimits(ContainerSpec.Builder b) {
        if (!hasLimits()) {
            return;   /* no cgroup at all: --allow-unenforced alone has nothing to allow */
        }
        if (memorySwap != null && memory == null) {
            throw new InvalidSpecException("--memory-swap", "needs --memory: swap is allowed on top of the memory limit");
        }
        CgroupLimits.Builder l = CgroupLimits.builder();
        limit(l, "--memory", memory, x -> x.memory(memory));
        limit(l, "--memory-swap", memorySwap, x -> x.memory(memory).swap(memorySwap));
        limit(l, "--cpus", cpus, x -> x.cpus(cpus));
        limit(l, "--cpuset", cpuset, x -> x.cpusetCpus(cpuset));
        limit(l, "--pids", pids, x -> x.pids(pids));
        Set<Controller> allowed = EnumSet.noneOf(Controller.class);
        allowUnenforced.forEach(c -> allowed.addAll(c.controllers()));
        l.allowUnenforced(allowed.toArray(Controller[]::new));
        try {
            b.limits(l.build());
        } catch (IllegalArgumentException | ArithmeticException e) {
            throw new InvalidSpecException("limits", e.getMessage());
        }
        if (cpuTime != null) {
            b.cpuTimeLimit(cpuTime);
        }
    }

    private static void limit(CgroupLimits.Builder all, String option, Object value, Consumer<CgroupLimits.Builder> set) {
        if (value == null) {
            return;
        }
        try {
            CgroupLimits.Builder alone = CgroupLimits.builder();
            set.accept(alone);
            alone.build();
        } catch (IllegalArgumentException | ArithmeticException e) {
            throw new InvalidSpecException(option, e.getMessage());
        }
        set.accept(all);
    }

    /**
     * @param otherwise where stdout or stderr goes without {@code --output-limit}
     * @return a capture limited to {@code --output-limit} when it is given, else {@code otherwise}
     */
    dev.corral.Output output(dev.corral.Output otherwise) {
        return outputLimit == null ? otherwise : dev.corral.Output.capture(outputLimit);
    }

    /* ---- security ---- */

    @Option(names = "--cap-add", paramLabel = "CAP", split = ",",
            description = "Give the command a capability (CAP_NET_BIND_SERVICE, net_bind_service, or ALL); none by default. Repeatable.")
    List<String> capAdd = new ArrayList<>();

    @Option(names = "--cap-drop", paramLabel = "CAP", split = ",",
            description = "Take a capability away again (after --cap-add ALL). Repeatable.")
    List<String> capDrop = new ArrayList<>();

    @Option(names = "--seccomp", paramLabel = "default|strict|unconfined|FILE",
            description = "seccomp profile: Docker-like default, the strict judge profile, none, or an OCI/Docker JSON file.")
    String seccomp;

    @Option(names = "--ulimit", paramLabel = "NAME=SOFT[:HARD]",
            description = "A resource limit, e.g. nofile=256:512, core=0, cpu=10, as=unlimited. Repeatable.")
    List<String> ulimits = new ArrayList<>();

    @Option(names = "--userns", paramLabel = "auto|root|self|subordinate|keep-id",
            description = "User namespace ID map: auto (default: an unprivileged host range as root, the caller as root "
                    + "otherwise), root (the caller as root only), self (the caller as itself), subordinate (/etc/subuid), "
                    + "keep-id (as podman: the caller as itself and the command's user, /etc/subuid around it; not for root).")
    String userns;

    @Option(names = "--uidmap", paramLabel = "CONTAINER:HOST:COUNT",
            description = "An explicit uid map line (and the same gid map unless --gidmap). Repeatable.")
    List<String> uidmaps = new ArrayList<>();

    @Option(names = "--gidmap", paramLabel = "CONTAINER:HOST:COUNT", description = "An explicit gid map line. Repeatable.")
    List<String> gidmaps = new ArrayList<>();

    @Option(names = "--privileged-root",
            description = "No user namespace: the container's root is the host's real root (needs root; never the default).")
    boolean privilegedRoot;

    private void applySecurity(ContainerSpec.Builder b) {
        try {
            CapabilitySet granted = CapabilitySet.none();
            if (!capAdd.isEmpty() || !capDrop.isEmpty()) {
                CapabilitySet.Builder caps = CapabilitySet.builder();
                for (String c : capAdd) {
                    if (c.equalsIgnoreCase("ALL")) {
                        caps.addAllKernelKnown();
                    } else {
                        caps.add(capability(c));
                    }
                }
                capDrop.forEach(c -> caps.remove(capability(c)));
                granted = caps.build();
                b.capabilities(granted);
            }
            if (seccomp != null) {
                b.seccomp(switch (seccomp) {
                    case "default" -> SeccompProfiles.defaultProfile();
                    case "strict" -> SeccompProfiles.strictJudge();
                    case "unconfined" -> SeccompProfiles.unconfined();
                    /* the profile's caps-gated rules (chroot with CAP_SYS_CHROOT, mount and unshare
                       with CAP_SYS_ADMIN...) apply to the capabilities given, as in Docker and podman */
                    default -> OciSeccompProfiles.reader().capabilities(Set.copyOf(granted.names()))
                            .read(Path.of(seccomp)).build();
                });
            }
            ulimits.forEach(u -> b.rlimit(Rlimit.parse(u)));
            if (!uidmaps.isEmpty()) {
                List<IdMapping> u = uidmaps.stream().map(IdMapping::parse).toList();
                b.userNamespace(UserNamespace.of(u, gidmaps.isEmpty() ? u : gidmaps.stream().map(IdMapping::parse).toList()));
            } else if (userns != null) {
                b.userNamespace(switch (userns) {
                    case "auto" -> UserNamespace.auto();
                    case "root" -> UserNamespace.callerAsRoot();
                    case "self" -> UserNamespace.callerAsItself();
                    case "subordinate" -> UserNamespace.subordinate();
                    case "keep-id" -> UserNamespace.keepId();
                    default -> throw new IllegalArgumentException("--userns is auto, root, self, subordinate or keep-id, not "
                            + userns);
                });
            }
            if (privilegedRoot) {
                b.privilegedRoot();
            }
        } catch (IllegalArgumentException | java.io.IOException e) {
            throw new InvalidSpecException("security option", e.getMessage());
        }
    }

    /** @param value --network's value @return the network it names */
    public static dev.corral.network.Network network(String value) {
        try {
            if (value.equals("bridge")) {
                return dev.corral.network.Network.bridge("corral");
            } else if (value.startsWith("bridge:")) {
                return dev.corral.network.Network.bridge(value.substring("bridge:".length()));
            }
        } catch (IllegalArgumentException e) {
            throw new InvalidSpecException("--network", e.getMessage());
        }
        return switch (value) {
            case "none" -> dev.corral.network.Network.none();
            case "host" -> dev.corral.network.Network.host();
            case "pasta" -> dev.corral.network.Network.pasta();
            default -> throw new InvalidSpecException("--network", "is none, host, bridge[:NAME] or pasta, not '" + value + "'");
        };
    }

    private void applyNetworkOptions(ContainerSpec.Builder b) {
        for (String p : publish) {
            try {
                dev.corral.network.PortMapping.parseAll(p).forEach(b::publish);
            } catch (IllegalArgumentException e) {
                throw new InvalidSpecException("--publish", e.getMessage());
            }
        }
        for (String h : addHosts) {
            int colon = h.indexOf(':');
            if (colon <= 0) {
                throw new InvalidSpecException("--add-host", "'" + h + "' is not NAME:IP");
            }
            b.addHost(h.substring(0, colon), literalAddress("--add-host", h.substring(colon + 1)));
        }
        for (String d : dns) {
            b.dns(literalAddress("--dns", d));
        }
        networkAliases.forEach(b::networkAlias);
    }

    /** An IP address as written: never a name to look up. */
    private static java.net.InetAddress literalAddress(String option, String text) {
        if (!text.matches("[0-9.]+|[0-9A-Fa-f:]+")) {
            throw new InvalidSpecException(option, "'" + text + "' is not an IP address");
        }
        try {
            return java.net.InetAddress.getByName(text);
        } catch (java.net.UnknownHostException e) {
            throw new InvalidSpecException(option, "'" + text + "' is not an IP address");
        }
    }

    private static Capability capability(String name) {
        return Capability.fromName(name).orElseThrow(() -> new IllegalArgumentException("unknown capability " + name));
    }

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
            boolean isPath = isPathSelector(name);
            if (!isPath && looksLikePath(name) && s.image(name).isEmpty()) {
                /* an image name never starts like a path: say the path is missing, not "no image /x:latest" */
                throw new dev.corral.image.ImageStoreException("--image " + name + ": no such file or directory "
                        + "(an OCI layout directory or a docker save archive was expected there)", null);
            }
            if (s.image(name).isEmpty() && isPath) {
                s.importImage(Path.of(name), name);   /* a layout or archive path: imported under it */
            } else if (!isPath && dev.corral.image.ImageRef.tryParse(name).isPresent() && (pull == PullPolicy.always || (pull == PullPolicy.missing && s.image(name).isEmpty()))) {
                try (PullProgress p = new PullProgress(err, "fetched", CorralCommand.progressOnTerminal(), System::nanoTime)) {
                    s.pull(name, registry.options(p));
                } catch (dev.corral.image.RegistryException e) {
                    throw s.image(name).isEmpty() ? new dev.corral.image.ImageStoreException("no image '" + name
                            + "' in the store " + s.directory() + ", and the pull failed: " + e.getMessage()
                            + " (--pull never: use the store only)", e) : e;
                }
            }
            try (Progress p = new Progress(err, "unpacking", CorralCommand.progressOnTerminal())) {
                s.unpack(name, p);
            }
        }
    }

    /** @return whether NAME is a path, or PATH:TAG with an existing PATH (the tag may hold ':' too) */
    static boolean isPathSelector(String name) {
        if (Files.exists(Path.of(name))) {
            return true;
        }
        for (int colon = name.indexOf(':'); colon > 0; colon = name.indexOf(':', colon + 1)) {
            if (Files.exists(Path.of(name.substring(0, colon)))) {
                return true;
            }
        }
        return false;
    }

    private static boolean looksLikePath(String name) {
        return name.startsWith("/") || name.startsWith("./") || name.startsWith("../") || name.startsWith("~");
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
        if (network != null) {
            b.network(network(network));
        }
        applyNetworkOptions(b);
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
        applySecurity(b);
        applyLimits(b);
        return b;
    }
}
