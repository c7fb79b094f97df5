package dev.corral.namespaces.launcher;

import dev.corral.namespaces.Namespace;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.Optional;
import java.util.Set;

/**
 * The launcher's namespace pool, as the JVM decides it: which set of namespaces a plan may
 * join instead of creating them (its profile), when the launcher is asked to keep sets of a
 * profile ready, and that a profile the launcher reported it cannot make or use is not asked
 * for again. The launcher only makes, keeps and hands out the sets it is asked for.
 *
 * <p>Two profiles exist, both for a launcher that is root (the clone makes the PID namespace,
 * which then belongs to the launcher's user namespace): {@code n}, network + IPC + UTS for a
 * container without a user namespace; {@code u} + the ID maps, a user namespace with those
 * maps written, owning a network, IPC and UTS namespace, for a container with a user and a
 * PID namespace.
 *
 * <pre>{@code
 * NamespacePool pool = new NamespacePool(true, 2);
 * Optional<byte[]> profile = pool.profileOf(plan);   // empty: the plan runs without the pool
 * }</pre>
 */
final class NamespacePool {
    private static final int SHARED = Namespace.NETWORK.cloneFlag() | Namespace.IPC.cloneFlag() | Namespace.UTS.cloneFlag();

    private final boolean privileged;
    private final int ready;
    private byte[] current = new byte[0];
    private final Set<String> refused = new HashSet<>();

    /**
     * @param privileged whether the launcher runs as root
     * @param ready      how many sets the launcher keeps ready (0: no pool)
     */
    NamespacePool(boolean privileged, int ready) {
        this.privileged = privileged;
        this.ready = ready;
    }

    /**
     * @param plan a plan
     * @return the profile of the sets it could join, or empty if none
     */
    Optional<byte[]> profileOf(LaunchPlan plan) {
        int f = plan.cloneFlags();
        if (ready == 0 || !privileged || (f & SHARED) != SHARED || !plan.setns().isEmpty()) {
            return Optional.empty();
        }
        if ((f & Namespace.USER.cloneFlag()) == 0) {
            return Optional.of(new byte[] {'n'});
        }
        if ((f & Namespace.PID.cloneFlag()) == 0 || plan.uidMap().isEmpty() || plan.gidMap().isEmpty()) {
            return Optional.empty();
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write('u');
        out.write(plan.denySetgroups() ? '1' : '0');
        for (String field : new String[] {plan.uidMapTool().orElse(""), plan.uidMap().orElseThrow(),
                plan.gidMapTool().orElse(""), plan.gidMap().orElseThrow()}) {
            out.writeBytes(field.getBytes(StandardCharsets.UTF_8));
            out.write(0);
        }
        return Optional.of(out.toByteArray());
    }

    /**
     * Decides how a plan with this profile runs. The caller sends the returned POOL payload (if
     * any) and then the plan, both under this object's lock so that no other plan comes between.
     *
     * @param profile the plan's profile, from {@link #profileOf}
     * @return the profile to send in a POOL message first (it is new), or empty
     */
    synchronized Optional<byte[]> switchTo(byte[] profile) {
        if (Arrays.equals(profile, current) || refused.contains(HexFormat.of().formatHex(profile))) {
            return Optional.empty();
        }
        current = profile.clone();
        return Optional.of(profile);
    }

    /**
     * @param profile a plan's profile
     * @return whether the plan should ask the launcher for a set of it (RUN_POOLED): it is the
     *         profile the launcher makes, and the launcher has not refused it
     */
    synchronized boolean usable(byte[] profile) {
        return Arrays.equals(profile, current) && !refused.contains(HexFormat.of().formatHex(profile));
    }

    /** The launcher reported that it cannot make or use sets of the current profile: not asked for again. */
    synchronized void refused() {
        refused.add(HexFormat.of().formatHex(current));
    }

    /** @return how many sets the launcher keeps ready */
    int ready() {
        return ready;
    }
}
