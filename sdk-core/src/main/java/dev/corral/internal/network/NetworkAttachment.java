package dev.corral.internal.network;

import java.net.InetAddress;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * One container's network, as its run uses it: the hook between a run ({@code ContainerRun})
 * and the network kinds. {@link ContainerNetworks#attach} prepares it before the container's
 * plan is made (a bridge's namespace configured, its address leased; pasta's namespace made);
 * the plan then creates fewer namespaces ({@link #sharedNamespaces()}), joins the given ones
 * ({@link #joins()}, by {@code SETNS}, in order) and binds the given files read-only; once the
 * plan is sent, {@link #planSent()} closes this process's descriptors; {@link #started} tells
 * the container's host PID; and when the container has ended, or could not start,
 * {@link #release()} undoes what {@code attach} did (off the launcher's I/O thread when
 * {@link #holdsHostState()}), before the run's result is handed out.
 *
 * <pre>{@code
 * NetworkAttachment net = ContainerNetworks.attach(spec, id);
 * try {
 *     plan = PlanFactory.plan(spec, command, mounts, lease, roots, trees, net);
 *     launcher.launch(id, plan, run);
 * } finally {
 *     net.planSent();
 * }
 * ...
 * net.release();   // the container ended
 * }</pre>
 */
public interface NetworkAttachment {

    /**
     * A namespace the container's first process joins.
     *
     * @param descriptor an open descriptor of this process ({@code /proc/.../ns/...} or a
     *                   namespace file), the attachment's until {@link #planSent()}
     * @param nstype     its {@code CLONE_NEW*} flag
     */
    record Join(int descriptor, int nstype) {}

    /**
     * A file of the host the container sees, read-only, at a path.
     *
     * @param source the host file
     * @param target its absolute path in the container
     */
    record FileBind(Path source, String target) {}

    /** @return the {@code CLONE_NEW*} flags of the namespaces the container must not create (shared or joined) */
    int sharedNamespaces();

    /** @return the namespaces to join, in order (one owning others comes after those it does not own) */
    List<Join> joins();

    /** @return whether the plan brings up the loopback of a network namespace the container makes */
    boolean loopback();

    /** @return files bound read-only over the container's ({@code /etc/hosts}, {@code /etc/resolv.conf}) */
    List<FileBind> files();

    /** @return the container's address on its network, if it has one of its own */
    Optional<InetAddress> address();

    /**
     * The namespace set the container joins, made ahead by the launcher and configured here
     * (a bridge: the veth end moved in, its address and route), or empty for the plan's own.
     * Called once the plan is made, off the launcher's I/O thread; the set is this attachment's
     * to close, at {@link #planSent()} at the latest.
     *
     * @param launcher the launcher that starts the container
     * @param plan     its plan
     * @return the set to launch it with
     * @throws dev.corral.ContainerStartException if the set cannot be made or configured
     */
    default Optional<dev.corral.namespaces.launcher.NamespacesAhead> namespacesFor(
            dev.corral.namespaces.launcher.Launcher launcher, dev.corral.namespaces.launcher.LaunchPlan plan) {
        return Optional.empty();
    }

    /**
     * @return the write end of a gate ({@code GatePipe}) the container's first process waits at
     *         before its command, until this attachment opens it; this attachment's, closed at
     *         {@link #planSent()} at the latest; empty for none
     */
    default java.util.OptionalInt gate() {
        return java.util.OptionalInt.empty();
    }

    /**
     * With a {@link #gate()}: the container's first process was let go on and waits (or will) at
     * the gate; called on the launcher's I/O thread, so it must not block.
     *
     * @param pid its host PID
     */
    default void gated(long pid) {
        /* no gate */
    }

    /** @return why this network closed the container's gate instead of opening it, once it did */
    default Optional<dev.corral.ContainerStartException> startFailure() {
        return Optional.empty();
    }

    /** The plan was sent (or not): this process's descriptors of {@link #joins()} (and gate) are closed. */
    void planSent();

    /** @param pid the host PID of the container's first process, now running */
    void started(long pid);

    /**
     * Waits, after {@link #started}, until the network is usable from inside (none of the kinds
     * needs it now: pasta holds the command at the plan's gate until its interface is
     * configured); the container's start returns only then.
     *
     * @throws dev.corral.ContainerStartException if it never became usable
     */
    default void awaitReady() {
        /* ready when the plan ran */
    }

    /** @return whether {@link #release()} has host state to undo (files, addresses, interfaces, rules) */
    boolean holdsHostState();

    /** Undoes what attaching did; idempotent, never throws (a failure is logged and left to the stale sweep). */
    void release();
}
