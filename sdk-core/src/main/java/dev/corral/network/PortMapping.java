package dev.corral.network;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;

/**
 * A published port: connections (TCP) or datagrams (UDP) to a port on the host are forwarded to
 * a port of the container, as {@code docker run -p}. For {@link Network#bridge bridge} and
 * {@link Network#pasta() pasta} networks.
 *
 * <pre>{@code
 * PortMapping.parse("8080:80");              // TCP, every host address, host 8080 -> container 80
 * PortMapping.parse("127.0.0.1:5353:53/udp"); // UDP, on the host's loopback only
 * PortMapping.tcp(8443, 443);
 * PortMapping.parseAll("8000-8002:9000-9002"); // three: 8000 -> 9000, 8001 -> 9001, 8002 -> 9002
 * }</pre>
 *
 * @param hostAddress   the host address it answers on; empty: every address of the host,
 *                      127.0.0.1 included
 * @param hostPort      1-65535
 * @param containerPort 1-65535
 * @param protocol      TCP or UDP
 */
public record PortMapping(Optional<InetAddress> hostAddress, int hostPort, int containerPort, Protocol protocol) {

    /** A transport protocol. */
    public enum Protocol {
        /** TCP: connections. */
        TCP,
        /** UDP: datagrams. */
        UDP
    }

    /**
     * @param hostAddress   an IPv4 address of the host, or empty for all
     * @param hostPort      the host's port
     * @param containerPort the container's port
     * @param protocol      the protocol
     */
    public PortMapping {
        Objects.requireNonNull(hostAddress, "hostAddress");
        Objects.requireNonNull(protocol, "protocol");
        hostAddress.ifPresent(a -> {
            if (!(a instanceof Inet4Address)) {
                throw new IllegalArgumentException("published port: host address " + a.getHostAddress()
                        + " is not IPv4; Corral's bridges are IPv4 only");
            }
        });
        checkPort("host port", hostPort);
        checkPort("container port", containerPort);
    }

    private static void checkPort(String what, int port) {
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("published port: " + what + " must be 1-65535, not " + port);
        }
    }

    /** @param hostPort the host's port @param containerPort the container's @return a TCP port on every host address */
    public static PortMapping tcp(int hostPort, int containerPort) {
        return new PortMapping(Optional.empty(), hostPort, containerPort, Protocol.TCP);
    }

    /** @param hostPort the host's port @param containerPort the container's @return a UDP port on every host address */
    public static PortMapping udp(int hostPort, int containerPort) {
        return new PortMapping(Optional.empty(), hostPort, containerPort, Protocol.UDP);
    }

    /**
     * @param s {@code [IP:]HOST:CONTAINER[/tcp|/udp]}, as {@code docker run -p}: an IPv4 address,
     *          two ports 1-65535, TCP when no protocol is given
     * @return the mapping
     * @throws IllegalArgumentException naming what is wrong and the accepted form
     */
    public static PortMapping parse(String s) {
        Objects.requireNonNull(s, "s");
        String form = " (accepted: [IP:]HOST:CONTAINER[/tcp|/udp], e.g. 8080:80 or 127.0.0.1:5353:53/udp)";
        String ports = s;
        Protocol protocol = Protocol.TCP;
        int slash = s.lastIndexOf('/');
        if (slash >= 0) {
            String p = s.substring(slash + 1).toLowerCase(Locale.ROOT);
            protocol = switch (p) {
                case "tcp" -> Protocol.TCP;
                case "udp" -> Protocol.UDP;
                default -> throw new IllegalArgumentException("published port '" + s + "': protocol '"
                        + s.substring(slash + 1) + "' is not tcp or udp" + form);
            };
            ports = s.substring(0, slash);
        }
        String[] parts = ports.split(":", -1);
        if (parts.length < 2 || parts.length > 3) {
            throw new IllegalArgumentException("published port '" + s + "' must name a host port and a container port" + form);
        }
        Optional<InetAddress> address = Optional.empty();
        if (parts.length == 3) {
            if (parts[0].isEmpty()) {
                throw new IllegalArgumentException("published port '" + s + "': the host address is empty" + form);
            }
            try {
                address = Optional.of(Subnet.parseIpv4(parts[0], "published port '" + s + "': host address"));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(e.getMessage() + form, e);
            }
        }
        int host = port(s, parts[parts.length - 2], "host port", form);
        int container = port(s, parts[parts.length - 1], "container port", form);
        return new PortMapping(address, host, container, protocol);
    }

    /** The most ports one range publishes (each is a rule of its own on the host). */
    public static final int MAX_RANGE = 1024;

    /**
     * @param s {@code [IP:]HOST:CONTAINER[/tcp|/udp]} as {@link #parse}, or with port ranges as
     *          {@code docker run -p} takes them: {@code [IP:]H1-H2:C1-C2[/tcp|/udp]}, two ranges
     *          of the same length (at most {@link #MAX_RANGE} ports), host port H1+i to
     *          container port C1+i
     * @return the mappings, one per port, in order
     * @throws IllegalArgumentException naming what is wrong and the accepted form
     */
    public static List<PortMapping> parseAll(String s) {
        Objects.requireNonNull(s, "s");
        String form = " (accepted: [IP:]HOST:CONTAINER[/tcp|/udp] or with ranges [IP:]H1-H2:C1-C2[/tcp|/udp], "
                + "e.g. 8000-8009:9000-9009)";
        int slash = s.lastIndexOf('/');
        String ports = slash < 0 ? s : s.substring(0, slash);
        String proto = slash < 0 ? "" : s.substring(slash);
        String[] parts = ports.split(":", -1);
        if (parts.length < 2 || !(parts[parts.length - 2].contains("-") || parts[parts.length - 1].contains("-"))) {
            return List.of(parse(s));
        }
        String prefix = parts.length == 3 ? parts[0] + ":" : parts.length == 2 ? "" : null;
        if (prefix == null) {
            throw new IllegalArgumentException("published port '" + s + "' must name a host port and a container port" + form);
        }
        int[] host = range(s, parts[parts.length - 2], "host port", form);
        int[] container = range(s, parts[parts.length - 1], "container port", form);
        int n = host[1] - host[0] + 1;
        if (n != container[1] - container[0] + 1) {
            throw new IllegalArgumentException("published port '" + s + "': the host range has " + n + " ports and the "
                    + "container range " + (container[1] - container[0] + 1) + "; they must have as many" + form);
        }
        if (n > MAX_RANGE) {
            throw new IllegalArgumentException("published port '" + s + "': " + n + " ports, more than the "
                    + MAX_RANGE + " one range may publish" + form);
        }
        List<PortMapping> all = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            String one = prefix + (host[0] + i) + ":" + (container[0] + i) + proto;
            try {
                all.add(parse(one));
            } catch (IllegalArgumentException e) { /* a bad address or protocol: named in the caller's words */
                throw new IllegalArgumentException(e.getMessage().replace("'" + one + "'", "'" + s + "'"), e);
            }
        }
        return List.copyOf(all);
    }

    /** @return {first, last} of {@code P} or {@code P1-P2}, P1 not above P2 */
    private static int[] range(String s, String text, String what, String form) {
        int dash = text.indexOf('-');
        if (dash < 0) {
            int p = port(s, text, what, form);
            return new int[] {p, p};
        }
        int first = port(s, text.substring(0, dash), what, form);
        int last = port(s, text.substring(dash + 1), what, form);
        if (first > last) {
            throw new IllegalArgumentException("published port '" + s + "': " + what + " range '" + text
                    + "' ends before it starts" + form);
        }
        return new int[] {first, last};
    }

    private static int port(String s, String text, String what, String form) {
        int v = -1;
        if (!text.isEmpty() && text.length() <= 5 && text.chars().allMatch(c -> c >= '0' && c <= '9')) {
            v = Integer.parseInt(text);
        }
        if (v < 1 || v > 65535) {
            throw new IllegalArgumentException("published port '" + s + "': " + what + " '" + text + "' is not 1-65535" + form);
        }
        return v;
    }

    /** @return the mapping in {@link #parse}'s form, e.g. {@code 127.0.0.1:8080:80/tcp} */
    @Override
    public String toString() {
        return hostAddress.map(a -> a.getHostAddress() + ":").orElse("") + hostPort + ":" + containerPort + "/"
                + protocol.name().toLowerCase(Locale.ROOT);
    }
}
