package dev.corral.namespaces;

import java.util.Collections;
import java.util.EnumSet;
import java.util.Set;

/**
 * An immutable set of {@link Namespace}s a container gets its own instance of.
 *
 * <pre>{@code
 * NamespaceSet ns = NamespaceSet.defaults();            // mount, PID, UTS, IPC, network, user, cgroup
 * NamespaceSet withTime = ns.with(Namespace.TIME);
 * NamespaceSet sharedNet = ns.without(Namespace.NETWORK);
 * withTime.cloneFlags();                               // the CLONE_NEW* flags, OR-ed
 * }</pre>
 */
public final class NamespaceSet {
    private static final NamespaceSet DEFAULTS = new NamespaceSet(EnumSet.of(Namespace.MOUNT, Namespace.PID,
            Namespace.UTS, Namespace.IPC, Namespace.NETWORK, Namespace.USER, Namespace.CGROUP));

    private final Set<Namespace> members;

    private NamespaceSet(EnumSet<Namespace> members) {
        this.members = Collections.unmodifiableSet(members);
    }

    /**
     * The namespaces a default container gets: every kind but {@link Namespace#TIME}. The user
     * namespace comes first (the launcher creates it with the others in one {@code clone}, and
     * it owns them): it is what makes a container's root powerless on the host.
     *
     * @return mount, PID, UTS, IPC, network, user and cgroup
     */
    public static NamespaceSet defaults() {
        return DEFAULTS;
    }

    /** @param namespaces the members @return a set of exactly these */
    public static NamespaceSet of(Namespace... namespaces) {
        EnumSet<Namespace> s = EnumSet.noneOf(Namespace.class);
        Collections.addAll(s, namespaces);
        return new NamespaceSet(s);
    }

    /** @param namespace one more @return a set with it */
    public NamespaceSet with(Namespace namespace) {
        EnumSet<Namespace> s = copy();
        s.add(namespace);
        return new NamespaceSet(s);
    }

    /** @param namespace one to share with the caller @return a set without it */
    public NamespaceSet without(Namespace namespace) {
        EnumSet<Namespace> s = copy();
        s.remove(namespace);
        return new NamespaceSet(s);
    }

    /** @param namespace a kind @return whether the set holds it */
    public boolean contains(Namespace namespace) {
        return members.contains(namespace);
    }

    /** @return the members, unmodifiable */
    public Set<Namespace> members() {
        return members;
    }

    /** @return the members' {@code CLONE_NEW*} flags, OR-ed */
    public int cloneFlags() {
        int f = 0;
        for (Namespace n : members) {
            f |= n.cloneFlag();
        }
        return f;
    }

    private EnumSet<Namespace> copy() {
        return members.isEmpty() ? EnumSet.noneOf(Namespace.class) : EnumSet.copyOf(members);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof NamespaceSet n && n.members.equals(members);
    }

    @Override
    public int hashCode() {
        return members.hashCode();
    }

    @Override
    public String toString() {
        return "NamespaceSet" + members;
    }
}
