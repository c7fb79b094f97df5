package dev.corral.network;

import java.net.InetAddress;
import java.util.List;
import java.util.Objects;

/**
 * A container's network as its spec holds it: the {@link Network}, its published ports, extra
 * {@code /etc/hosts} lines, {@code /etc/resolv.conf}'s name servers and the names others on its
 * bridge reach it by. Set through {@code ContainerSpec.Builder} ({@code network}, {@code publish},
 * {@code addHost}, {@code dns}, {@code networkAlias}); {@code ContainerSpec.build()} checks that
 * they fit together.
 *
 * <pre>{@code
 * ContainerSpec spec = Container.builder()
 *         .network(Network.bridge("app"))
 *         .publish(PortMapping.parse("8080:80"))
 *         .addHost("db.internal", InetAddress.getByName("10.89.0.9"))
 *         .build();
 * spec.network().network();   // bridge:app
 * spec.network().ports();     // [8080:80/tcp]
 * }</pre>
 *
 * @param network    the network (default {@link Network#none()})
 * @param ports      published ports (bridge and pasta only)
 * @param extraHosts lines added to the container's {@code /etc/hosts}
 * @param dns        the name servers of its {@code /etc/resolv.conf}; empty: for a bridge, the
 *                   host's own minus loopback ones; otherwise the root file system's file is left
 * @param aliases    names the other containers on its bridge reach it by, besides its hostname
 */
public record NetworkSettings(Network network, List<PortMapping> ports, List<HostEntry> extraHosts,
                              List<InetAddress> dns, List<String> aliases) {

    /**
     * One {@code /etc/hosts} line.
     *
     * <pre>{@code
     * new NetworkSettings.HostEntry("db", InetAddress.getByName("10.89.0.9"));   // "10.89.0.9 db"
     * }</pre>
     *
     * @param name    a host name
     * @param address its address
     */
    public record HostEntry(String name, InetAddress address) {
        /** @param name host name @param address its address */
        public HostEntry {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(address, "address");
        }
    }

    /** @param network network @param ports ports @param extraHosts hosts lines @param dns servers @param aliases names */
    public NetworkSettings {
        Objects.requireNonNull(network, "network");
        ports = List.copyOf(ports);
        extraHosts = List.copyOf(extraHosts);
        dns = List.copyOf(dns);
        aliases = List.copyOf(aliases);
    }

    /** @return loopback only, nothing else: the default */
    public static NetworkSettings none() {
        return new NetworkSettings(Network.none(), List.of(), List.of(), List.of(), List.of());
    }
}
