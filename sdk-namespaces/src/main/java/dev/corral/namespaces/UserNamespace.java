package dev.corral.namespaces;

import java.util.List;
import java.util.Objects;

/**
 * How a container's user namespace maps its user and group IDs to the caller's. Resolve one
 * against the running process with {@link HostSecurity#resolve(UserNamespace)}.
 *
 * <ul>
 *   <li>{@link #auto()} (the default): as root, container IDs 0 to 65535 map to an unprivileged
 *       host range (root's {@code /etc/subuid} entry, else {@value #DEFAULT_HOST_BASE} and
 *       up), so the container's root is nobody on the host; as another user, the caller is
 *       the container's root, with the caller's subordinate range ({@code /etc/subuid},
 *       {@code /etc/subgid}, written through {@code newuidmap}/{@code newgidmap}) as IDs 1 and
 *       up when configured; nested in a container's user namespace, a part of the IDs that
 *       namespace holds.</li>
 *   <li>{@link #callerAsRoot()}: the caller's own ID only, as 0 inside.</li>
 *   <li>{@link #callerAsItself()}: the caller's own ID only, as itself inside.</li>
 *   <li>{@link #keepId()}: as podman's {@code --userns keep-id}, for an unprivileged caller: the
 *       caller as itself inside, and the command runs as it; its subordinate range fills the
 *       IDs around it (0 included) when configured.</li>
 *   <li>{@link #subordinate()}: caller as 0, subordinate ranges as 1 and up; fails when
 *       {@code newuidmap} or the ranges are missing.</li>
 *   <li>{@link #of(List, List)}: explicit maps (as root: any host IDs; otherwise through
 *       {@code newuidmap}/{@code newgidmap}).</li>
 * </ul>
 *
 * <pre>{@code
 * Container.builder().userNamespace(UserNamespace.callerAsRoot()).run("id");
 * Container.builder().userNamespace(UserNamespace.of(
 *         List.of(IdMapping.of(0, 200000, 1000)), List.of(IdMapping.of(0, 200000, 1000)))).run("id");
 * }</pre>
 */
public final class UserNamespace {
    /** The first host ID of the default range for root when root has no {@code /etc/subuid} entry. */
    public static final long DEFAULT_HOST_BASE = 1_000_000_000L;
    /** How many IDs the default range holds. */
    public static final long DEFAULT_COUNT = 65536;

    /**
     * The ways of mapping.
     *
     * <pre>{@code
     * UserNamespace.auto().kind();   // AUTO
     * }</pre>
     */
    public enum Kind {
        /** See {@link UserNamespace#auto()}. */ AUTO,
        /** See {@link UserNamespace#callerAsRoot()}. */ CALLER_AS_ROOT,
        /** See {@link UserNamespace#callerAsItself()}. */ CALLER_AS_ITSELF,
        /** See {@link UserNamespace#subordinate()}. */ SUBORDINATE,
        /** See {@link UserNamespace#keepId()}. */ KEEP_ID,
        /** See {@link UserNamespace#of(List, List)}. */ EXPLICIT
    }

    private static final UserNamespace AUTO = new UserNamespace(Kind.AUTO, List.of(), List.of());

    private final Kind kind;
    private final List<IdMapping> uids;
    private final List<IdMapping> gids;

    private UserNamespace(Kind kind, List<IdMapping> uids, List<IdMapping> gids) {
        this.kind = kind;
        this.uids = List.copyOf(uids);
        this.gids = List.copyOf(gids);
    }

    /** @return the default mapping, chosen from what the caller may do */
    public static UserNamespace auto() {
        return AUTO;
    }

    /** @return the caller's uid and gid as 0 inside, nothing else mapped */
    public static UserNamespace callerAsRoot() {
        return new UserNamespace(Kind.CALLER_AS_ROOT, List.of(), List.of());
    }

    /** @return the caller's uid and gid as themselves inside, nothing else mapped */
    public static UserNamespace callerAsItself() {
        return new UserNamespace(Kind.CALLER_AS_ITSELF, List.of(), List.of());
    }

    /**
     * Podman's {@code keep-id}: the caller's uid and gid are themselves inside and the command
     * runs as them unless a user is given, so what the caller owns on the host (a workspace, a
     * cache) is the container user's own, and what it creates belongs to the caller. The
     * caller's subordinate range ({@code /etc/subuid}, {@code /etc/subgid}, through
     * {@code newuidmap}) fills IDs 0 up to the caller's and the IDs after it, so the container
     * keeps a root; without one, only the caller is mapped. Refused for root, for whom it would
     * make host root the container's root: root gives a container its files through
     * {@code Mount.bindAsOwner} instead.
     *
     * <pre>{@code
     * Container.builder().userNamespace(UserNamespace.keepId())
     *         .mount(Mount.bindReadWrite(Path.of(System.getProperty("user.home"), "src"), "/src")).run("make", "-C", "/src");
     * }</pre>
     *
     * @return the keep-id mapping
     */
    public static UserNamespace keepId() {
        return new UserNamespace(Kind.KEEP_ID, List.of(), List.of());
    }

    /** @return the caller as 0 and its subordinate ranges as 1 and up */
    public static UserNamespace subordinate() {
        return new UserNamespace(Kind.SUBORDINATE, List.of(), List.of());
    }

    /**
     * @param uids uid mappings, at most 340, not overlapping
     * @param gids gid mappings, at most 340, not overlapping
     * @return explicit maps
     * @throws IllegalArgumentException if a list is empty or too long
     */
    public static UserNamespace of(List<IdMapping> uids, List<IdMapping> gids) {
        if (uids.isEmpty() || gids.isEmpty() || uids.size() > 340 || gids.size() > 340) {
            throw new IllegalArgumentException("uid and gid maps need 1 to 340 lines each");
        }
        return new UserNamespace(Kind.EXPLICIT, uids, gids);
    }

    /** @return the way of mapping */
    public Kind kind() {
        return kind;
    }

    /** @return the explicit uid maps (empty unless {@link Kind#EXPLICIT}) */
    public List<IdMapping> uidMappings() {
        return uids;
    }

    /** @return the explicit gid maps (empty unless {@link Kind#EXPLICIT}) */
    public List<IdMapping> gidMappings() {
        return gids;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof UserNamespace u && u.kind == kind && u.uids.equals(uids) && u.gids.equals(gids);
    }

    @Override
    public int hashCode() {
        return Objects.hash(kind, uids, gids);
    }

    @Override
    public String toString() {
        return kind == Kind.EXPLICIT ? "UserNamespace[uids " + uids + ", gids " + gids + "]" : "UserNamespace[" + kind + "]";
    }
}
