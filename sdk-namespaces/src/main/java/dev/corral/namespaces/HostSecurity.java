package dev.corral.namespaces;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;

/**
 * What the running process may do about namespaces, read from {@code /proc} and {@code /etc}
 * (no process is started): its IDs and capabilities, whether it is nested in a container's user
 * namespace, the sysctls that allow or forbid unprivileged user namespaces, {@code newuidmap},
 * subordinate ID ranges, and its own seccomp and {@code no_new_privs} state. It explains why
 * rootless containers are impossible when they are, and resolves a {@link UserNamespace} into
 * the maps the launcher writes.
 *
 * <pre>{@code
 * HostSecurity host = HostSecurity.probe();
 * host.userNamespaceBlocker();      // Optional.empty() where user namespaces work
 * host.nested();                    // true inside rootless Docker or a pod with user namespaces
 * HostSecurity.IdMaps maps = host.resolve(UserNamespace.auto());
 * }</pre>
 *
 * @param uid                   the effective uid
 * @param gid                   the effective gid
 * @param userName              the user's name, for {@code /etc/subuid}
 * @param privileged            CAP_SETUID, CAP_SETGID and CAP_SYS_ADMIN in the effective set
 * @param ownUidMap             this process's own user namespace uid map
 * @param ownGidMap             its gid map
 * @param newuidmap             the {@code newuidmap} program, if installed
 * @param newgidmap             the {@code newgidmap} program, if installed
 * @param subuids               the user's subordinate uid ranges ({@code /etc/subuid})
 * @param subgids               the user's subordinate gid ranges ({@code /etc/subgid})
 * @param maxUserNamespaces     {@code user.max_user_namespaces}
 * @param unprivilegedUsernsClone {@code kernel.unprivileged_userns_clone} (Debian, Ubuntu), if present
 * @param apparmorRestrictUserns {@code kernel.apparmor_restrict_unprivileged_userns}, if present
 * @param seccompMode           {@code Seccomp:} of {@code /proc/self/status}: 0 none, 1 strict, 2 filter
 * @param noNewPrivs            {@code NoNewPrivs:} of {@code /proc/self/status}
 */
public record HostSecurity(long uid, long gid, String userName, boolean privileged, List<IdMapping> ownUidMap,
                           List<IdMapping> ownGidMap, Optional<Path> newuidmap, Optional<Path> newgidmap,
                           List<IdMapping> subuids, List<IdMapping> subgids, OptionalLong maxUserNamespaces,
                           OptionalInt unprivilegedUsernsClone, OptionalInt apparmorRestrictUserns, int seccompMode,
                           boolean noNewPrivs) {

    private static final long CAP_SETGID = 6, CAP_SETUID = 7, CAP_SYS_ADMIN = 21;
    private static volatile HostSecurity cached;

    /** Copies the lists. */
    public HostSecurity {
        ownUidMap = List.copyOf(ownUidMap);
        ownGidMap = List.copyOf(ownGidMap);
        subuids = List.copyOf(subuids);
        subgids = List.copyOf(subgids);
    }

    /** @return the running process's view, read once and cached */
    public static HostSecurity probe() {
        HostSecurity h = cached;
        if (h == null) {
            h = read(Path.of("/"));
            cached = h;
        }
        return h;
    }

    /**
     * @param root where {@code proc/}, {@code etc/} and {@code usr/} are (a fixture in tests)
     * @return the view read from there
     */
    public static HostSecurity read(Path root) {
        List<String> status = lines(root.resolve("proc/self/status"));
        long uid = field(status, "Uid:", 1), gid = field(status, "Gid:", 1);
        long capEff = hexField(status, "CapEff:");
        boolean privileged = (capEff & (1L << CAP_SETUID)) != 0 && (capEff & (1L << CAP_SETGID)) != 0
                && (capEff & (1L << CAP_SYS_ADMIN)) != 0;
        String name = userName(root, uid);
        return new HostSecurity(uid, gid, name, privileged, idMap(root.resolve("proc/self/uid_map")),
                idMap(root.resolve("proc/self/gid_map")), program(root, "newuidmap"), program(root, "newgidmap"),
                subordinate(root.resolve("etc/subuid"), name, uid), subordinate(root.resolve("etc/subgid"), name, uid),
                sysctlLong(root, "user/max_user_namespaces"), sysctlInt(root, "kernel/unprivileged_userns_clone"),
                sysctlInt(root, "kernel/apparmor_restrict_unprivileged_userns"), (int) field(status, "Seccomp:", 1),
                field(status, "NoNewPrivs:", 1) == 1);
    }

    /**
     * @return whether this process is inside a user namespace other than the host's (its uid map
     *         is not the identity over all IDs): rootless Docker, Podman, a pod with user namespaces
     */
    public boolean nested() {
        return !(ownUidMap.size() == 1 && ownUidMap.get(0).containerId() == 0 && ownUidMap.get(0).hostId() == 0
                && ownUidMap.get(0).count() == 4294967295L);
    }

    /**
     * Why this process cannot create a user namespace, as far as sysctls and its own state
     * tell; empty when nothing forbids it. (A security module or a seccomp filter may still
     * refuse: {@link #seccompMode()} 2 is reported as a possible cause.)
     *
     * @return the reason and what to do, or empty
     */
    public Optional<String> userNamespaceBlocker() {
        if (maxUserNamespaces.isPresent() && maxUserNamespaces.getAsLong() == 0) {
            return Optional.of("user.max_user_namespaces is 0: user namespaces are disabled (sysctl -w user.max_user_namespaces=15000)");
        }
        if (uid != 0 || !privileged) {
            if (unprivilegedUsernsClone.isPresent() && unprivilegedUsernsClone.getAsInt() == 0) {
                return Optional.of("kernel.unprivileged_userns_clone is 0: only root may create user namespaces "
                        + "(sysctl -w kernel.unprivileged_userns_clone=1)");
            }
            if (apparmorRestrictUserns.isPresent() && apparmorRestrictUserns.getAsInt() == 1) {
                return Optional.of("kernel.apparmor_restrict_unprivileged_userns is 1: AppArmor denies user namespaces "
                        + "to unconfined programs (give java an AppArmor profile with 'userns,', or sysctl -w "
                        + "kernel.apparmor_restrict_unprivileged_userns=0)");
            }
        }
        return Optional.empty();
    }

    /** @return what may forbid namespaces here, for error messages; empty if nothing is known to */
    public Optional<String> namespaceHint() {
        List<String> why = new ArrayList<>();
        userNamespaceBlocker().ifPresent(why::add);
        if (uid == 0 && !privileged && nested()) {
            why.add("this process is root of a nested user namespace without CAP_SETFCAP, and Linux (5.12+) lets "
                    + "only CAP_SETFCAP map uid 0 into a new user namespace: run it as a non-root user of its container, "
                    + "or grant the container CAP_SETFCAP");
        }
        if (seccompMode == 2) {
            why.add("this process runs under a seccomp filter (Seccomp: 2 in /proc/self/status), which may forbid "
                    + "clone/unshare of namespaces (Docker's default profile does: run the outer container with a "
                    + "profile that allows them)");
        }
        if (uid != 0 && newuidmap.isEmpty()) {
            why.add("newuidmap/newgidmap are not installed (package uidmap): only the caller's own ID can be mapped");
        }
        return why.isEmpty() ? Optional.empty() : Optional.of(String.join("; ", why));
    }

    /**
     * The maps the launcher writes for a user namespace, and how.
     *
     * <pre>{@code
     * HostSecurity.IdMaps maps = HostSecurity.probe().resolve(UserNamespace.auto());
     * maps.uids();   // the uid_map lines the launcher writes
     * }</pre>
     *
     * @param uids           the uid map
     * @param gids           the gid map
     * @param uidTool        {@code newuidmap}, when the maps must go through it
     * @param gidTool        {@code newgidmap}, likewise
     * @param denySetgroups  write {@code deny} to {@code setgroups} first (needed to write a gid
     *                       map without privilege); the command keeps the caller's supplementary groups
     * @param note           how the maps were chosen, for {@code corral doctor} and logs
     */
    public record IdMaps(List<IdMapping> uids, List<IdMapping> gids, Optional<Path> uidTool, Optional<Path> gidTool,
                         boolean denySetgroups, String note) {
        /** Copies the lists. */
        public IdMaps {
            uids = List.copyOf(uids);
            gids = List.copyOf(gids);
        }

        /** @param uid a container uid @return whether it is mapped */
        public boolean mapsUid(long uid) {
            return uids.stream().anyMatch(m -> m.coversContainerId(uid));
        }

        /** @param gid a container gid @return whether it is mapped */
        public boolean mapsGid(long gid) {
            return gids.stream().anyMatch(m -> m.coversContainerId(gid));
        }

        /** @return whether host root (ID 0 of the caller's namespace) is mapped into the container */
        public boolean mapsCallerRoot() {
            return uids.stream().anyMatch(m -> m.coversHostId(0));
        }
    }

    /**
     * @param ns how to map
     * @return the maps for this process
     * @throws IllegalStateException if this process cannot provide them, saying why
     */
    public IdMaps resolve(UserNamespace ns) {
        boolean root = uid == 0 && privileged;
        IdMapping selfU = IdMapping.of(0, uid, 1), selfG = IdMapping.of(0, gid, 1);
        switch (ns.kind()) {
            case CALLER_AS_ROOT:
                return new IdMaps(List.of(selfU), List.of(selfG), Optional.empty(), Optional.empty(), !root,
                        "the caller (uid " + uid + ") is root inside; nothing else is mapped");
            case CALLER_AS_ITSELF:
                return new IdMaps(List.of(IdMapping.of(uid, uid, 1)), List.of(IdMapping.of(gid, gid, 1)),
                        Optional.empty(), Optional.empty(), !root, "the caller (uid " + uid + ") is itself inside");
            case EXPLICIT:
                if (root) {
                    return new IdMaps(ns.uidMappings(), ns.gidMappings(), Optional.empty(), Optional.empty(), false,
                            "explicit maps, written by the launcher");
                }
                requireTools("explicit ID maps");
                return new IdMaps(ns.uidMappings(), ns.gidMappings(), newuidmap, newgidmap, false,
                        "explicit maps, through newuidmap/newgidmap");
            case KEEP_ID:
                if (uid == 0) {
                    throw new IllegalStateException("keep-id would make host root the container's root: as root, give "
                            + "the container its workspace with an owner-mapped bind (Mount.bindAsOwner, --bind SRC:DST:rw,idmap)");
                }
                return keepIdMaps();
            case SUBORDINATE:
                return subordinateMaps().orElseThrow(() -> new IllegalStateException(
                        "subordinate ID maps need newuidmap/newgidmap (package uidmap) and ranges for " + userName
                        + " in /etc/subuid and /etc/subgid"));
            default:
                break;
        }
        if (root) {
            Optional<IdMapping> u = pickRange(ownUidMap, subuids, uid), g = pickRange(ownGidMap, subgids, gid);
            if (u.isPresent() && g.isPresent()) {
                return new IdMaps(List.of(u.get()), List.of(g.get()), Optional.empty(), Optional.empty(), false,
                        "root: container IDs 0-" + (u.get().count() - 1) + " are host IDs " + u.get().hostId() + "-"
                        + (u.get().hostId() + u.get().count() - 1) + " (unprivileged)");
            }
            return new IdMaps(List.of(selfU), List.of(selfG), Optional.empty(), Optional.empty(), false,
                    "nested with a single ID: the container's root is this namespace's root");
        }
        return subordinateMaps().orElseGet(() -> new IdMaps(List.of(selfU), List.of(selfG), Optional.empty(),
                Optional.empty(), true, "rootless: the caller (uid " + uid + ") is root inside; no subordinate IDs"
                + (newuidmap.isEmpty() ? " (newuidmap not installed)" : " (none in /etc/subuid for " + userName + ")")));
    }

    /** The caller as itself; the subordinate range, where there is one, below and above it. */
    private IdMaps keepIdMaps() {
        Optional<IdMaps> sub = subordinateMaps();
        if (sub.isEmpty()) {
            return new IdMaps(List.of(IdMapping.of(uid, uid, 1)), List.of(IdMapping.of(gid, gid, 1)), Optional.empty(),
                    Optional.empty(), true, "keep-id: the caller (uid " + uid + ") is itself inside; no subordinate IDs");
        }
        IdMapping su = subuids.get(0), sg = subgids.get(0);
        return new IdMaps(keepIdLines(uid, su), keepIdLines(gid, sg), newuidmap, newgidmap, false,
                "keep-id: the caller (uid " + uid + ") is itself inside, /etc/subuid range " + su.hostId() + "+" + su.count()
                + " the IDs around it, through newuidmap");
    }

    /**
     * @param self the caller's ID
     * @param sub  its subordinate range
     * @return {@code self} as itself; {@code sub} as 0 to {@code self - 1} and on from {@code self + 1}
     */
    static List<IdMapping> keepIdLines(long self, IdMapping sub) {
        List<IdMapping> lines = new java.util.ArrayList<>();
        long below = Math.min(self, sub.count());
        if (below > 0) {
            lines.add(IdMapping.of(0, sub.hostId(), below));
        }
        lines.add(IdMapping.of(self, self, 1));
        if (sub.count() > below) {
            lines.add(IdMapping.of(self + 1, sub.hostId() + below, sub.count() - below));
        }
        return lines;
    }

    private Optional<IdMaps> subordinateMaps() {
        if (newuidmap.isEmpty() || newgidmap.isEmpty() || subuids.isEmpty() || subgids.isEmpty()) {
            return Optional.empty();
        }
        IdMapping su = subuids.get(0), sg = subgids.get(0);
        return Optional.of(new IdMaps(List.of(IdMapping.of(0, uid, 1), IdMapping.of(1, su.hostId(), su.count())),
                List.of(IdMapping.of(0, gid, 1), IdMapping.of(1, sg.hostId(), sg.count())), newuidmap, newgidmap, false,
                "rootless: the caller is root inside, /etc/subuid range " + su.hostId() + "+" + su.count()
                + " is 1 and up, through newuidmap"));
    }

    private void requireTools(String what) {
        if (newuidmap.isEmpty() || newgidmap.isEmpty()) {
            throw new IllegalStateException(what + " need root or newuidmap/newgidmap (package uidmap)");
        }
    }

    /** Root's range: its /etc/subuid entry, else a fixed high range; nested: the upper half of what we hold. */
    private Optional<IdMapping> pickRange(List<IdMapping> own, List<IdMapping> sub, long self) {
        if (!nested()) {
            return Optional.of(sub.isEmpty() ? IdMapping.of(0, UserNamespace.DEFAULT_HOST_BASE, UserNamespace.DEFAULT_COUNT)
                    : IdMapping.of(0, sub.get(0).hostId(), Math.min(sub.get(0).count(), 4294967294L)));
        }
        IdMapping best = null;
        for (IdMapping m : own) {
            if (m.count() >= 2 && (best == null || m.count() > best.count())) {
                best = m;
            }
        }
        if (best == null) {
            return Optional.empty();
        }
        long half = best.count() / 2;
        long start = best.containerId() + best.count() - half;
        return start == self && half == 1 ? Optional.empty() : Optional.of(IdMapping.of(0, start, half));
    }

    /* ---- readers ---- */

    private static List<String> lines(Path p) {
        try {
            return Files.readAllLines(p);
        } catch (IOException e) {
            return List.of();
        }
    }

    private static long field(List<String> status, String key, int column) {
        for (String l : status) {
            if (l.startsWith(key)) {
                String[] p = l.substring(key.length()).trim().split("\\s+");
                try {
                    return Long.parseLong(p[column - 1]);
                } catch (RuntimeException e) {
                    return -1;
                }
            }
        }
        return -1;
    }

    private static long hexField(List<String> status, String key) {
        for (String l : status) {
            if (l.startsWith(key)) {
                try {
                    return Long.parseUnsignedLong(l.substring(key.length()).trim(), 16);
                } catch (NumberFormatException e) {
                    return 0;
                }
            }
        }
        return 0;
    }

    static List<IdMapping> idMap(Path p) {
        List<IdMapping> out = new ArrayList<>();
        for (String l : lines(p)) {
            String[] f = l.trim().split("\\s+");
            if (f.length == 3) {
                try {
                    out.add(IdMapping.of(Long.parseLong(f[0]), Long.parseLong(f[1]), Long.parseLong(f[2])));
                } catch (IllegalArgumentException e) {
                    /* a line we cannot represent: skip */
                }
            }
        }
        return out;
    }

    private static List<IdMapping> subordinate(Path file, String name, long uid) {
        List<IdMapping> out = new ArrayList<>();
        for (String l : lines(file)) {
            String[] f = l.trim().split(":");
            if (f.length == 3 && (f[0].equals(name) || f[0].equals(Long.toString(uid)))) {
                try {
                    out.add(IdMapping.of(0, Long.parseLong(f[1]), Long.parseLong(f[2])));
                } catch (IllegalArgumentException e) {
                    /* malformed: skip */
                }
            }
        }
        return out;
    }

    private static String userName(Path root, long uid) {
        for (String l : lines(root.resolve("etc/passwd"))) {
            String[] f = l.split(":");
            if (f.length > 2 && f[2].equals(Long.toString(uid))) {
                return f[0];
            }
        }
        return System.getProperty("user.name", Long.toString(uid));
    }

    private static Optional<Path> program(Path root, String name) {
        for (String dir : List.of("usr/bin", "bin", "usr/sbin", "sbin", "usr/local/bin")) {
            Path p = root.resolve(dir).resolve(name);
            if (Files.isRegularFile(p) && Files.isExecutable(p)) {
                return Optional.of(Path.of("/").resolve(root.relativize(p)));
            }
        }
        return Optional.empty();
    }

    private static OptionalLong sysctlLong(Path root, String name) {
        try {
            /* not Files.readString: on a /proc/sys file (size 0) it may return only the first byte */
            try (var in = Files.newInputStream(root.resolve("proc/sys").resolve(name))) {
                return OptionalLong.of(Long.parseLong(new String(in.readAllBytes(), java.nio.charset.StandardCharsets.US_ASCII).trim()));
            }
        } catch (IOException | NumberFormatException e) {
            return OptionalLong.empty();
        }
    }

    private static OptionalInt sysctlInt(Path root, String name) {
        OptionalLong v = sysctlLong(root, name);
        return v.isPresent() ? OptionalInt.of((int) v.getAsLong()) : OptionalInt.empty();
    }
}
