package dev.corral.namespaces.launcher;

import java.util.List;

/**
 * A namespace set made by the launcher for one container before it starts (see
 * {@link Launcher#makeNamespaces}), so that the JVM can configure the set's network namespace
 * (a veth end moved in, addresses, routes) before the container joins it. The descriptors are
 * this JVM's until {@link #close()}; a launch that joins the set sends copies.
 *
 * <pre>{@code
 * try (NamespacesAhead set = launcher.makeNamespaces(plan).orElseThrow()) {
 *     configure("/proc/" + ProcessHandle.current().pid() + "/fd/" + set.network());
 *     launcher.launch(id, plan, set, listener);
 * }
 * }</pre>
 */
public final class NamespacesAhead implements AutoCloseable {
    private final List<Integer> descriptors;
    private boolean closed;

    NamespacesAhead(List<Integer> descriptors) {
        this.descriptors = List.copyOf(descriptors);
    }

    /** @return the descriptor of the set's network namespace (its loopback is up) */
    public int network() {
        return descriptors.get(0);
    }

    /** @return whether the set has a user namespace of its own, which owns its network namespace */
    public boolean hasUserNamespace() {
        return descriptors.size() == 4;
    }

    List<Integer> descriptors() {
        return descriptors;
    }

    /** Closes this JVM's descriptors; idempotent. */
    @Override
    public synchronized void close() {
        if (!closed) {
            closed = true;
            DescriptorChannel.closeAll(descriptors);
        }
    }
}
