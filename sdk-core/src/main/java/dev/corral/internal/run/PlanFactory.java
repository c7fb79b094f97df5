package dev.corral.internal.run;

import dev.corral.ContainerSpec;
import dev.corral.Input;
import dev.corral.Terminal;
import dev.corral.Output;
import dev.corral.internal.mounts.MountPlanner.PlannedMount;
import dev.corral.internal.network.NetworkAttachment;
import dev.corral.InvalidSpecException;
import dev.corral.NamespacePermissionException;
import dev.corral.SecurityPolicy;
import dev.corral.namespaces.CapabilitySet;
import dev.corral.namespaces.HostSecurity;
import dev.corral.namespaces.IdMapping;
import dev.corral.namespaces.Namespace;
import dev.corral.namespaces.Rlimit;
import dev.corral.namespaces.UserNamespace;
import dev.corral.namespaces.launcher.LaunchPlan.CapabilitySets;
import dev.corral.namespaces.launcher.LaunchPlan.SeccompBytes;
import dev.corral.namespaces.seccomp.SeccompArchitecture;
import dev.corral.namespaces.seccomp.SeccompCompileException;
import dev.corral.namespaces.seccomp.SeccompProfile;
import java.util.Collections;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.WeakHashMap;
import dev.corral.namespaces.launcher.LaunchPlan;
import dev.corral.namespaces.launcher.OverlayTrees;
import dev.corral.namespaces.launcher.LaunchPlan.StdioOp;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.List;

/** Turns a validated spec into the launcher's fully resolved plan. */
final class PlanFactory {
    /** The search path when the container's environment has no PATH: Docker's default. */
    static final String DEFAULT_PATH = DefaultEnvironment.PATH;

    private static final String STAGING = pickStaging();

    private PlanFactory() {}

    /**
     * @param roots the directories whose {@code etc/passwd} the container sees, topmost first
     *              (for the default {@code HOME})
     */
    static LaunchPlan plan(ContainerSpec spec, List<String> command, List<PlannedMount> mounts,
                           java.util.Optional<dev.corral.cgroups.internal.CgroupLease> cgroup, List<Path> roots) {
        try (OverlayTrees none = new OverlayTrees()) {
            if (mounts.stream().anyMatch(m -> m.op().kind() == LaunchPlan.MountOp.Kind.OVERLAY)) {
                throw new IllegalArgumentException("an overlay needs its trees kept until the plan is sent");
            }
            return plan(spec, command, mounts, cgroup, roots, none, dev.corral.internal.network.ContainerNetworks.none());
        }
    }

    /**
     * @param roots the directories whose {@code etc/passwd} the container sees, topmost first
     *              (for the default {@code HOME})
     * @param trees where an overlay's layers are cloned: the caller closes it once the plan is sent
     * @param net   the container's network, prepared: the namespaces it shares or joins
     */
    static LaunchPlan plan(ContainerSpec spec, List<String> command, List<PlannedMount> mounts,
                           java.util.Optional<dev.corral.cgroups.internal.CgroupLease> cgroup, List<Path> roots,
                           OverlayTrees trees, NetworkAttachment net) {
        Identity who = identity(spec);
        LaunchPlan.Builder b = LaunchPlan.builder()
                .cloneFlags(spec.security().namespaces().cloneFlags() & ~net.sharedNamespaces())
                .commandAsPid1(spec.commandAsPid1())
                .stagingDir(STAGING)
                .rootReadOnly(spec.readOnlyRoot())
                .hostname((net.sharedNamespaces() & Namespace.UTS.cloneFlag()) != 0 ? null : spec.hostname())
                .loopback(net.loopback())
                .stdio(0, spec.terminal().map(PlanFactory::tty).orElseGet(() -> stdin(spec.stdin())))
                .stdio(1, spec.terminal().map(PlanFactory::tty).orElseGet(() -> output(spec.stdout())))
                .stdio(2, spec.terminal().map(PlanFactory::tty).orElseGet(() ->
                        spec.stderr() instanceof Output.ToStdout ? StdioOp.sameAsStdout() : output(spec.stderr())))
                .argv(command)
                .env(DefaultEnvironment.of(spec.environment(), spec.hostname(),
                        who.user().map(ContainerSpec.User::uid).orElse(0), roots))
                .searchPath(searchPath(spec))
                .cwd(spec.workingDirectory())
                .umask(022);
        for (PlannedMount m : mounts) {
            if (m.op().kind() == LaunchPlan.MountOp.Kind.OVERLAY) {
                trees.add(b, m.op()); /* its layers cloned here, its options final */
            } else {
                trees.bind(b, asOwner(m, who)); /* a bind's source cloned here, an owner-mapped one idmapped */
            }
        }
        boolean userns = (spec.security().namespaces().cloneFlags() & ~net.sharedNamespaces() & Namespace.USER.cloneFlag()) != 0;
        /* the command waits at the gate until the network is configured (pasta) */
        net.gate().ifPresent(fd -> b.gate(b.descriptor(fd)));
        for (NetworkAttachment.Join j : net.joins()) {
            b.setns(new LaunchPlan.SetnsOp(b.descriptor(j.descriptor()), j.nstype()));
            userns |= j.nstype() == Namespace.USER.cloneFlag();
        }
        if (userns) {
            trees.idmapForContainer(b); /* by the launcher, once the container's user namespace is there */
        }
        /* a joined user namespace has its ID maps already */
        applySecurity(b, spec, who, (net.sharedNamespaces() & Namespace.USER.cloneFlag()) == 0);
        /* the container's first process moves itself in through the lease's descriptors, after
           its mounts and before the command: every byte and CPU nanosecond of the command is
           accounted */
        cgroup.ifPresent(c -> {
            /* on v2, cloned straight into the cgroup where the kernel can (clone3) */
            if (c.directoryDescriptor().isPresent() && c.procsDescriptor().isPresent()) {
                b.cloneIntoCgroup(new LaunchPlan.CgroupClone(b.descriptor(c.directoryDescriptor().getAsInt()),
                        b.descriptor(c.procsDescriptor().getAsInt())));
            }
            c.joinDescriptors().forEach(fd -> b.writeZero(b.descriptor(fd)));
            /* read by the launcher right after the reap, with no JVM file reads on the result's
               path; then, where no process can outlive the first (its own PID namespace), set
               back at once for the next container, which may get this cgroup again */
            List<Integer> counters = c.counterDescriptors();
            if (counters.size() <= LaunchPlan.MAX_COUNTER_FILES) {
                counters.forEach(fd -> b.readAtReap(b.descriptor(fd)));
                if (spec.security().namespaces().contains(Namespace.PID)) {
                    c.counterResetDescriptors().forEach(fd -> b.zeroAtReap(b.descriptor(fd)));
                }
            }
        });
        return b.build();
    }

    /* ---- security: user namespace, IDs, capabilities, no_new_privs, seccomp, rlimits ---- */

    private static final Map<SeccompProfile, SeccompBytes> COMPILED = Collections.synchronizedMap(new WeakHashMap<>());

    static boolean usesUserNamespace(ContainerSpec spec) {
        return spec.security().namespaces().contains(Namespace.USER);
    }

    /**
     * Who the command runs as.
     *
     * @param host    this process's security state
     * @param maps    the container's ID maps, if it has a user namespace
     * @param user    the container user, when one is set or chosen (with a user namespace, always)
     * @param hostUid the container user's uid on the host (this process's namespace)
     * @param hostGid its gid on the host
     */
    record Identity(HostSecurity host, Optional<HostSecurity.IdMaps> maps, Optional<ContainerSpec.User> user,
                    long hostUid, long hostGid) {}

    static Identity identity(ContainerSpec spec) {
        SecurityPolicy sec = spec.security();
        HostSecurity host = HostSecurity.probe();
        if (!usesUserNamespace(spec)) {
            return new Identity(host, Optional.empty(), spec.user(), spec.user().map(ContainerSpec.User::uid).orElse((int) host.uid()),
                    spec.user().map(ContainerSpec.User::gid).orElse((int) host.gid()));
        }
        HostSecurity.IdMaps maps;
        try {
            maps = host.resolve(sec.userNamespace());
        } catch (IllegalStateException e) {
            throw new NamespacePermissionException("map user IDs for " + sec.userNamespace(), Optional.empty(), OptionalInt.empty(), Optional.empty(),
                    e.getMessage());
        }
        /* by default the namespace's root, or (when 0 is not mapped) the first mapped ID: the
           caller itself; with keep-id, the caller */
        ContainerSpec.User u = spec.user().orElse(sec.userNamespace().kind() == UserNamespace.Kind.KEEP_ID
                ? new ContainerSpec.User((int) host.uid(), (int) host.gid())
                : maps.mapsUid(0) && maps.mapsGid(0) ? new ContainerSpec.User(0, 0)
                : new ContainerSpec.User((int) maps.uids().get(0).containerId(), (int) maps.gids().get(0).containerId()));
        if (!maps.mapsUid(u.uid()) || !maps.mapsGid(u.gid())) {
            throw new InvalidSpecException("user", u.uid() + ":" + u.gid() + " is not mapped in the container's user "
                    + "namespace (" + maps.note() + "; uid map " + maps.uids() + "): pick a mapped ID, or configure "
                    + "subordinate IDs (/etc/subuid, /etc/subgid, package uidmap)");
        }
        return new Identity(host, Optional.of(maps), Optional.of(u), toHost(maps.uids(), u.uid()), toHost(maps.gids(), u.gid()));
    }

    private static long toHost(List<IdMapping> map, long id) {
        for (IdMapping m : map) {
            if (m.coversContainerId(id)) {
                return m.hostId() + (id - m.containerId());
            }
        }
        throw new IllegalStateException("ID " + id + " is not mapped"); /* checked by identity() */
    }

    /**
     * An owner-mapped bind ({@link dev.corral.Mount#bindAsOwner}): idmapped so that its owner
     * on the host is the container's user, or a plain bind where the user already is the owner.
     * An idmapped mount of a host file system takes host root: refused for anyone else.
     */
    static LaunchPlan.MountOp asOwner(PlannedMount m, Identity who) {
        if (!(m.userMount().orElse(null) instanceof dev.corral.Mount.Bind bind) || !bind.asOwner()) {
            return m.op();
        }
        long uid, gid;
        try {
            uid = ((Number) Files.getAttribute(bind.source(), "unix:uid")).longValue();
            gid = ((Number) Files.getAttribute(bind.source(), "unix:gid")).longValue();
        } catch (java.io.IOException | UnsupportedOperationException e) {
            return m.op(); /* a missing source is reported as such by the start */
        }
        return asOwner(m.op(), uid, gid, who.hostUid(), who.hostGid(),
                who.host().uid() == 0 && who.host().privileged() && !who.host().nested());
    }

    /**
     * @param op         the plain bind
     * @param ownerUid   the source's owner
     * @param ownerGid   the source's group
     * @param hostUid    the container user's uid on the host
     * @param hostGid    its gid on the host
     * @param hostRoot   whether this process is host root, which alone may idmap a host file system
     * @return the bind as it is to be made
     */
    static LaunchPlan.MountOp asOwner(LaunchPlan.MountOp op, long ownerUid, long ownerGid, long hostUid, long hostGid,
                                      boolean hostRoot) {
        if (ownerUid == hostUid && ownerGid == hostGid) {
            return op; /* the container's user already is the owner (rootless, keep-id) */
        }
        if (!hostRoot) {
            throw new InvalidSpecException("mounts", "the owner-mapped bind of " + op.source() + " (owner " + ownerUid + ":"
                    + ownerGid + ") needs host root, which alone may idmap a host file system; the container's user is "
                    + "host " + hostUid + ":" + hostGid + " here: bind what you own with the default user namespace, or "
                    + "use UserNamespace.keepId() (--userns keep-id)");
        }
        return LaunchPlan.MountOp.bindAsOwner(op.source(), op.target(), op.flags() & ~LaunchPlan.MountOp.RECURSIVE,
                IdMapping.of(ownerUid, hostUid, 1), IdMapping.of(ownerGid, hostGid, 1));
    }

    /**
     * The plan of a command started in a running container (an exec): no new namespace, mount or
     * ID map; it joins the container's namespaces (their descriptors, in {@code namespaces}'
     * order), moves into its cgroup, and takes the container's user and security policy. Its
     * first process stays outside the container's PID namespace (joining one affects children
     * only) and starts the command in it, which dies with it.
     *
     * @param spec       the container's spec with the exec's environment, directory, stdio and terminal
     * @param namespaces descriptor and {@code CLONE_NEW*} type of each namespace to join, in order
     */
    static LaunchPlan execPlan(ContainerSpec spec, List<String> command,
                               java.util.Optional<dev.corral.cgroups.internal.CgroupLease> cgroup, List<Path> roots,
                               List<int[]> namespaces) {
        Identity who = identity(spec);
        LaunchPlan.Builder b = LaunchPlan.builder()
                .cloneFlags(0)
                .commandAsPid1(false)
                .commandParentDeath(true)
                .stagingDir(STAGING)
                .stdio(0, spec.terminal().map(PlanFactory::tty).orElseGet(() -> stdin(spec.stdin())))
                .stdio(1, spec.terminal().map(PlanFactory::tty).orElseGet(() -> output(spec.stdout())))
                .stdio(2, spec.terminal().map(PlanFactory::tty).orElseGet(() ->
                        spec.stderr() instanceof Output.ToStdout ? StdioOp.sameAsStdout() : output(spec.stderr())))
                .argv(command)
                .env(DefaultEnvironment.of(spec.environment(), spec.hostname(),
                        who.user().map(ContainerSpec.User::uid).orElse(0), roots))
                .searchPath(searchPath(spec))
                .cwd(spec.workingDirectory())
                .umask(022);
        for (int[] ns : namespaces) {
            b.setns(new LaunchPlan.SetnsOp(b.descriptor(ns[0]), ns[1]));
        }
        applySecurity(b, spec, who, false);
        cgroup.ifPresent(c -> {
            if (c.directoryDescriptor().isPresent() && c.procsDescriptor().isPresent()) {
                b.cloneIntoCgroup(new LaunchPlan.CgroupClone(b.descriptor(c.directoryDescriptor().getAsInt()),
                        b.descriptor(c.procsDescriptor().getAsInt())));
            }
            c.joinDescriptors().forEach(fd -> b.writeZero(b.descriptor(fd)));
        });
        return b.build();
    }

    /** @param idMaps whether the plan makes the user namespace (and writes its maps), not joins it */
    private static void applySecurity(LaunchPlan.Builder b, ContainerSpec spec, Identity who, boolean idMaps) {
        SecurityPolicy sec = spec.security();
        if (usesUserNamespace(spec)) {
            HostSecurity.IdMaps maps = who.maps().orElseThrow();
            ContainerSpec.User u = who.user().orElseThrow();
            b.denySetgroups(maps.denySetgroups())
                    .user(new LaunchPlan.UserIds(u.uid(), u.gid(), List.of())); /* kuid moves into the map here */
            if (idMaps) {
                b.uidMap(IdMapping.mapText(maps.uids())).gidMap(IdMapping.mapText(maps.gids()));
                maps.uidTool().ifPresent(t -> b.uidMapTool(t.toString()));
                maps.gidTool().ifPresent(t -> b.gidMapTool(t.toString()));
            }
        } else {
            spec.user().ifPresent(u -> b.user(new LaunchPlan.UserIds(u.uid(), u.gid(), List.of())));
        }
        long caps = sec.capabilities().bits() & CapabilitySet.kernelKnown().bits();
        b.capabilities(new CapabilitySets(caps, caps, caps, caps, caps));
        b.noNewPrivs(sec.noNewPrivileges());

        if (!sec.seccomp().isUnconfined()) {
            b.seccomp(compile(sec.seccomp()).bytes());
        }
        /* the profile states it: exec through this descriptor, and never hold one with its number again */
        OptionalInt execFd = sec.seccomp().execDescriptor();
        for (Rlimit r : sec.rlimits()) {
            long hard = r.hard(), soft = r.soft();
            if (execFd.isPresent() && r.resource() == Rlimit.Resource.NOFILE) {
                long cap = execFd.getAsInt();
                hard = hard == Rlimit.INFINITY ? cap : Math.min(hard, cap);
                soft = soft == Rlimit.INFINITY ? hard : Math.min(soft, hard);
            }
            b.rlimit(new LaunchPlan.RlimitOp(r.resource().number(), soft, hard));
        }
        if (execFd.isPresent()) {
            if (sec.rlimit(Rlimit.Resource.NOFILE).isEmpty()) {
                b.rlimit(new LaunchPlan.RlimitOp(Rlimit.Resource.NOFILE.number(), execFd.getAsInt(), execFd.getAsInt()));
            }
            b.execFd(execFd.getAsInt());
        }
    }

    /** A compiled profile, kept with the profile it came from. */
    private record CompiledProfile(SeccompProfile profile, SeccompBytes bytes) {}

    /**
     * The profile compiled last, by identity: a spec hands the same profile object to every run,
     * which then need not hash and compare a profile's few hundred rules in the map below.
     */
    private static volatile CompiledProfile lastCompiled;

    /** @param profile a profile to compile now, for the runs to come (unconfined: nothing) */
    static void precompile(SeccompProfile profile) {
        if (!profile.isUnconfined()) {
            compile(profile);
        }
    }

    private static CompiledProfile compile(SeccompProfile profile) {
        CompiledProfile last = lastCompiled;
        if (last != null && last.profile() == profile) {
            return last;
        }
        last = new CompiledProfile(profile, compileBytes(profile));
        lastCompiled = last;
        return last;
    }

    private static SeccompBytes compileBytes(SeccompProfile profile) {
        return COMPILED.computeIfAbsent(profile, p -> {
            SeccompArchitecture arch = SeccompArchitecture.host().orElseThrow(() -> new InvalidSpecException("seccomp",
                    "this machine's architecture (" + System.getProperty("os.arch") + ") has no syscall table: use "
                    + "SeccompProfiles.unconfined()"));
            try {
                return new SeccompBytes(p.compile(arch).toByteArray());
            } catch (SeccompCompileException e) {
                throw new InvalidSpecException("seccomp", e.getMessage());
            }
        });
    }

    static String searchPath(ContainerSpec spec) {
        return spec.environment().getOrDefault("PATH", DEFAULT_PATH);
    }

    private static StdioOp tty(Terminal t) {
        return StdioOp.tty(t.rows(), t.columns());
    }

    private static StdioOp stdin(Input in) {
        if (in instanceof Input.Empty) {
            return StdioOp.devNull();
        } else if (in instanceof Input.Inherit) {
            return StdioOp.inherit();
        } else if (in instanceof Input.FromFile f) {
            return StdioOp.file(f.path().toAbsolutePath().toString(), StdioOp.O_RDONLY, 0);
        }
        return StdioOp.relay(); /* bytes and pipes */
    }

    private static StdioOp output(Output out) {
        if (out instanceof Output.Discard) {
            return StdioOp.devNull();
        } else if (out instanceof Output.Inherit) {
            return StdioOp.inherit();
        } else if (out instanceof Output.ToFile f) {
            return StdioOp.file(f.path().toAbsolutePath().toString(),
                    f.append() ? StdioOp.O_WRITE_APPEND : StdioOp.O_WRITE_TRUNCATE, 0644);
        }
        return StdioOp.relay(); /* captures and pipes */
    }

    /** The staging tmpfs goes on a real directory of the host; /tmp is the usual one. */
    private static String pickStaging() {
        for (String dir : List.of("/tmp", "/mnt", "/run", "/var/tmp", "/media", "/srv")) {
            if (Files.isDirectory(Path.of(dir), LinkOption.NOFOLLOW_LINKS)) {
                return dir;
            }
        }
        throw new IllegalStateException("no directory for the launcher's staging tmpfs: none of /tmp, /mnt, /run, "
                + "/var/tmp, /media, /srv is a directory on this host");
    }
}
