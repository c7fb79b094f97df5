package dev.corral.internal.network;

import dev.corral.namespaces.HostSecurity;
import java.nio.file.Files;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The stale sweep of bridge networks, once per JVM at its first container of any network (as
 * stale cgroups are swept): as root, where networks have state, the leases of JVMs no longer
 * running go with their veths and hosts files, and a network left without a container goes
 * with its nft table and the bridge Corral made. Kept apart from {@link BridgeNetworks} so that
 * a JVM without networks' state loads nothing of theirs.
 *
 * <pre>{@code
 * StaleNetworks.sweepStaleSoon(executor);   // at every container's start: only the first does anything
 * StaleNetworks.awaitSweep();               // a bridge's attach waits for it
 * }</pre>
 */
final class StaleNetworks {
    private static final Logger log = LoggerFactory.getLogger(StaleNetworks.class);
    private static final CompletableFuture<Void> SWEEP = new CompletableFuture<>();
    private static final AtomicBoolean STARTED = new AtomicBoolean();

    private StaleNetworks() {}

    /** @param executor where to sweep, the first time */
    static void sweepStaleSoon(Executor executor) {
        if (!STARTED.compareAndSet(false, true)) {
            return;
        }
        HostSecurity host = HostSecurity.probe();
        if (host.uid() != 0 || !host.privileged() || host.nested() || !Files.isDirectory(NetworkStates.dir())) {
            SWEEP.complete(null);
            return;
        }
        executor.execute(() -> {
            try {
                int n = BridgeNetworks.sweepStale();
                if (n > 0) {
                    log.debug("removed {} network leases of JVMs no longer running", n);
                }
            } catch (RuntimeException e) {
                log.warn("could not look for stale network state: {}", e.getMessage());
            } finally {
                SWEEP.complete(null);
            }
        });
    }

    /** Waits for the sweep started by {@link #sweepStaleSoon}. */
    static void awaitSweep() {
        SWEEP.join();
    }
}
