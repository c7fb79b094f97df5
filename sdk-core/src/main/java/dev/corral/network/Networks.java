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
     * @return the networks, by name, with their running containers counted (a killed JVM's
     *         containers are not)
     * @throws java.io.UncheckedIOException if the state cannot be read
     */
    public static List<NetworkInfo> list() {
        return dev.corral.internal.network.NetworkAdmin.list();
    }

    /**
     * Removes a network that has no running container: its NAT and port rules, its bridge if
     * Corral made it (an adopted bridge stays), and its state. A network is removed by itself
     * when its last container ends; this is for what a killed JVM left, or to be sure.
     *
     * @param name the network's name
     * @throws IllegalArgumentException if there is no such network
     * @throws IllegalStateException if a running container is on it, or the host refuses
     */
    public static void remove(String name) {
        dev.corral.internal.network.NetworkAdmin.remove(java.util.Objects.requireNonNull(name, "name"));
    }
}
