package dev.corral;

import dev.corral.cgroups.CgroupLimits;
import dev.corral.unit.DataSize;

import dev.corral.namespaces.CapabilitySet;
import dev.corral.namespaces.Namespace;
import dev.corral.namespaces.NamespaceSet;
import dev.corral.namespaces.Rlimit;
import dev.corral.namespaces.UserNamespace;
import dev.corral.namespaces.seccomp.SeccompProfile;
import dev.corral.namespaces.seccomp.SeccompProfiles;
import dev.corral.network.Network;
import dev.corral.network.NetworkSettings;
import dev.corral.network.PortMapping;
import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * An immutable, validated description of a container: build it once, run it many times (a
 * judge builds one per problem). Every value is checked here, in one place, when it is built;
 * a bad value throws {@link InvalidSpecException} naming the field and what it accepts.
 *
 * <pre>{@code
 * ContainerSpec spec = Container.builder()
 *         .rootfs(Rootfs.directory(Path.of("/srv/rootfs/alpine")))
 *         .readOnlyRoot(true)
 *         .env("LANG", "C.UTF-8")
 *         .timeout(Duration.ofSeconds(2))
 *         .build();
 * ContainerResult a = spec.run("/bin/sh", "-c", "echo one");
 * ContainerResult b = spec.run("/bin/sh", "-c", "echo two");
 * }</pre>
 *
 * @param rootfs           the root file system
 * @param readOnlyRoot     whether the root file system itself is read-only (mounts on it keep their own mode)
 * @param mounts           extra mounts, applied parents first
 * @param hostname         the container's hostname
 * @param environment      the command's environment: nothing of the JVM's leaks in; unless set here
 *                         or by an image, the command also gets Docker's defaults: {@code PATH}
 *                         ({@code /usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin}),
 *                         {@code HOSTNAME} (the hostname) and {@code HOME} (the user's home in the
 *                         container's {@code /etc/passwd}, else {@code /})
 * @param workingDirectory the command's working directory inside the container
 * @param user             the user and group to run the command as; empty keeps the launcher's
 * @param stdin            the command's standard input
 * @param stdout           where its standard output goes
 * @param stderr           where its standard error goes
 * @param terminal         a pseudo-terminal as the command's stdio and controlling terminal; with
 *                         one, its output (standard error too) goes to {@code stdout}, and
 *                         {@code stderr} is {@link Output#discard()}
 * @param timeout          the wall-clock limit after which the whole container is killed
 * @param commandAsPid1    run the command itself as PID 1 instead of under a minimal init
 * @param command          the command and its arguments, when given in the spec
 * @param security         namespaces, ID maps, capabilities, seccomp, rlimits: see {@link SecurityPolicy}
 * @param resources        cgroup limits and a CPU-time limit: see {@link ResourceLimits}
 * @param scratch          a fresh directory per run, with files copied in before and out after:
 *                         see {@link ScratchDirectory}
 * @param network          its network, published ports, {@code /etc/hosts} and {@code /etc/resolv.conf}
 *                         additions: see {@link NetworkSettings} (default: loopback only)
 * @param ipcFrom          a running container whose IPC namespace (System V IPC, POSIX message
 *                         queues) it shares, with the user namespace that owns it; empty: its own
 */
public record ContainerSpec(
        Rootfs rootfs,
        boolean readOnlyRoot,
        List<Mount> mounts,
        String hostname,
        SortedMap<String, String> environment,
        String workingDirectory,
        Optional<User> user,
        Input stdin,
        Output stdout,
        Output stderr,
        Optional<Terminal> terminal,
        Optional<Duration> timeout,
        boolean commandAsPid1,
        List<String> command,
        SecurityPolicy security,
        ResourceLimits resources,
        Optional<ScratchDirectory> scratch,
        NetworkSettings network,
        Optional<ContainerProcess> ipcFrom) {

    private static final Pattern HOSTNAME = Pattern.compile("[A-Za-z0-9]([A-Za-z0-9.-]{0,62}[A-Za-z0-9])?");
    private static final Pattern ENV_NAME = Pattern.compile("[^=\\x00]+");
    private static final int MAX_ARGS = 8192;
    private static final Pattern VOLUME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,127}");

    /**
     * User and group IDs, as the container sees them.
     *
     * <pre>{@code
     * ContainerSpec spec = Container.builder().user(1000, 1000).build();
     * spec.user();   // Optional[User[uid=1000, gid=1000]]
     * }</pre>
     *
     * @param uid a user ID, 0 or more
     * @param gid a group ID, 0 or more
     */
    public record User(int uid, int gid) {}

    /** Validates every field; see the builder's methods for the accepted values. */
    public ContainerSpec {
        check("rootfs", rootfs != null, "must be given");
        if (rootfs instanceof Rootfs.Directory d) {
            check("rootfs", d.path().isAbsolute(), "'" + d.path() + "' must be an absolute path");
        }
        check("mounts", mounts != null, "must be given");
        mounts = List.copyOf(mounts);
        List<String> targets = new ArrayList<>();
        for (Mount m : mounts) {
            String t = m.target();
            check("mounts", isNormalAbsolute(t), "target '" + t + "' must be an absolute path without '.', '..' or '//'");
            check("mounts", !t.equals("/"), "target '/' is the root: use rootfs(...) instead");
            check("mounts", !targets.contains(t), "target '" + t + "' is mounted twice");
            targets.add(t);
            if (m instanceof Mount.Bind b) {
                check("mounts", b.source().isAbsolute(), "source '" + b.source() + "' must be an absolute path");
                check("mounts", noNul(b.source().toString()), "source must not contain NUL");
            }
            if (m instanceof Mount.Volume v) {
                check("mounts", VOLUME.matcher(v.name()).matches(), "volume name '" + v.name()
                        + "' must be 1-128 of A-Z, a-z, 0-9, '_', '.', '-', starting with a letter or digit");
            }
            if (m instanceof Mount.Tmpfs tm && tm.size().isPresent()) {
                check("mounts", tm.size().get().bytes() > 0, "tmpfs size at '" + t + "' must be positive");
            }
        }
        check("hostname", hostname != null && HOSTNAME.matcher(hostname).matches(),
                "'" + hostname + "' is not a valid hostname (1-64 of a-z, A-Z, 0-9, '-', '.', not starting or ending with '-' or '.')");
        check("environment", environment != null, "must be given");
        environment = Collections.unmodifiableSortedMap(new TreeMap<>(environment));
        for (Map.Entry<String, String> e : environment.entrySet()) {
            check("environment", ENV_NAME.matcher(e.getKey()).matches(),
                    "name '" + e.getKey() + "' must be non-empty, without '=' or NUL");
            check("environment", e.getValue() != null && noNul(e.getValue()), "value of " + e.getKey() + " must not contain NUL");
        }
        check("workingDirectory", workingDirectory != null && isNormalAbsolute(workingDirectory),
                "'" + workingDirectory + "' must be an absolute path without '.', '..' or '//'");
        check("user", user != null, "must be given (Optional.empty() for the default)");
        user.ifPresent(u -> check("user", u.uid() >= 0 && u.gid() >= 0,
                "uid and gid must be 0 or more, not " + u.uid() + ":" + u.gid()));
        check("stdin", stdin != null, "must be given");
        check("stdout", stdout != null, "must be given");
        check("stderr", stderr != null, "must be given");
        if (stdout instanceof Output.Capture c) {
            check("stdout", c.limit().bytes() > 0, "capture limit must be positive");
        }
        if (stderr instanceof Output.Capture c) {
            check("stderr", c.limit().bytes() > 0, "capture limit must be positive");
        }
        check("terminal", terminal != null, "must be given (Optional.empty() for none)");
        if (terminal.isPresent()) {
            check("stderr", stderr instanceof Output.Discard,
                    "is the terminal, whose output goes to stdout: leave it Output.discard() with a terminal");
            check("stdin", stdin instanceof Input.Empty || stdin instanceof Input.Bytes || stdin instanceof Input.Pipe,
                    "is typed into the terminal: Input.empty(), bytes or Input.pipe() with a terminal, not " + stdin);
            check("stdout", stdout instanceof Output.Capture || stdout instanceof Output.Pipe,
                    "is the terminal's output: Output.capture() or Output.pipe() with a terminal, not " + stdout);
        }
        check("stdout", !(stdout instanceof Output.ToStdout), "Output.toStdout() is for stderr only");
        check("resources", resources != null, "must be given (ResourceLimits.none())");
        check("timeout", timeout != null, "must be given (Optional.empty() for none)");
        timeout.ifPresent(t -> check("timeout", !t.isNegative() && !t.isZero(), "must be positive, not " + t));
        command = commandOf(command);
        checkCommand(command, true);
        check("security", security != null, "must be given (SecurityPolicy.defaults())");
        check("scratch", scratch != null, "must be given (Optional.empty() for none)");
        scratch.ifPresent(s -> check("scratch", !targets.contains(s.target()),
                "target '" + s.target() + "' is also a mount's target"));
        checkNetwork(network);
        check("ipcFrom", ipcFrom != null, "must be given (Optional.empty() for its own)");
        check("ipcFrom", ipcFrom.isEmpty() || network.network() instanceof Network.Shared,
                "a container sharing another's IPC namespace joins its pod: give it network(Network.container(...)) too");
    }

    private static void checkNetwork(NetworkSettings network) {
        check("network", network != null, "must be given (NetworkSettings.none())");
        Network n = network.network();
        boolean forwards = n instanceof Network.Bridge || n instanceof Network.Pasta;
        check("ports", network.ports().isEmpty() || forwards, "published ports need Network.bridge(...) or "
                + "Network.pasta(); this container's network is " + n + ", which has no port of its own to forward to");
        List<String> seen = new ArrayList<>();
        for (PortMapping p : network.ports()) {
            String key = p.protocol() + " " + p.hostPort();
            check("ports", !seen.contains(key), "host port " + p.hostPort() + "/" + p.protocol().name().toLowerCase(java.util.Locale.ROOT)
                    + " is published twice");
            seen.add(key);
        }
        for (NetworkSettings.HostEntry e : network.extraHosts()) {
            check("addHost", HOSTNAME.matcher(e.name()).matches(), "'" + e.name() + "' is not a valid host name (1-64 of "
                    + "a-z, A-Z, 0-9, '-', '.', not starting or ending with '-' or '.')");
        }
        for (String a : network.aliases()) {
            check("networkAlias", HOSTNAME.matcher(a).matches(), "'" + a + "' is not a valid host name (1-64 of "
                    + "a-z, A-Z, 0-9, '-', '.', not starting or ending with '-' or '.')");
        }
        check("networkAlias", network.aliases().isEmpty() || n instanceof Network.Bridge,
                "names others reach a container by are a bridge's: this container's network is " + n);
    }

    /** A copy of the command, or an error naming the null argument (List.copyOf's has no message). */
    private static List<String> commandOf(List<String> command) {
        check("command", command != null, "must be given");
        for (int i = 0; i < command.size(); i++) {
            check("command", command.get(i) != null, "argument " + i + " is null");
        }
        return List.copyOf(command);
    }

    private static List<String> commandOf(String[] command) {
        check("command", command != null, "must be given");
        return commandOf(Arrays.asList(command));
    }

    private static void checkCommand(List<String> command, boolean mayBeEmpty) {
        check("command", mayBeEmpty || !command.isEmpty(), "is missing: give the program to run and its arguments");
        check("command", command.size() <= MAX_ARGS, "has " + command.size() + " arguments; at most " + MAX_ARGS);
        for (String a : command) {
            check("command", a != null && noNul(a), "arguments must not be null or contain NUL");
        }
        check("command", command.isEmpty() || !command.get(0).isEmpty(), "the program name must not be empty");
    }

    private static void check(String field, boolean ok, String message) {
        if (!ok) {
            throw new InvalidSpecException(field, message);
        }
    }

    private static boolean noNul(String s) {
        return s.indexOf('\0') < 0;
    }

    private static boolean isNormalAbsolute(String path) {
        if (!path.startsWith("/") || !noNul(path) || path.contains("//")) {
            return false;
        }
        if (path.equals("/")) {
            return true;
        }
        if (path.endsWith("/")) {
            return false;
        }
        for (String part : path.substring(1).split("/")) {
            if (part.equals(".") || part.equals("..")) {
                return false;
            }
        }
        return true;
    }

    /**
     * Runs the spec's own command and waits for it.
     *
     * @return the result
     * @throws ContainerStartException if the container could not be started
     * @throws InvalidSpecException if the spec has no command
     */
    public ContainerResult run() {
        return run(command);
    }

    /**
     * Runs a command in a new container of this spec and waits for it to end.
     *
     * @param command the program and its arguments; a program without '/' is looked up in
     *                the container's PATH (or the standard one if the environment has none)
     * @return the result
     * @throws ContainerStartException if the container could not be started
     */
    public ContainerResult run(String... command) {
        return run(commandOf(command));
    }

    /**
     * @param command the program and its arguments
     * @return the result
     * @throws ContainerStartException if the container could not be started
     */
    public ContainerResult run(List<String> command) {
        List<String> cmd = commandOf(command);
        checkCommand(cmd, rootfs instanceof Rootfs.Image); /* an image may supply the command */
        return ContainerEngine.run(this, cmd);
    }

    /**
     * Runs a command in a new container of this spec without waiting for it: the result comes
     * through the future, completed by Corral's I/O thread, so many runs at once need no thread
     * each. Cancelling the future kills the container.
     * <pre>{@code
     * List<CompletableFuture<ContainerResult>> runs = new ArrayList<>();
     * for (int i = 0; i < 200; i++) runs.add(spec.runAsync("/bin/true"));
     * CompletableFuture.allOf(runs.toArray(CompletableFuture[]::new)).join();
     * }</pre>
     *
     * @param command the program and its arguments
     * @return the result to come; a start that fails after this returns fails the future with
     *     a {@link ContainerStartException}
     * @throws ContainerStartException if the container could not be started at all
     */
    public java.util.concurrent.CompletableFuture<ContainerResult> runAsync(String... command) {
        return runAsync(commandOf(command));
    }

    /**
     * @param command the program and its arguments
     * @return the result to come
     * @throws ContainerStartException if the container could not be started at all
     * @see #runAsync(String...)
     */
    public java.util.concurrent.CompletableFuture<ContainerResult> runAsync(List<String> command) {
        List<String> cmd = commandOf(command);
        checkCommand(cmd, rootfs instanceof Rootfs.Image);
        return ContainerEngine.runAsync(this, cmd);
    }

    /**
     * Starts the spec's own command and returns at once.
     *
     * @return the running container
     * @throws ContainerStartException if the container could not be started
     */
    public ContainerProcess start() {
        return start(command);
    }

    /**
     * Starts a command in a new container of this spec; returns once it runs.
     *
     * @param command the program and its arguments
     * @return the running container; close it when done
     * @throws ContainerStartException if the container could not be started
     */
    public ContainerProcess start(String... command) {
        return start(commandOf(command));
    }

    /**
     * @param command the program and its arguments
     * @return the running container; close it when done
     * @throws ContainerStartException if the container could not be started
     */
    public ContainerProcess start(List<String> command) {
        List<String> cmd = commandOf(command);
        checkCommand(cmd, rootfs instanceof Rootfs.Image); /* an image may supply the command */
        return ContainerEngine.start(this, cmd);
    }

    /** @return a builder holding this spec's values */
    public Builder toBuilder() {
        Builder b = new Builder();
        b.rootfs = rootfs;
        b.readOnlyRoot = readOnlyRoot;
        b.mounts.addAll(mounts);
        b.hostname = hostname;
        b.environment.putAll(environment);
        b.workingDirectory = workingDirectory;
        b.user = user.orElse(null);
        b.stdin = stdin;
        b.stdout = stdout;
        b.stderr = stderr;
        b.terminal = terminal.orElse(null);
        b.timeout = timeout.orElse(null);
        b.commandAsPid1 = commandAsPid1;
        b.command = command;
        b.security(security);
        b.limits = resources.cgroup();
        b.cpuTimeLimit = resources.cpuTime().orElse(null);
        b.scratch = scratch.orElse(null);
        b.network = network.network();
        b.ports.addAll(network.ports());
        b.extraHosts.addAll(network.extraHosts());
        b.dns.addAll(network.dns());
        b.aliases.addAll(network.aliases());
        b.ipcFrom = ipcFrom.orElse(null);
        return b;
    }

    /**
     * Builds a {@link ContainerSpec}; obtained from {@link Container#builder()}.
     *
     * <pre>{@code
     * ContainerResult r = Container.builder().hostname("judge").run("hostname");   // "judge\n"
     * }</pre>
     */
    public static final class Builder {
        private Rootfs rootfs = Rootfs.hostReadOnly();
        private boolean readOnlyRoot;
        private final List<Mount> mounts = new ArrayList<>();
        private String hostname = "corral";
        private final Map<String, String> environment = new TreeMap<>();
        private String workingDirectory = "/";
        private User user;
        private Input stdin = Input.empty();
        private Output stdout = Output.capture();
        private Output stderr = Output.capture();
        private Terminal terminal;
        private Duration timeout;
        private boolean commandAsPid1;
        private List<String> command = List.of();
        /* security: see the block of security methods below */
        private NamespaceSet namespaces = SecurityPolicy.defaults().namespaces();
        private UserNamespace userNamespace = SecurityPolicy.defaults().userNamespace();
        private boolean privilegedRoot;
        private CapabilitySet capabilities = CapabilitySet.none();
        private boolean noNewPrivileges = true;
        private SeccompProfile seccomp = SecurityPolicy.defaults().seccomp();
        private final Map<Rlimit.Resource, Rlimit> rlimits = new EnumMap<>(Rlimit.Resource.class);
        private boolean maskedPaths = true;
        private Boolean keepWritableLayer;
        /* resources: a base of cgroup limits, and the short names that change it */
        private CgroupLimits limits = CgroupLimits.none();
        private DataSize memory;
        private DataSize swap;
        private Double cpus;
        private String cpuset;
        private Long pids;
        private Duration cpuTimeLimit;
        private ScratchDirectory scratch;
        /* network: see the block of network methods below */
        private Network network = Network.none();
        private final List<PortMapping> ports = new ArrayList<>();
        private final List<NetworkSettings.HostEntry> extraHosts = new ArrayList<>();
        private final List<InetAddress> dns = new ArrayList<>();
        private final List<String> aliases = new ArrayList<>();
        private ContainerProcess ipcFrom;

        Builder() {
            SecurityPolicy.DEFAULT_RLIMITS.forEach(r -> rlimits.put(r.resource(), r));
        }

        /** @param rootfs the root file system (default: {@link Rootfs#hostReadOnly()}) @return this */
        public Builder rootfs(Rootfs rootfs) {
            this.rootfs = Objects.requireNonNull(rootfs, "rootfs");
            return this;
        }

        /**
         * @param scratch a fresh directory for each run, with files copied in before the command
         *                starts and out after the container ends, within caps
         * @return this
         */
        public Builder scratch(ScratchDirectory scratch) {
            this.scratch = Objects.requireNonNull(scratch, "scratch");
            return this;
        }

        /** @param readOnly make the root file system read-only (default false) @return this */
        public Builder readOnlyRoot(boolean readOnly) {
            this.readOnlyRoot = readOnly;
            return this;
        }

        /** @param mount an extra mount; targets must differ @return this */
        public Builder mount(Mount mount) {
            mounts.add(Objects.requireNonNull(mount, "mount"));
            return this;
        }

        /**
         * Keeps the writable layer of each run of an image or archive root file system
         * ({@link Rootfs#image}, {@link Rootfs#tarball}) after it ends, instead of removing it:
         * {@link ContainerResult#writableLayer()} then tells where it is, and
         * {@link dev.corral.image.ImageStore#commit} makes it a new image.
         *
         * @param keep keep it (default false)
         * @return this
         */
        public Builder keepWritableLayer(boolean keep) {
            this.keepWritableLayer = keep;
            return this;
        }

        /** @param hostname the hostname (default "corral"), 1-64 of a-z, A-Z, 0-9, '-', '.' @return this */
        public Builder hostname(String hostname) {
            this.hostname = hostname;
            return this;
        }

        /** @param name a variable name @param value its value @return this */
        public Builder env(String name, String value) {
            environment.put(Objects.requireNonNull(name, "name"), Objects.requireNonNull(value, "value"));
            return this;
        }

        /** @param variables variables to add @return this */
        public Builder env(Map<String, String> variables) {
            variables.forEach(this::env);
            return this;
        }

        /** @param dir the working directory inside the container (default "/") @return this */
        public Builder workingDirectory(String dir) {
            this.workingDirectory = dir;
            return this;
        }

        /** @param uid user ID @param gid group ID @return this */
        public Builder user(int uid, int gid) {
            this.user = new User(uid, gid);
            return this;
        }

        /** @param input the standard input (default {@link Input#empty()}) @return this */
        public Builder stdin(Input input) {
            this.stdin = Objects.requireNonNull(input, "stdin");
            return this;
        }

        /** @param output the standard output (default {@link Output#capture()}) @return this */
        public Builder stdout(Output output) {
            this.stdout = Objects.requireNonNull(output, "stdout");
            return this;
        }

        /** @param output the standard error (default {@link Output#capture()}) @return this */
        public Builder stderr(Output output) {
            this.stderr = Objects.requireNonNull(output, "stderr");
            return this;
        }

        /**
         * Gives the command a pseudo-terminal (as {@code docker run -t}); its output, standard
         * error included, goes to {@code stdout}, so this also sets {@code stderr} to
         * {@link Output#discard()}.
         *
         * @param terminal the terminal's window size
         * @return this
         */
        public Builder terminal(Terminal terminal) {
            this.terminal = Objects.requireNonNull(terminal, "terminal");
            this.stderr = Output.discard();
            return this;
        }

        /** @param timeout wall-clock limit; the whole container is killed when it runs out @return this */
        public Builder timeout(Duration timeout) {
            this.timeout = Objects.requireNonNull(timeout, "timeout");
            return this;
        }

        /**
         * @param asPid1 run the command itself as PID 1: it then receives no default signal
         *               handling and must reap its own orphans (default false: a minimal init)
         * @return this
         */
        public Builder commandAsPid1(boolean asPid1) {
            this.commandAsPid1 = asPid1;
            return this;
        }

        /** @param command the program and arguments for {@link ContainerSpec#run()} @return this */
        public Builder command(String... command) {
            this.command = commandOf(command);
            return this;
        }

        /* ---- security (SecurityPolicy): the short names are the safe ones ---- */

        /**
         * @param namespaces the namespaces (default {@link NamespaceSet#defaults()}: all but time);
         *                   MOUNT and PID are required, and USER unless {@link #privilegedRoot()}
         * @return this
         */
        public Builder namespaces(NamespaceSet namespaces) {
            this.namespaces = Objects.requireNonNull(namespaces, "namespaces");
            return this;
        }

        /**
         * @param mapping how the user namespace maps IDs (default {@link UserNamespace#auto()})
         * @return this
         */
        public Builder userNamespace(UserNamespace mapping) {
            this.userNamespace = Objects.requireNonNull(mapping, "userNamespace");
            return this;
        }

        /**
         * Runs the container without a user namespace: its root is the host's real root, with the
         * host root's access to every file the container can see (as capabilities allow: still none
         * by default). Needs root. Use only for trusted commands that must own host files as root.
         *
         * @return this
         */
        public Builder privilegedRoot() {
            this.privilegedRoot = true;
            this.namespaces = namespaces.without(Namespace.USER);
            return this;
        }

        /**
         * @param caps the command's capabilities, in its bounding, permitted, effective, inheritable
         *             and ambient sets, whatever its user (default none)
         * @return this
         */
        public Builder capabilities(CapabilitySet caps) {
            this.capabilities = Objects.requireNonNull(caps, "capabilities");
            return this;
        }

        /**
         * Lets setuid programs and file capabilities take effect (clears the default
         * {@code no_new_privs}). Inside a user namespace they still grant nothing on the host.
         *
         * @return this
         */
        public Builder allowNewPrivileges() {
            this.noNewPrivileges = false;
            return this;
        }

        /**
         * @param profile the seccomp profile (default {@link SeccompProfiles#defaultProfile()};
         *                {@link SeccompProfiles#unconfined()} for none), compiled for this machine's
         *                architecture. Under {@link SeccompProfiles#strictJudge()} the command is
         *                executed through descriptor {@value SeccompProfiles#JUDGE_EXEC_FD} and its
         *                hard file limit is at most that number.
         * @return this
         */
        public Builder seccomp(SeccompProfile profile) {
            this.seccomp = Objects.requireNonNull(profile, "seccomp");
            return this;
        }

        /**
         * @param limit a resource limit; replaces the default or an earlier one for the resource
         *              (defaults: {@link SecurityPolicy#DEFAULT_RLIMITS})
         * @return this
         */
        public Builder rlimit(Rlimit limit) {
            rlimits.put(limit.resource(), limit);
            return this;
        }

        /**
         * @param policy every security setting at once
         * @return this
         */
        public Builder security(SecurityPolicy policy) {
            namespaces = policy.namespaces();
            userNamespace = policy.userNamespace();
            privilegedRoot = policy.privilegedRoot();
            capabilities = policy.capabilities();
            noNewPrivileges = policy.noNewPrivileges();
            seccomp = policy.seccomp();
            rlimits.clear();
            policy.rlimits().forEach(r -> rlimits.put(r.resource(), r));
            maskedPaths = policy.maskedPaths();
            return this;
        }

        /**
         * Leaves {@code /proc} unmasked and writable where the container's namespaces allow
         * ({@code kcore}, {@code keys}, {@code sys}, ...: see {@link SecurityPolicy}). A nested
         * runtime needs it: the kernel lets a user namespace mount a new {@code /proc} only where
         * the current one is fully visible. With the default user namespace, the host's sysctls
         * stay unwritable anyway.
         *
         * @return this
         */
        public Builder unmaskedPaths() {
            this.maskedPaths = false;
            return this;
        }

        private SecurityPolicy securityPolicy() {
            return new SecurityPolicy(namespaces, userNamespace, privilegedRoot, capabilities, noNewPrivileges, seccomp,
                    new ArrayList<>(rlimits.values()), maskedPaths);
        }

        /* ---- network (NetworkSettings) ---- */

        /**
         * The container's network. The default, {@link Network#none()}, is loopback only.
         *
         * <pre>{@code
         * Container.builder().network(Network.host()).run("wget", "-qO-", "http://127.0.0.1:8080/");
         * }</pre>
         *
         * @param network the network
         * @return this
         */
        public Builder network(Network network) {
            this.network = Objects.requireNonNull(network, "network");
            return this;
        }

        /**
         * Publishes ports of the container on the host (bridge and pasta networks).
         *
         * <pre>{@code
         * Container.builder().network(Network.bridge("web")).publish(PortMapping.parse("8080:80"), PortMapping.udp(5353, 53));
         * }</pre>
         *
         * @param ports the ports; added to those given before
         * @return this
         */
        public Builder publish(PortMapping... ports) {
            for (PortMapping p : Objects.requireNonNull(ports, "ports")) {
                this.ports.add(Objects.requireNonNull(p, "port"));
            }
            return this;
        }

        /**
         * Adds a line to the container's {@code /etc/hosts} (as {@code docker run --add-host}).
         *
         * <pre>{@code
         * Container.builder().addHost("registry.local", InetAddress.getByName("10.89.0.2"));
         * }</pre>
         *
         * @param name    a host name
         * @param address its address
         * @return this
         */
        public Builder addHost(String name, InetAddress address) {
            extraHosts.add(new NetworkSettings.HostEntry(Objects.requireNonNull(name, "name"),
                    Objects.requireNonNull(address, "address")));
            return this;
        }

        /**
         * Sets the name servers of the container's {@code /etc/resolv.conf} (as {@code docker run --dns}).
         *
         * <pre>{@code
         * Container.builder().network(Network.bridge("ci")).dns(InetAddress.getByName("9.9.9.9"));
         * }</pre>
         *
         * @param servers the servers; added to those given before
         * @return this
         */
        public Builder dns(InetAddress... servers) {
            for (InetAddress a : Objects.requireNonNull(servers, "servers")) {
                dns.add(Objects.requireNonNull(a, "server"));
            }
            return this;
        }

        /**
         * Names the other containers on its bridge reach this one by, besides its hostname.
         *
         * <pre>{@code
         * Container.builder().network(Network.bridge("app")).hostname("db-1").networkAlias("db", "mariadb");
         * }</pre>
         *
         * @param names host names; added to those given before
         * @return this
         */
        public Builder networkAlias(String... names) {
            for (String n : Objects.requireNonNull(names, "names")) {
                aliases.add(Objects.requireNonNull(n, "name"));
            }
            return this;
        }

        /**
         * Shares a running container's IPC namespace (System V IPC, POSIX message queues), as
         * the members of a pod do; the container then also shares the user namespace that owns it.
         *
         * <pre>{@code
         * Container.builder().network(Network.container(first)).ipcFrom(first).start("worker");
         * }</pre>
         *
         * @param other a running container of this JVM
         * @return this
         */
        public Builder ipcFrom(ContainerProcess other) {
            this.ipcFrom = Objects.requireNonNull(other, "other");
            return this;
        }

        /** @param settings every network setting at once @return this */
        public Builder network(NetworkSettings settings) {
            Objects.requireNonNull(settings, "settings");
            network = settings.network();
            ports.clear();
            ports.addAll(settings.ports());
            extraHosts.clear();
            extraHosts.addAll(settings.extraHosts());
            dns.clear();
            dns.addAll(settings.dns());
            aliases.clear();
            aliases.addAll(settings.aliases());
            return this;
        }

        /* ---- resources (ResourceLimits): enforced by a cgroup of the container's own ---- */

        /**
         * @param memory the most memory (anonymous, page cache, kernel) all processes may use
         *               together; past it the kernel's OOM killer ends one: {@link Termination#OOM_KILLED}.
         *               No swap unless {@link #memorySwap}.
         * @return this
         */
        public Builder memory(DataSize memory) {
            this.memory = Objects.requireNonNull(memory, "memory");
            return this;
        }

        /** @param swap swap allowed on top of {@link #memory} (default none) @return this */
        public Builder memorySwap(DataSize swap) {
            this.swap = Objects.requireNonNull(swap, "swap");
            return this;
        }

        /** @param cpus CPU bandwidth, e.g. 1.5 for one and a half CPUs' worth of time @return this */
        public Builder cpus(double cpus) {
            this.cpus = cpus;
            return this;
        }

        /** @param cpus the CPUs it may run on, in cpuset syntax, e.g. {@code "0"} or {@code "0-2,4"} @return this */
        public Builder cpuset(String cpus) {
            this.cpuset = Objects.requireNonNull(cpus, "cpuset");
            return this;
        }

        /** @param pids the most processes and threads at once @return this */
        public Builder pids(long pids) {
            this.pids = pids;
            return this;
        }

        /**
         * @param limits every cgroup limit at once (the short names above then change it), e.g.
         *               with {@code allowUnenforced(...)} to run where a controller is missing
         * @return this
         */
        public Builder limits(CgroupLimits limits) {
            this.limits = Objects.requireNonNull(limits, "limits");
            return this;
        }

        /**
         * @param limit the most CPU time (user plus system, of all its processes together); past
         *              it the whole container is killed: {@link Termination#CPU_TIME_EXCEEDED}
         * @return this
         */
        public Builder cpuTimeLimit(Duration limit) {
            this.cpuTimeLimit = Objects.requireNonNull(limit, "cpuTimeLimit");
            return this;
        }

        private ResourceLimits resources() {
            CgroupLimits l = limits;
            if (memory != null || swap != null || cpus != null || cpuset != null || pids != null) {
                CgroupLimits.Builder b = limits.toBuilder();
                try {
                    if (memory != null) {
                        b.memory(memory);
                    }
                    if (swap != null) {
                        b.swap(swap);
                    }
                    if (cpus != null) {
                        b.cpus(cpus);
                    }
                    if (cpuset != null) {
                        b.cpusetCpus(cpuset);
                    }
                    if (pids != null) {
                        b.pids(pids);
                    }
                    l = b.build();
                } catch (IllegalArgumentException e) {
                    throw new InvalidSpecException("limits", e.getMessage());
                }
            }
            return new ResourceLimits(l, Optional.ofNullable(cpuTimeLimit));
        }

        /**
         * @return the validated spec
         * @throws InvalidSpecException naming the field whose value is out of range
         */
        public ContainerSpec build() {
            Rootfs rootfs = this.rootfs;
            if (keepWritableLayer != null) {
                if (rootfs instanceof Rootfs.Image i) {
                    rootfs = new Rootfs.Image(i.store(), i.reference(), keepWritableLayer);
                } else if (rootfs instanceof Rootfs.Tarball t) {
                    rootfs = new Rootfs.Tarball(t.store(), t.archive(), keepWritableLayer);
                } else if (keepWritableLayer) {
                    throw new InvalidSpecException("keepWritableLayer",
                            "needs a root file system with layers: Rootfs.image(...) or Rootfs.tarball(...)");
                }
            }
            return new ContainerSpec(rootfs, readOnlyRoot, mounts, hostname, new TreeMap<>(environment),
                    workingDirectory, Optional.ofNullable(user), stdin, stdout, stderr, Optional.ofNullable(terminal),
                    Optional.ofNullable(timeout),
                    commandAsPid1, command, securityPolicy(), resources(), Optional.ofNullable(scratch),
                    new NetworkSettings(network, ports, extraHosts, dns, aliases), Optional.ofNullable(ipcFrom));
        }

        /** @param command the program and its arguments @return the result @see ContainerSpec#run(String...) */
        public ContainerResult run(String... command) {
            return build().run(command);
        }

        /** @param command the program and its arguments @return the running container @see ContainerSpec#start(String...) */
        public ContainerProcess start(String... command) {
            return build().start(command);
        }
    }
}
