package dev.corral.network;

import java.util.List;

/**
 * The bridge networks of this machine that Corral made or adopted: for {@code corral network
 * ls|rm}. Root only, as bridges are.
 *
 * <pre>{@code
 * Networks.list();            // [NetworkInfo[name=app, bridge=app, subnet=10.88.0.0/24, containers=2, ...]]
 * Networks.remove("app");     // refused while a container is on it
 * }</pre>
 */
public final class Networks {
    private Networks() {}

    /**
     * @return the networks, by name
     * @throws UnsupportedOperationException until bridge networks land in this build
     */
    public static List<NetworkInfo> list() {
        throw new UnsupportedOperationException("Networks.list(): bridge networks are not in this build of Corral yet");
    }

    /**
     * Removes a network's state, and its bridge if Corral made it.
     *
     * @param name the network's name
     * @throws UnsupportedOperationException until bridge networks land in this build
     */
    public static void remove(String name) {
        throw new UnsupportedOperationException("Networks.remove(): bridge networks are not in this build of Corral yet");
    }
}
