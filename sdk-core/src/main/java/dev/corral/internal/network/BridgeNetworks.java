package dev.corral.internal.network;

import dev.corral.ContainerSpec;
import dev.corral.ContainerStartException;
import dev.corral.internal.network.NetworkStates.Lease;
import dev.corral.internal.network.NetworkStates.State;
import dev.corral.namespaces.HostSecurity;
import dev.corral.namespaces.launcher.LaunchPlan;
import dev.corral.namespaces.launcher.Launcher;
import dev.corral.namespaces.launcher.NamespacesAhead;
import dev.corral.network.Network;
import dev.corral.network.PortMapping;
import dev.corral.network.Subnet;
import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Bridge networks, as root: a Linux bridge made on first use (or an existing one adopted and
 * never deleted), a veth pair per container, an address leased from the bridge's subnet,
 * a default route through the bridge, outbound NAT and published ports in an nft table of the
 * network's own, and {@code /etc/hosts} naming every container on the network.
 *
 * <p>Host state is changed through {@code ip} and {@code nft}, not netlink from Java: iproute2
 * and nftables are the kernel's own reference clients, their errors name the problem in
 * words, nft replaces a whole table atomically from text, and Corral keeps no native netlink
 * code of its own. The container's network namespace is made by the launcher before the
 * container starts ({@link Launcher#makeNamespaces}): with a user namespace, one that owns the
 * network namespace, so the container joins its user namespace and then its network namespace
 * like any pooled container; Java moves the veth's end in (as {@code eth0}), gives it its
 * address and route and lets unprivileged ports start at 0 there (the container's root has no
 * capability, and nginx must bind 443), all before the container is launched. When the
 * container ends, the namespace goes with its last process and the veth pair with it.
 *
 * <pre>{@code
 * NetworkAttachment net = BridgeNetworks.attach(spec, id, (Network.Bridge) spec.network().network());
 * }</pre>
 */
final class BridgeNetworks {
    private static final Logger log = LoggerFactory.getLogger(BridgeNetworks.class);
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final Pattern INET = Pattern.compile("inet (\\d+\\.\\d+\\.\\d+\\.\\d+)/(\\d+)");
    private static final List<InetAddress> DOCKER_DEFAULT_DNS = List.of(NetworkStates.ipv4("8.8.8.8"),
            NetworkStates.ipv4("8.8.4.4"));

    private BridgeNetworks() {}

    /**
     * @param spec   the container's spec
     * @param id     its run's id
     * @param bridge its network
     * @return its attachment: an address leased, the bridge and its rules in place
     * @throws ContainerStartException if this process is not root, or the bridge cannot be made
     */
    static NetworkAttachment attach(ContainerSpec spec, long id, Network.Bridge bridge) {
        HostSecurity host = HostSecurity.probe();
        if (host.uid() != 0 || !host.privileged() || host.nested()) {
            throw fail("use bridge network " + bridge.name(), "a bridge network needs root in the host's user namespace"
                    + " (it makes a bridge, veth pairs and nft rules on the host); rootless, use Network.pasta()");
        }
        StaleNetworks.sweepStaleSoon(Runnable::run);
        StaleNetworks.awaitSweep(); /* a killed JVM's leases and bridges go before this container takes an address */
        long pid = ProcessHandle.current().pid();
        long start = NetworkStates.startTime(pid).orElseThrow();
        List<String> names = new ArrayList<>();
        names.add(spec.hostname());
        spec.network().aliases().stream().filter(a -> !names.contains(a)).forEach(names::add);
        String veth = "crl" + HexFormat.of().formatHex(randomBytes(5));
        try {
            return NetworkStates.locked(() -> {
                boolean fresh = NetworkStates.read(bridge.name()).isEmpty();
                State s = ensure(bridge);
                Lease lease = new Lease(freeAddress(s), pid, start, veth, names, spec.network().ports());
                checkPorts(s, lease);
                State next = s.withLeases(concat(s.leases(), lease));
                NetworkStates.write(next);
                try {
                    writeHostsFiles(next, Optional.of(lease), spec.network().extraHosts());
                    if (fresh || !lease.ports().isEmpty() || !tableExists(next.table())) {
                        applyRules(next);
                    }
                } catch (RuntimeException e) {
                    release(bridge.name(), lease);
                    throw e;
                }
                RunEtcDirectory resolv = RunEtcDirectory.write(id, Map.of("resolv.conf", resolvConf(spec)));
                return new Attachment(next, lease, resolv);
            });
        } catch (HostTools.ToolException | java.io.UncheckedIOException | IllegalArgumentException e) {
            throw fail("set up bridge network " + bridge.name(), e.getMessage());
        }
    }

    private static ContainerStartException fail(String step, String message) {
        return new ContainerStartException(step, Optional.empty(), OptionalInt.empty(), Optional.empty(), message, null);
    }

    private static byte[] randomBytes(int n) {
        byte[] b = new byte[n];
        RANDOM.nextBytes(b);
        return b;
    }

    private static <T> List<T> concat(List<T> list, T more) {
        List<T> out = new ArrayList<>(list);
        out.add(more);
        return out;
    }

    /** The network's state, its bridge made (or adopted) and up; stale leases dropped. Under the lock. */
    private static State ensure(Network.Bridge bridge) {
        Optional<State> known = NetworkStates.read(bridge.name());
        if (known.isPresent()) {
            State s = dropStale(known.get());
            if (!linkExists(s.bridge())) {
                if (!s.created()) {
                    throw new IllegalArgumentException("the adopted bridge " + s.bridge() + " of network " + s.name()
                            + " is gone: remove the network (corral network rm " + s.name() + ") or make the bridge again");
                }
                makeBridge(s.bridge(), s.subnet(), s.gateway());
            }
            return s;
        }
        String dev = deviceName(bridge.name());
        State s;
        if (linkExists(dev)) {
            String addr = HostTools.run(HostTools.ip("-4", "-o", "addr", "show", "dev", dev));
            Matcher m = INET.matcher(addr);
            if (!m.find()) {
                throw new IllegalArgumentException("the existing interface " + dev + " has no IPv4 address to give "
                        + "containers a subnet of: give it one (ip addr add 10.89.0.1/24 dev " + dev + "), or name a "
                        + "network Corral may make");
            }
            if (!Files.isDirectory(Path.of("/sys/class/net", dev, "bridge"))) {
                throw new IllegalArgumentException("the existing interface " + dev + " is not a bridge");
            }
            Inet4Address gw = NetworkStates.ipv4(m.group(1));
            int prefix = Integer.parseInt(m.group(2));
            Subnet subnet = new Subnet(networkOf(gw, prefix), prefix);
            s = new State(bridge.name(), dev, subnet, gw, false, table(dev), List.of());
        } else {
            Subnet subnet = bridge.subnet().orElseGet(BridgeNetworks::pickSubnet);
            checkFree(subnet);
            s = new State(bridge.name(), dev, subnet, subnet.gateway(), true, table(dev), List.of());
            NetworkStates.write(s); /* before the bridge: a crash in between leaves state the sweep finds */
            makeBridge(dev, subnet, subnet.gateway());
        }
        NetworkStates.write(s);
        enableForwarding(dev);
        return s;
    }

    private static Inet4Address networkOf(Inet4Address a, int prefix) {
        byte[] b = a.getAddress();
        int v = (b[0] & 0xff) << 24 | (b[1] & 0xff) << 16 | (b[2] & 0xff) << 8 | (b[3] & 0xff);
        v &= prefix == 0 ? 0 : -1 << (32 - prefix);
        return NetworkStates.ipv4(((v >>> 24) & 0xff) + "." + ((v >>> 16) & 0xff) + "." + ((v >>> 8) & 0xff) + "." + (v & 0xff));
    }

    /** @param name a network's name @return its bridge's name: the name itself when it fits an interface name */
    static String deviceName(String name) {
        if (name.length() <= 15) {
            return name;
        }
        try {
            byte[] h = MessageDigest.getInstance("SHA-256").digest(name.getBytes(StandardCharsets.UTF_8));
            return "crl-" + HexFormat.of().formatHex(h).substring(0, 11);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String table(String dev) {
        return "corral_" + dev.replaceAll("[^A-Za-z0-9_]", "_");
    }

    static boolean linkExists(String dev) {
        return Files.exists(Path.of("/sys/class/net", dev));
    }

    private static void makeBridge(String dev, Subnet subnet, Inet4Address gateway) {
        HostTools.run(HostTools.ip("-batch", "-"), Optional.of("link add " + dev + " type bridge\n"
                + "addr add " + gateway.getHostAddress() + "/" + subnet.prefixLength() + " dev " + dev + "\n"
                + "link set " + dev + " up\n"));
        log.debug("made bridge {} on {}", dev, subnet);
    }

    /**
     * Forwarding on (the host's, as Docker does: outbound NAT needs it; it stays on), and the
     * bridge's route_localnet, so that a port published on 127.0.0.1 can be forwarded to it.
     */
    private static void enableForwarding(String dev) {
        writeSysctl(Path.of("/proc/sys/net/ipv4/ip_forward"));
        writeSysctl(Path.of("/proc/sys/net/ipv4/conf", dev, "route_localnet"));
    }

    private static void writeSysctl(Path p) {
        try {
            if (!Files.readString(p).strip().equals("1")) {
                Files.writeString(p, "1\n", StandardOpenOption.WRITE);
            }
        } catch (IOException e) {
            throw new java.io.UncheckedIOException("cannot set " + p + " to 1: " + e.getMessage(), e);
        }
    }

    /** A free /24 in 10.88.0.0/13 that overlaps no route of the host and no other network of Corral's. */
    private static Subnet pickSubnet() {
        List<Subnet> taken = takenSubnets();
        for (int second = 88; second < 96; second++) {
            for (int third = 0; third < 256; third++) {
                Subnet s = Subnet.parse("10." + second + "." + third + ".0/24");
                if (taken.stream().noneMatch(s::overlaps)) {
                    return s;
                }
            }
        }
        throw new IllegalArgumentException("no free /24 in 10.88.0.0/13 for a new bridge: give the network a subnet "
                + "(Network.bridge(name, Subnet.parse(...)))");
    }

    private static void checkFree(Subnet subnet) {
        for (Subnet t : takenSubnets()) {
            if (t.overlaps(subnet)) {
                throw new IllegalArgumentException("subnet " + subnet + " overlaps " + t + ", which the host routes "
                        + "or another Corral network uses: pick another");
            }
        }
    }

    /** The subnets of the host's IPv4 routes (every table) and of Corral's networks. */
    private static List<Subnet> takenSubnets() {
        List<Subnet> out = new ArrayList<>();
        for (String line : HostTools.run(HostTools.ip("-4", "route", "show", "table", "all")).split("\n")) {
            String[] w = line.trim().split("\\s+");
            if (w.length == 0 || w[0].isEmpty()) {
                continue;
            }
            String dst = Set.of("local", "broadcast", "unicast", "multicast", "unreachable", "prohibit", "blackhole",
                    "throw", "nat", "anycast").contains(w[0]) && w.length > 1 ? w[1] : w[0];
            if (dst.equals("default")) {
                continue;
            }
            try {
                out.add(dst.contains("/") ? widen(dst) : new Subnet(networkOf(NetworkStates.ipv4(dst), 30), 30));
            } catch (IllegalArgumentException e) {
                /* not an IPv4 destination */
            }
        }
        NetworkStates.all().forEach(s -> out.add(s.subnet()));
        return out;
    }

    /** A route's prefix as a subnet (its prefix length clamped to 8-30, which only widens it). */
    private static Subnet widen(String cidr) {
        int slash = cidr.indexOf('/');
        int prefix = Math.max(8, Math.min(30, Integer.parseInt(cidr.substring(slash + 1))));
        return new Subnet(networkOf(NetworkStates.ipv4(cidr.substring(0, slash)), prefix), prefix);
    }

    private static Inet4Address freeAddress(State s) {
        Set<String> used = new TreeSet<>();
        s.leases().forEach(l -> used.add(l.address().getHostAddress()));
        used.add(s.gateway().getHostAddress());
        for (int i = 1; i < s.subnet().size() - 1; i++) {
            Inet4Address a = s.subnet().address(i);
            if (!used.contains(a.getHostAddress())) {
                return a;
            }
        }
        throw new IllegalArgumentException("network " + s.name() + " (" + s.subnet() + ") has no free address: "
                + s.leases().size() + " containers hold them all");
    }

    /** A host port is published by one container of Corral's at a time. */
    private static void checkPorts(State s, Lease lease) {
        for (State other : NetworkStates.all()) {
            State o = other.name().equals(s.name()) ? s : other;
            for (Lease l : o.leases()) {
                for (PortMapping p : l.ports()) {
                    for (PortMapping q : lease.ports()) {
                        if (p.protocol() == q.protocol() && p.hostPort() == q.hostPort()
                                && (p.hostAddress().isEmpty() || q.hostAddress().isEmpty() || p.hostAddress().equals(q.hostAddress()))) {
                            throw new IllegalArgumentException("host port " + q + " is published already by container "
                                    + String.join(",", l.names()) + " (" + l.address().getHostAddress() + ") on network " + o.name());
                        }
                    }
                }
            }
        }
    }

    private static String resolvConf(ContainerSpec spec) {
        String host = EtcFiles.hostResolvConf();
        Optional<String> r = EtcFiles.resolvConf(host, spec.network().dns(), true);
        String text = r.orElse(host);
        if (!text.contains("nameserver")) { /* only loopback servers on the host: Docker's fallback */
            text = EtcFiles.resolvConf(host, DOCKER_DEFAULT_DNS, true).orElseThrow();
        }
        return text;
    }

    /* ---- /etc/hosts: one file per container, rewritten in place when the network changes ---- */

    private static final String EXTRA = "# added to this container (addHost)\n";

    /**
     * Rewrites every container's hosts file of a network: the loopback lines, then every
     * container's address and names, then the container's own added lines (kept from its file).
     */
    private static void writeHostsFiles(State s, Optional<Lease> added, List<dev.corral.network.NetworkSettings.HostEntry> extra) {
        Path dir = NetworkStates.hostsDir(s.name());
        try {
            if (!Files.isDirectory(dir)) {
                Files.createDirectories(dir);
                Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
            }
            StringBuilder common = new StringBuilder(EtcFiles.LOCALHOST);
            for (Lease l : s.leases()) {
                common.append(l.address().getHostAddress()).append('\t').append(String.join(" ", l.names())).append('\n');
            }
            for (Lease l : s.leases()) {
                Path f = dir.resolve(l.address().getHostAddress());
                String own;
                if (added.isPresent() && added.get().equals(l)) {
                    own = EtcFiles.hosts("", extra);
                } else {
                    String old = Files.exists(f) ? Files.readString(f) : "";
                    int at = old.indexOf(EXTRA);
                    own = at < 0 ? "" : old.substring(at + EXTRA.length());
                }
                String text = common + (own.isEmpty() ? "" : EXTRA + own);
                /* in place: the container's bind mount holds this inode */
                Files.writeString(f, text, StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                        StandardOpenOption.TRUNCATE_EXISTING);
                Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-r--r--"));
            }
        } catch (IOException e) {
            throw new java.io.UncheckedIOException("cannot write the hosts files of network " + s.name() + " in " + dir
                    + ": " + e.getMessage(), e);
        }
    }

    /* ---- nft: the network's own table, replaced whole ---- */

    /**
     * Outbound NAT for the subnet, masquerading for connections the host makes from loopback to a
     * published port, and each published port's DNAT (prerouting for others, output for the
     * host's own connections).
     */
    static String ruleset(State s, List<String> otherBridges) {
        StringBuilder dnat = new StringBuilder();
        for (Lease l : s.leases()) {
            for (PortMapping p : l.ports()) {
                String proto = p.protocol() == PortMapping.Protocol.TCP ? "tcp" : "udp";
                String match = p.hostAddress().map(a -> "ip daddr " + a.getHostAddress()).orElse("fib daddr type local");
                dnat.append("    ").append(match).append(' ').append(proto).append(" dport ").append(p.hostPort())
                        .append(" dnat to ").append(l.address().getHostAddress()).append(':').append(p.containerPort())
                        .append('\n');
            }
        }
        String t = s.table();
        return "table ip " + t + "\ndelete table ip " + t + "\ntable ip " + t + " {\n"
                + "  chain prerouting {\n    type nat hook prerouting priority dstnat; policy accept;\n" + dnat + "  }\n"
                + "  chain output {\n    type nat hook output priority -100; policy accept;\n" + dnat + "  }\n"
                + "  chain postrouting {\n    type nat hook postrouting priority srcnat; policy accept;\n"
                + "    ip saddr " + s.subnet() + " ip daddr != " + s.subnet() + " masquerade\n"
                + "    oifname \"" + s.bridge() + "\" ip saddr 127.0.0.0/8 masquerade\n"
                + "  }\n"
                /* two networks do not reach each other through the host's forwarding (Docker's isolation rules) */
                + "  chain forward {\n    type filter hook forward priority filter; policy accept;\n"
                + (otherBridges.isEmpty() ? "" : "    oifname \"" + s.bridge() + "\" iifname { "
                        + String.join(", ", otherBridges.stream().map(b -> "\"" + b + "\"").toList()) + " } drop\n")
                + "  }\n}\n";
    }

    /** Replaces the network's table, and the isolation rules of every other network of Corral's. */
    private static void applyRules(State s) {
        List<State> all = new ArrayList<>(NetworkStates.all());
        all.removeIf(o -> o.name().equals(s.name()));
        all.add(s);
        StringBuilder text = new StringBuilder();
        for (State o : all) {
            if (o.name().equals(s.name()) || tableExists(o.table())) {
                text.append(ruleset(o, all.stream().filter(x -> x != o).map(State::bridge).toList()));
            }
        }
        HostTools.run(List.of(HostTools.tool("nft"), "-f", "-"), Optional.of(text.toString()));
    }

    /** After a network went: the others' isolation rules without its bridge. */
    private static void applyOthers() {
        List<State> all = NetworkStates.all();
        StringBuilder text = new StringBuilder();
        for (State o : all) {
            if (tableExists(o.table())) {
                text.append(ruleset(o, all.stream().filter(x -> x != o).map(State::bridge).toList()));
            }
        }
        if (!text.isEmpty()) {
            HostTools.run(List.of(HostTools.tool("nft"), "-f", "-"), Optional.of(text.toString()));
        }
    }

    private static boolean tableExists(String table) {
        return HostTools.run(List.of(HostTools.tool("nft"), "list", "tables", "ip")).lines()
                .anyMatch(l -> l.trim().equals("table ip " + table));
    }

    private static void deleteRules(String table) {
        try {
            HostTools.run(List.of(HostTools.tool("nft"), "delete", "table", "ip", table));
        } catch (HostTools.ToolException e) {
            if (!e.getMessage().contains("No such file or directory")) {
                throw e;
            }
        }
    }

    /* ---- release and the stale sweep ---- */

    /** Drops a lease; the network's last container takes the bridge (if Corral made it), its rules and state along. */
    static void release(String network, Lease lease) {
        NetworkStates.locked(() -> {
            Optional<State> s = NetworkStates.read(network);
            deleteLink(lease.veth());
            try {
                Files.deleteIfExists(NetworkStates.hostsDir(network).resolve(lease.address().getHostAddress()));
            } catch (IOException e) {
                log.debug("cannot remove a hosts file: {}", e.toString());
            }
            if (s.isEmpty()) {
                return null;
            }
            List<Lease> rest = new ArrayList<>(s.get().leases());
            rest.removeIf(l -> l.veth().equals(lease.veth()));
            settle(s.get().withLeases(rest), !lease.ports().isEmpty());
            return null;
        });
    }

    /**
     * Removes a network without containers: its nft table, its bridge if Corral made it, its state.
     *
     * @param name the network
     */
    static void remove(String name) {
        try {
            NetworkStates.locked(() -> {
                State s = NetworkStates.read(name).orElseThrow(() -> new IllegalArgumentException("no network " + name
                        + " (corral network ls lists them)"));
                State live = dropStale(s);
                if (!live.leases().isEmpty()) {
                    throw new IllegalStateException("network " + name + " has " + live.leases().size() + " running "
                            + "container(s): " + live.leases().stream().map(l -> String.join(",", l.names()) + " ("
                            + l.address().getHostAddress() + ", JVM " + l.pid() + ")").toList() + "; stop them first");
                }
                settle(live, true);
                return null;
            });
        } catch (HostTools.ToolException e) {
            throw new IllegalStateException("cannot remove network " + name + ": " + e.getMessage(), e);
        }
    }

    /** Writes a network's state after leases went: or removes it all when none is left. Under the lock. */
    private static void settle(State s, boolean portsWent) {
        if (s.leases().isEmpty()) {
            deleteRules(s.table());
            if (s.created()) {
                deleteLink(s.bridge());
            }
            NetworkStates.delete(s.name());
            applyOthers();
            log.debug("network {} has no container left: removed{}", s.name(), s.created() ? " with its bridge" : "");
        } else {
            NetworkStates.write(s);
            writeHostsFiles(s, Optional.empty(), List.of());
            if (portsWent) {
                applyRules(s);
            }
        }
    }

    private static void deleteLink(String dev) {
        if (linkExists(dev)) {
            try {
                HostTools.run(HostTools.ip("link", "del", dev));
            } catch (HostTools.ToolException e) {
                if (linkExists(dev)) {
                    throw e;
                } /* else gone meanwhile, with its namespace */
            }
        }
    }

    /** The leases of dead JVMs dropped, with their veths and hosts files. */
    private static State dropStale(State s) {
        List<Lease> live = new ArrayList<>();
        for (Lease l : s.leases()) {
            if (l.ownerAlive()) {
                live.add(l);
            } else {
                deleteLink(l.veth());
                try {
                    Files.deleteIfExists(NetworkStates.hostsDir(s.name()).resolve(l.address().getHostAddress()));
                } catch (IOException e) {
                    log.debug("cannot remove a stale hosts file: {}", e.toString());
                }
            }
        }
        return live.size() == s.leases().size() ? s : s.withLeases(live);
    }

    /**
     * What JVMs killed mid-run left: their leases, veths and hosts files, and the bridges, rules
     * and state of networks left without a container. Once per JVM, at its first bridge.
     *
     * @return how many leases were stale
     */
    static int sweepStale() {
        return NetworkStates.locked(() -> {
            int stale = 0;
            for (State s : NetworkStates.all()) {
                State live = dropStale(s);
                stale += s.leases().size() - live.leases().size();
                if (live != s || live.leases().isEmpty()) {
                    settle(live, true);
                }
            }
            return stale;
        });
    }

    /* ---- one container's attachment ---- */

    private static final class Attachment implements NetworkAttachment {
        private final State network;
        private final Lease lease;
        private final RunEtcDirectory resolv;
        private final AtomicBoolean released = new AtomicBoolean();
        private volatile NamespacesAhead set;

        Attachment(State network, Lease lease, RunEtcDirectory resolv) {
            this.network = network;
            this.lease = lease;
            this.resolv = resolv;
        }

        @Override
        public int sharedNamespaces() {
            return 0;
        }

        @Override
        public List<Join> joins() {
            return List.of();
        }

        @Override
        public boolean loopback() {
            return true;
        }

        @Override
        public List<FileBind> files() {
            List<FileBind> f = new ArrayList<>(resolv.files());
            f.add(new FileBind(NetworkStates.hostsDir(network.name()).resolve(lease.address().getHostAddress()), "/etc/hosts"));
            return f;
        }

        @Override
        public Optional<InetAddress> address() {
            return Optional.of(lease.address());
        }

        @Override
        public Optional<NamespacesAhead> namespacesFor(Launcher launcher, LaunchPlan plan) {
            NamespacesAhead made = launcher.makeNamespaces(plan).orElseThrow(() -> fail("make the network namespace of a "
                    + "container on bridge network " + network.name(), "the launcher cannot make this container's "
                    + "namespaces ahead (" + launcher.namespacePoolFailures() + "); a bridge needs a launcher that is root "
                    + "in the host's user namespace and ID maps it writes itself"));
            set = made;
            String ns = "/proc/" + ProcessHandle.current().pid() + "/fd/" + made.network();
            String addr = lease.address().getHostAddress() + "/" + network.subnet().prefixLength();
            try {
                HostTools.run(HostTools.ip("-batch", "-"), Optional.of("link add " + lease.veth()
                        + " type veth peer name eth0 netns " + ns + "\n"
                        + "link set " + lease.veth() + " master " + network.bridge() + " up\n"));
                HostTools.run(HostTools.in(ns, List.of("/bin/sh", "-c",
                        "echo 0 > /proc/sys/net/ipv4/ip_unprivileged_port_start && exec \"$0\" -batch -", HostTools.tool("ip"))),
                        Optional.of("addr add " + addr + " dev eth0\nlink set eth0 up\nroute add default via "
                                + network.gateway().getHostAddress() + "\n"));
            } catch (HostTools.ToolException e) {
                throw fail("connect the container to bridge " + network.bridge(), e.getMessage());
            }
            return Optional.of(made);
        }

        @Override
        public void planSent() {
            NamespacesAhead s = set;
            if (s != null) {
                s.close();
            }
        }

        @Override
        public void started(long pid) {
            /* configured before it started */
        }

        @Override
        public boolean holdsHostState() {
            return true;
        }

        @Override
        public void release() {
            if (!released.compareAndSet(false, true)) {
                return;
            }
            planSent();
            try {
                BridgeNetworks.release(network.name(), lease);
            } catch (RuntimeException e) {
                log.warn("cannot release the address {} on network {}: {}; the next start's sweep will",
                        lease.address().getHostAddress(), network.name(), e.getMessage());
            }
            try {
                resolv.remove();
            } catch (RuntimeException e) {
                log.warn("cannot remove a container's resolv.conf: {}", e.getMessage());
            }
        }
    }
}
