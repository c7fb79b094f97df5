package dev.corral.namespaces.launcher;

import dev.corral.namespaces.Namespace;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Namespace sets made ahead, as the JVM decides them: which set a plan may join instead of
 * creating its namespaces (its profile), how many sets of the current profile to keep ready, and
 * that a profile the launcher could not make is not asked for again. The launcher only makes a
 * set when asked ({@code MAKE_NAMESPACES}) and sends its descriptors here; this pool keeps them
 * and hands each set to one plan, which joins it by {@code SETNS} operations.
 *
 * <p>Two profiles exist, both for a launcher that is root in the host's user namespace (the
 * clone makes the PID namespace, which then belongs to the launcher's user namespace): {@code n},
 * network + IPC + UTS for a container without a user namespace; {@code u} + the ID maps, a user
 * namespace with those maps written, owning a network, IPC and UTS namespace, for a container
 * with a user and a PID namespace. So that every container of a {@code u} profile has its PID
 * namespace owned alike, a plan finding no set ready has one made at once and waits for it
 * (except on the launcher's I/O thread, which must not wait for itself).
 *
 * <pre>{@code
 * NamespacePool pool = new NamespacePool(true, 2, launcherSend);
 * Optional<byte[]> profile = pool.profileOf(plan);   // empty: the plan runs without the pool
 * Optional<List<Integer>> set = pool.take(profile.get(), true);
 * LaunchPlan joining = NamespacePool.join(plan, set.get());
 * }</pre>
 */
final class NamespacePool {
    private static final int SHARED = Namespace.NETWORK.cloneFlag() | Namespace.IPC.cloneFlag() | Namespace.UTS.cloneFlag();
    private static final long WAIT_SECONDS = 10;

    private final boolean privileged;
    private final int ready;
    private final Consumer<ByteBuffer> send;
    private byte[] current = new byte[0];
    private final Deque<List<Integer>> sets = new ArrayDeque<>();
    private int asked;
    private final Set<String> refused = new HashSet<>();
    private final Map<Long, Request> requests = new HashMap<>();
    private long lastRequest;

    private record Request(byte[] profile, CompletableFuture<Optional<List<Integer>>> waiting) {}

    /**
     * @param privileged whether the launcher is root in the host's user namespace
     * @param ready      how many sets to keep ready (0: no pool)
     * @param send       sends a message to the launcher
     */
    NamespacePool(boolean privileged, int ready, Consumer<ByteBuffer> send) {
        this.privileged = privileged;
        this.ready = ready;
        this.send = send;
    }

    /**
     * Whether the launcher this JVM starts may clone a PID namespace outside a new user
     * namespace (as a set's container does): root in the host's user namespace, with
     * CAP_SYS_ADMIN in its effective set and in its bounding set (the launcher, executed as
     * root, is left with the bounding set).
     *
     * @param host this process, probed
     * @return whether sets may be used
     */
    static boolean launcherOwnsPidNamespaces(dev.corral.namespaces.HostSecurity host) {
        if (host.uid() != 0 || !host.privileged() || host.nested()) {
            return false;
        }
        try {
            for (String line : java.nio.file.Files.readAllLines(java.nio.file.Path.of("/proc/self/status"))) {
                if (line.startsWith("CapBnd:")) {
                    return (Long.parseUnsignedLong(line.substring(7).trim(), 16) & (1L << 21)) != 0; /* CAP_SYS_ADMIN */
                }
            }
        } catch (java.io.IOException | NumberFormatException e) {
            return false;
        }
        return false;
    }

    /**
     * @param plan a plan
     * @return the profile of the sets it could join, or empty if none
     */
    Optional<byte[]> profileOf(LaunchPlan plan) {
        return ready == 0 ? Optional.empty() : profileOfAny(plan);
    }

    /**
     * @param plan a plan
     * @return the profile of the sets it could join, whether or not sets are kept ready
     */
    Optional<byte[]> profileOfAny(LaunchPlan plan) {
        int f = plan.cloneFlags();
        if (!privileged || (f & SHARED) != SHARED || !plan.setns().isEmpty()) {
            return Optional.empty();
        }
        if ((f & Namespace.USER.cloneFlag()) == 0) {
            return Optional.of(new byte[] {'n'});
        }
        if ((f & Namespace.PID.cloneFlag()) == 0 || plan.uidMap().isEmpty() || plan.gidMap().isEmpty()
                || plan.uidMapTool().isPresent() || plan.gidMapTool().isPresent()) {
            return Optional.empty();
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write('u');
        out.write(plan.denySetgroups() ? '1' : '0');
        for (String map : List.of(plan.uidMap().orElseThrow(), plan.gidMap().orElseThrow())) {
            out.writeBytes(map.getBytes(StandardCharsets.UTF_8));
            out.write(0);
        }
        return Optional.of(out.toByteArray());
    }

    /**
     * A set of profile for one plan: a ready one, or for a {@code u} profile one made now (when
     * the caller may wait); sets of a previous profile are dropped, and more of this one asked for.
     *
     * @param profile a plan's profile, from {@link #profileOf}
     * @param mayWait whether the caller may wait for the launcher
     * @return the set's descriptors (network, IPC, UTS, and for {@code u} user), the caller's to
     *         close once the plan is sent; empty to run without
     */
    Optional<List<Integer>> take(byte[] profile, boolean mayWait) {
        CompletableFuture<Optional<List<Integer>>> made;
        synchronized (this) {
            if (refused.contains(key(profile))) {
                return Optional.empty();
            }
            if (!Arrays.equals(profile, current)) {
                sets.forEach(DescriptorChannel::closeAll);
                sets.clear();
                current = profile.clone();
                asked = 0; /* answers still on the way are for the old profile: dropped */
            }
            List<Integer> set = sets.poll();
            while (sets.size() + asked < ready) {
                request(profile, null);
                asked++;
            }
            if (set != null || profile[0] != 'u' || !mayWait) {
                return Optional.ofNullable(set);
            }
            made = new CompletableFuture<>();
            request(profile, made);
        }
        try {
            return made.get(WAIT_SECONDS, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.empty();
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            return Optional.empty();
        }
    }

    /**
     * A set made now for one plan, not one of the ready ones, waiting for it.
     *
     * @param profile a plan's profile, from {@link #profileOfAny}
     * @return the set's descriptors, the caller's; empty if the launcher could not make it
     */
    Optional<List<Integer>> makeNow(byte[] profile) {
        CompletableFuture<Optional<List<Integer>>> made = new CompletableFuture<>();
        synchronized (this) {
            if (refused.contains(key(profile))) {
                return Optional.empty();
            }
            request(profile, made);
        }
        try {
            return made.get(WAIT_SECONDS, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.empty();
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            return Optional.empty();
        }
    }

    private void request(byte[] profile, CompletableFuture<Optional<List<Integer>>> waiting) {
        long id = ++lastRequest;
        requests.put(id, new Request(profile.clone(), waiting));
        ByteBuffer m = ByteBuffer.allocate(20 + profile.length).order(ByteOrder.LITTLE_ENDIAN);
        send.accept(m.putInt(16 + profile.length).putInt(Wire.MSG_MAKE_NAMESPACES).putLong(id)
                .putInt(waiting == null ? 0 : 1).put(profile).flip());
    }

    /**
     * The launcher made a set (NAMESPACES_MADE).
     *
     * @param request the request's id
     * @param fds     the set's descriptors, now this pool's
     */
    synchronized void made(long request, List<Integer> fds) {
        Request r = requests.remove(request);
        if (r != null && r.waiting() != null) {
            if (!r.waiting().complete(Optional.of(fds))) {
                DescriptorChannel.closeAll(fds); /* the caller stopped waiting */
            }
        } else if (r != null && Arrays.equals(r.profile(), current)) {
            asked--;
            sets.add(fds);
        } else {
            DescriptorChannel.closeAll(fds);
        }
    }

    /**
     * The launcher could not make a set (NAMESPACES_FAILED): its profile is not asked for again.
     *
     * @param request the request's id
     * @return whether this is the first failure of that profile
     */
    synchronized boolean failed(long request) {
        Request r = requests.remove(request);
        if (r == null) {
            return false;
        }
        if (r.waiting() != null) {
            r.waiting().complete(Optional.empty());
        } else if (Arrays.equals(r.profile(), current)) {
            asked--;
        }
        return refused.add(key(r.profile()));
    }

    private static String key(byte[] profile) {
        return java.util.HexFormat.of().formatHex(profile);
    }

    /**
     * @param plan a plan whose profile the set is of
     * @param set  the set's descriptors, from {@link #take}
     * @return the plan joining the set (SETNS, the user namespace first: it owns the others)
     *         instead of creating those namespaces; the set's ID maps are written already and its
     *         loopback is up
     */
    static LaunchPlan join(LaunchPlan plan, List<Integer> set) {
        List<Integer> descriptors = new ArrayList<>(plan.descriptors());
        List<LaunchPlan.SetnsOp> setns = new ArrayList<>();
        int[] kinds = {Namespace.NETWORK.cloneFlag(), Namespace.IPC.cloneFlag(), Namespace.UTS.cloneFlag(),
                Namespace.USER.cloneFlag()};
        int flags = plan.cloneFlags();
        for (int k = set.size() - 1; k >= 0; k--) {
            setns.add(new LaunchPlan.SetnsOp(descriptors.size(), kinds[k]));
            descriptors.add(set.get(k));
            flags &= ~kinds[k];
        }
        boolean user = set.size() == kinds.length;
        return new LaunchPlan(flags, plan.commandAsPid1(), plan.stagingDir(), plan.mounts(), plan.rootReadOnly(),
                plan.hostname(), false, plan.stdio(), plan.argv(), plan.env(), plan.searchPath(), plan.cwd(),
                plan.user(), plan.rlimits(), plan.noNewPrivs(), plan.seccomp(), plan.umask(),
                user ? Optional.empty() : plan.uidMap(), user ? Optional.empty() : plan.gidMap(),
                plan.capabilities(), plan.denySetgroups(), plan.uidMapTool(), plan.gidMapTool(), plan.execFd(),
                descriptors, plan.writeZero(), plan.cloneIntoCgroup(), plan.readAtReap(), plan.zeroAtReap(), setns,
                plan.attachInStaging(), plan.commandParentDeath(), plan.mountTrees(), plan.idmap(),
                plan.ttyPair(), plan.gate());
    }
}
