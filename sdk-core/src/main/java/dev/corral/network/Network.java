package dev.corral.network;

import dev.corral.ContainerProcess;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Which network a container has: a value, compared by content, given to
 * {@code ContainerSpec.Builder.network(...)}.
 *
 * <ul>
 * <li>{@link #none()}, the default: a network namespace of its own with loopback only; the
 *     container reaches nothing and nothing reaches it.</li>
 * <li>{@link #host()}: the host's network namespace, its interfaces, ports and routes. An
 *     explicit opt-in: the container's servers listen on the host, and it reaches whatever the
 *     host reaches.</li>
 * <li>{@link #bridge(String)}: a named Linux bridge with outbound NAT; each container gets a
 *     veth pair, an address of the bridge's subnet, {@code /etc/hosts} naming the other
 *     containers on it, and published ports ({@code publish(...)}). Made on first use, or an
 *     existing bridge of that name adopted. Root only.</li>
 * <li>{@link #pasta()}: rootless networking through {@code pasta} (Debian package
 *     {@code passt}), with port forwarding.</li>
 * <li>{@link #container(ContainerProcess)}: the network namespace of another running container
 *     (a pod; Docker's {@code --network container:NAME}): they share addresses, ports and
 *     {@code localhost}.</li>
 * </ul>
 *
 * <pre>{@code
 * ContainerResult r = Container.builder()
 *         .network(Network.host())
 *         .run("cat", "/proc/net/dev");          // the host's interfaces
 *
 * try (ContainerProcess db = Container.builder().network(Network.bridge("app")).start("/srv/db")) {
 *     Container.builder().network(Network.container(db)).run("wget", "-qO-", "http://127.0.0.1:8080/");
 * }
 * }</pre>
 */
public sealed interface Network permits Network.None, Network.Host, Network.Bridge, Network.Pasta, Network.Shared {

    /** @return loopback only: the default */
    static Network none() {
        return new None();
    }

    /** @return the host's network namespace */
    static Network host() {
        return new Host();
    }

    /**
     * @param name the network's name: 1-64 of A-Z, a-z, 0-9, '_', '.', '-', starting with a letter
     *             or digit. A name of at most 15 characters is also the bridge interface's name (an
     *             existing interface of that name is adopted); a longer one gets a bridge named
     *             {@code crl-} and a hash of the name.
     * @return a bridge whose subnet Corral picks (a free /24 of 10.88.0.0/16 and above, checked
     *         against the host's routes) when it makes the bridge
     * @throws IllegalArgumentException if the name is not valid
     */
    static Network bridge(String name) {
        return new Bridge(name, Optional.empty());
    }

    /**
     * @param name   the network's name, as for {@link #bridge(String)}
     * @param subnet the bridge's subnet when Corral makes it (the gateway, the bridge's own address,
     *               is its first address); an adopted bridge keeps its own
     * @return a bridge on that subnet
     * @throws IllegalArgumentException if the name is not valid
     */
    static Network bridge(String name, Subnet subnet) {
        return new Bridge(name, Optional.of(Objects.requireNonNull(subnet, "subnet")));
    }

    /** @return rootless networking through {@code pasta} */
    static Network pasta() {
        return new Pasta();
    }

    /**
     * @param other a running container (started by this JVM)
     * @return its network namespace, joined (with the user namespace that owns it and its UTS
     *         namespace, its hostname: members of a pod share them); its address and
     *         {@code /etc/hosts} and {@code /etc/resolv.conf} are the other's
     */
    static Network container(ContainerProcess other) {
        return new Shared(Objects.requireNonNull(other, "other"));
    }

    /**
     * Loopback only.
     *
     * <pre>{@code
     * Network.none().equals(Network.none());   // true
     * }</pre>
     */
    record None() implements Network {
        @Override
        public String toString() {
            return "none";
        }
    }

    /**
     * The host's network namespace.
     *
     * <pre>{@code
     * Container.builder().network(Network.host()).run("ip", "addr");
     * }</pre>
     */
    record Host() implements Network {
        @Override
        public String toString() {
            return "host";
        }
    }

    /**
     * A named bridge.
     *
     * <pre>{@code
     * Network n = Network.bridge("judge-net", Subnet.parse("10.91.7.0/24"));
     * ((Network.Bridge) n).name();   // "judge-net"
     * }</pre>
     *
     * @param name   the network's name
     * @param subnet its subnet when Corral makes the bridge; empty: picked
     */
    record Bridge(String name, Optional<Subnet> subnet) implements Network {
        private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,63}");

        /** @param name the network's name @param subnet its subnet, or empty */
        public Bridge {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(subnet, "subnet");
            if (!NAME.matcher(name).matches()) {
                throw new IllegalArgumentException("network name '" + name + "' must be 1-64 of A-Z, a-z, 0-9, '_', '.', "
                        + "'-', starting with a letter or digit");
            }
        }

        @Override
        public String toString() {
            return "bridge:" + name + subnet.map(s -> " " + s).orElse("");
        }
    }

    /**
     * Rootless networking through {@code pasta}: the container gets a copy of the host's
     * addresses and routes, and its traffic goes out through the host's sockets; published ports
     * are forwarded from the host, and the host's loopback is reached at the default gateway's
     * address. Rootless only; needs {@code pasta} (Debian package {@code passt}).
     *
     * <pre>{@code
     * Container.builder().network(Network.pasta()).publish(PortMapping.parse("8080:80")).start("httpd", "-f");
     * }</pre>
     */
    record Pasta() implements Network {
        @Override
        public String toString() {
            return "pasta";
        }
    }

    /**
     * Another running container's network namespace.
     *
     * <pre>{@code
     * Network n = Network.container(db);
     * ((Network.Shared) n).other() == db;   // true
     * }</pre>
     *
     * @param other the container whose network namespace is joined
     */
    record Shared(ContainerProcess other) implements Network {
        /** @param other the container */
        public Shared {
            Objects.requireNonNull(other, "other");
        }

        @Override
        public String toString() {
            return "container:" + other;
        }
    }
}
