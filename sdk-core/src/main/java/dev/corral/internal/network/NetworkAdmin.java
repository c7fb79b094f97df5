package dev.corral.internal.network;

import dev.corral.network.NetworkInfo;
import java.util.List;

/**
 * The bridge networks' management behind {@link dev.corral.network.Networks}: what
 * {@code corral network ls|rm} shows and removes.
 *
 * <pre>{@code
 * NetworkAdmin.list();        // each network with its live containers counted
 * NetworkAdmin.remove("app");
 * }</pre>
 */
public final class NetworkAdmin {
    private NetworkAdmin() {}

    /** @return every network with state, stale leases (of JVMs no longer running) not counted */
    public static List<NetworkInfo> list() {
        return NetworkStates.locked(() -> NetworkStates.all().stream()
                .map(s -> new NetworkInfo(s.name(), s.bridge(), s.subnet().toString(),
                        (int) s.leases().stream().filter(NetworkStates.Lease::ownerAlive).count(), s.created()))
                .toList());
    }

    /**
     * @param name a network
     * @throws IllegalArgumentException if there is no such network
     * @throws IllegalStateException if a running container is on it
     */
    public static void remove(String name) {
        BridgeNetworks.remove(name);
    }
}
