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
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/** The options that describe a container, shared by {@code corral run} and {@code corral bench}. */
public final class ContainerOptions {

    Path rootfs;

    String image;

    Path store;

    /** When {@code --image} is pulled from a registry. */
    enum PullPolicy { missing, always, never }

    PullPolicy pull = PullPolicy.missing;

    RegistryFlags registry;

    boolean keepLayer;

    List<Converters.VolumeSpec> volumes = new ArrayList<>();

    List<Mount> binds = new ArrayList<>();

    List<Mount> tmpfs = new ArrayList<>();

    String hostname;

    String network;

    List<String> publish = new ArrayList<>();

    List<String> addHosts = new ArrayList<>();

    List<String> dns = new ArrayList<>();

    List<String> networkAliases = new ArrayList<>();

    List<String[]> env = new ArrayList<>();

    String workdir;

    Converters.UserIds user;

    boolean readOnly;

    Duration timeout;

    /* ---- resources: a cgroup of the container's own (under /sys/fs/cgroup/<controller>/corral as root) ---- */

    DataSize memory;

    DataSize memorySwap;

    Double cpus;

    String cpuset;

    Long pids;

    Duration cpuTime;

    DataSize outputLimit;

    List<Converters.Controllers> allowUnenforced = new ArrayList<>();

    /**
     * Adds these options to a command's model, in help order. Built in code, not read from
     * annotations: reading them costs a short-lived JVM a generated proxy class per annotation
     * type, the annotations' parsing and the fields' generic signatures, on every start, and
     * {@code corral run} is started by scripts over and over.
     *
     * @param spec the command's model (run's or bench's)
     */
    static void addTo(CommandSpec spec) {
        spec.addOption(OptionSpec.builder("--rootfs").paramLabel("DIR|FILE").type(Path.class)
                .description("Root file system: a directory, or an archive (.tar, .tar.gz, .tar.xz, .tar.zst) unpacked "
                        + "once into the store (default: the host's /usr, /bin, /lib*, /etc, read-only).").build());
        spec.addOption(OptionSpec.builder("--image").paramLabel("REF").type(String.class)
                .description("Run an image: a name in the store, or the path of an OCI layout directory or a docker save "
                        + "archive (PATH:TAG for one of several), imported on first use. Each run writes to its own layer.").build());
        spec.addOption(OptionSpec.builder("--store").paramLabel("DIR").type(Path.class)
                .description("The image store (default: $XDG_CACHE_HOME/corral or ~/.cache/corral).").build());
        spec.addOption(OptionSpec.builder("--pull").paramLabel("missing|always|never").type(PullPolicy.class)
                .description("Pull --image from its registry when the store lacks it (missing, the default), before every "
                        + "run (always), or never. A path is imported, not pulled.").build());
        RegistryFlags.addTo(spec);
        spec.addOption(OptionSpec.builder("--keep-layer").type(boolean.class)
                .description("Keep the run's writable layer (with --image or an archive --rootfs); corral commit makes it an image.").build());
        spec.addOption(OptionSpec.builder("--volume").paramLabel("NAME:DST[:ro]").type(List.class).auxiliaryTypes(Converters.VolumeSpec.class).converters(new Converters.VolumeConverter())
                .description("Mount a named volume of the store, created on first use, read-write unless :ro. Repeatable.").build());
        spec.addOption(OptionSpec.builder("--bind").paramLabel("SRC:DST[:ro|rw][,idmap]").type(List.class).auxiliaryTypes(Mount.class).converters(new Converters.BindConverter())
                .description("Bind a host path into the container; read-only unless :rw. With idmap, the path's owner on the "
                        + "host is the container's user inside (root only, an idmapped mount): a root-owned workspace is "
                        + "writable, a 0750 cache readable, and new files belong to the owner. Repeatable.").build());
        spec.addOption(OptionSpec.builder("--tmpfs").paramLabel("DST[:SIZE]").type(List.class).auxiliaryTypes(Mount.class).converters(new Converters.TmpfsConverter())
                .description("Mount a private tmpfs, optionally limited to SIZE (e.g. 64m). Repeatable.").build());
        spec.addOption(OptionSpec.builder("--hostname").paramLabel("NAME").type(String.class)
                .description("The container's hostname (default: corral).").build());
        spec.addOption(OptionSpec.builder("--network").paramLabel("none|host|bridge[:NAME]|pasta").type(String.class)
                .description("The container's network: none (default: loopback only), host (the host's network namespace, "
                        + "its interfaces and ports), bridge[:NAME] (root: a bridge made on first use, 'corral' by default, "
                        + "with NAT, /etc/hosts by name and published ports), or pasta (rootless, through pasta: Debian package passt).").build());
        spec.addOption(OptionSpec.builder("-p", "--publish").paramLabel("[IP:]HOST:CONTAINER[/udp]").type(List.class).auxiliaryTypes(String.class)
                .description("Publish a container port on the host (bridge and pasta networks); HOST and CONTAINER may be "
                        + "ranges of as many ports (8000-8009:9000-9009). Repeatable.").build());
        spec.addOption(OptionSpec.builder("--add-host").paramLabel("NAME:IP").type(List.class).auxiliaryTypes(String.class)
                .description("Add a line to the container's /etc/hosts. Repeatable.").build());
        spec.addOption(OptionSpec.builder("--dns").paramLabel("IP").type(List.class).auxiliaryTypes(String.class)
                .description("A name server for the container's /etc/resolv.conf. Repeatable.").build());
        spec.addOption(OptionSpec.builder("--network-alias").paramLabel("NAME").type(List.class).auxiliaryTypes(String.class)
                .description("Another name the containers on its bridge reach it by. Repeatable.").build());
        spec.addOption(OptionSpec.builder("-e", "--env").paramLabel("K=V").type(List.class).auxiliaryTypes(String[].class).converters(new Converters.EnvConverter())
                .description("Set an environment variable; K alone passes corral's own value. The environment is "
                        + "otherwise empty. Repeatable.").build());
        spec.addOption(OptionSpec.builder("-w", "--workdir").paramLabel("DIR").type(String.class)
                .description("Working directory inside the container (default: /).").build());
        spec.addOption(OptionSpec.builder("-u", "--user").paramLabel("UID[:GID]").type(Converters.UserIds.class).converters(new Converters.UserConverter())
                .description("Numeric user and group to run as (GID defaults to UID).").build());
        spec.addOption(OptionSpec.builder("--read-only").type(boolean.class)
                .description("Make the root file system read-only.").build());
        spec.addOption(OptionSpec.builder("--timeout").paramLabel("DURATION").type(Duration.class).converters(new Converters.DurationConverter())
                .description("Kill the whole container after this wall-clock time: 500ms, 2s, 1.5s, 1m.").build());
        spec.addOption(OptionSpec.builder("--memory").paramLabel("SIZE").type(DataSize.class).converters(new Converters.DataSizeConverter())
                .description("Memory limit of all the container's processes together (at least 1m): 64m, 1.5g. Past it the "
                        + "kernel's OOM killer ends the command (status OOM_KILLED, exit 137). No swap unless --memory-swap.").build());
        spec.addOption(OptionSpec.builder("--memory-swap").paramLabel("SIZE").type(DataSize.class).converters(new Converters.DataSizeConverter())
                .description("Swap allowed on top of --memory (default none; note: docker's --memory-swap is the total).").build());
        spec.addOption(OptionSpec.builder("--cpus").paramLabel("N").type(Double.class)
                .description("CPU bandwidth in CPUs: 0.5 is half of one CPU's time, 2 two CPUs' worth (0.01 or more).").build());
        spec.addOption(OptionSpec.builder("--cpuset").paramLabel("LIST").type(String.class)
                .description("The CPUs it may run on: 0, 0-2, 0,2-3.").build());
        spec.addOption(OptionSpec.builder("--pids").paramLabel("N").type(Long.class)
                .description("The most processes and threads at once (1 or more).").build());
        spec.addOption(OptionSpec.builder("--cpu-time").paramLabel("DURATION").type(Duration.class).converters(new Converters.DurationConverter())
                .description("CPU-time limit (user + system, all processes together): 1s, 2.5s. Past it the whole "
                        + "container is killed (status CPU_TIME_EXCEEDED, exit 137). Wall time is --timeout.").build());
        spec.addOption(OptionSpec.builder("--output-limit").paramLabel("SIZE").type(DataSize.class).converters(new Converters.DataSizeConverter())
                .description("Capture stdout and stderr, each up to SIZE; more kills the container (status "
                        + "OUTPUT_LIMITED, exit 137). corral run still shows them as they come (a tee); corral bench "
                        + "captures instead of discarding.").build());
        spec.addOption(OptionSpec.builder("--allow-unenforced").paramLabel("CONTROLLER").type(List.class).auxiliaryTypes(Converters.Controllers.class).splitRegex(",").converters(new Converters.ControllerConverter())
                .description("Run even where these cgroup controllers are missing (rootless without a delegated cgroup), "
                        + "leaving their limits unenforced: memory, cpu, cpuacct, cpuset, pids, io, freezer, or all. "
                        + "Without it a limit that cannot be enforced is an error (exit 125); --cpu-time always needs "
                        + "cpuacct. Repeatable.").build());
        spec.addOption(OptionSpec.builder("--cap-add").paramLabel("CAP").type(List.class).auxiliaryTypes(String.class).splitRegex(",")
                .description("Give the command a capability (CAP_NET_BIND_SERVICE, net_bind_service, or ALL); none by default. Repeatable.").build());
        spec.addOption(OptionSpec.builder("--cap-drop").paramLabel("CAP").type(List.class).auxiliaryTypes(String.class).splitRegex(",")
                .description("Take a capability away again (after --cap-add ALL). Repeatable.").build());
        spec.addOption(OptionSpec.builder("--seccomp").paramLabel("default|strict|unconfined|FILE").type(String.class)
                .description("seccomp profile: Docker-like default, the strict judge profile, none, or an OCI/Docker JSON file.").build());
        spec.addOption(OptionSpec.builder("--ulimit").paramLabel("NAME=SOFT[:HARD]").type(List.class).auxiliaryTypes(String.class)
                .description("A resource limit, e.g. nofile=256:512, core=0, cpu=10, as=unlimited. Repeatable.").build());
        spec.addOption(OptionSpec.builder("--userns").paramLabel("auto|root|self|subordinate|keep-id").type(String.class)
                .description("User namespace ID map: auto (default: an unprivileged host range as root, the caller as root "
                        + "otherwise), root (the caller as root only), self (the caller as itself), subordinate (/etc/subuid), "
                        + "keep-id (as podman: the caller as itself and the command's user, /etc/subuid around it; not for root).").build());
        spec.addOption(OptionSpec.builder("--uidmap").paramLabel("CONTAINER:HOST:COUNT").type(List.class).auxiliaryTypes(String.class)
                .description("An explicit uid map line (and the same gid map unless --gidmap). Repeatable.").build());
        spec.addOption(OptionSpec.builder("--gidmap").paramLabel("CONTAINER:HOST:COUNT").type(List.class).auxiliaryTypes(String.class)
                .description("An explicit gid map line. Repeatable.").build());
        spec.addOption(OptionSpec.builder("--privileged-root").type(boolean.class)
                .description("No user namespace: the container's root is the host's real root (needs root; never the default).").build());
    }

    /**
     * @param spec a command's model that {@link #addTo} filled, after parsing
     * @return the options as given
     */
    static ContainerOptions from(CommandSpec spec) {
        ContainerOptions o = new ContainerOptions();
        o.rootfs = value(spec, "--rootfs");
        o.image = value(spec, "--image");
        o.store = value(spec, "--store");
        PullPolicy pull = value(spec, "--pull");
        o.pull = pull == null ? PullPolicy.missing : pull;
        o.registry = RegistryFlags.from(spec);
        o.keepLayer = flag(spec, "--keep-layer");
        o.volumes = list(spec, "--volume");
        o.binds = list(spec, "--bind");
        o.tmpfs = list(spec, "--tmpfs");
        o.hostname = value(spec, "--hostname");
        o.network = value(spec, "--network");
        o.publish = list(spec, "--publish");
        o.addHosts = list(spec, "--add-host");
        o.dns = list(spec, "--dns");
        o.networkAliases = list(spec, "--network-alias");
        o.env = list(spec, "--env");
        o.workdir = value(spec, "--workdir");
        o.user = value(spec, "--user");
        o.readOnly = flag(spec, "--read-only");
        o.timeout = value(spec, "--timeout");
        o.memory = value(spec, "--memory");
        o.memorySwap = value(spec, "--memory-swap");
        o.cpus = value(spec, "--cpus");
        o.cpuset = value(spec, "--cpuset");
        o.pids = value(spec, "--pids");
        o.cpuTime = value(spec, "--cpu-time");
        o.outputLimit = value(spec, "--output-limit");
        o.allowUnenforced = list(spec, "--allow-unenforced");
        o.capAdd = list(spec, "--cap-add");
        o.capDrop = list(spec, "--cap-drop");
        o.seccomp = value(spec, "--seccomp");
        o.ulimits = list(spec, "--ulimit");
        o.userns = value(spec, "--userns");
        o.uidmaps = list(spec, "--uidmap");
        o.gidmaps = list(spec, "--gidmap");
        o.privilegedRoot = flag(spec, "--privileged-root");
        return o;
    }

    /** @return the parsed value of an option of the spec, or null when it was not given */
    @SuppressWarnings("unchecked")
    static <T> T value(CommandSpec spec, String name) {
        return (T) spec.optionsMap().get(name).getValue(); /* not findOption: it interpolates every option's names */
    }

    /** @return a repeatable option's values, empty when it was not given */
    static <T> List<T> list(CommandSpec spec, String name) {
        List<T> values = value(spec, name);
        return values == null ? new ArrayList<>() : values;
    }

    /** @return whether a flag was given */
    static boolean flag(CommandSpec spec, String name) {
        return Boolean.TRUE.equals(value(spec, name));
    }

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

    List<String> capAdd = new ArrayList<>();

    List<String> capDrop = new ArrayList<>();

    String seccomp;

    List<String> ulimits = new ArrayList<>();

    String userns;

    List<String> uidmaps = new ArrayList<>();

    List<String> gidmaps = new ArrayList<>();

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
