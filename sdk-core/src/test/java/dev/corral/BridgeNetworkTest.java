package dev.corral;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.corral.network.Network;
import dev.corral.network.Subnet;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Bridge networks as root, on the real kernel: containers on one bridge reach each other by
 * address and by name (one started later becomes known to one started earlier); a container on
 * another bridge, or on none, reaches neither; and once they end, nothing of the network is
 * left on the host: no bridge Corral made, no veth, no nft table, no lease or hosts file. Each
 * run uses bridge names and subnets of its own (a random suffix; a subnet no host route
 * overlaps), as other test runs may use bridges at the same time. All traffic stays inside
 * the bridges this test makes.
 */
class BridgeNetworkTest {
    static final SecureRandom RANDOM = new SecureRandom();
    static final Path STATE = dev.corral.image.ImageStore.defaultLocation().resolve("networks");

    @BeforeAll
    static void asRoot() {
        Assumptions.assumeTrue(dev.corral.namespaces.HostSecurity.probe().uid() == 0,
                "bridge networks are root only (rootless: Network.pasta(); refused below)");
    }

    /** @return a bridge name of this run's own: at most 15 characters */
    static String name(String prefix) {
        return prefix + HexFormat.of().formatHex(RANDOM.generateSeed(4));
    }

    /** @return a /24 in 10.200.0.0/13 that no route of the host's overlaps, nor Corral's networks */
    static Subnet freeSubnet() throws Exception {
        String routes = run("ip", "-4", "route", "show", "table", "all");
        for (int tries = 0; tries < 200; tries++) {
            Subnet s = Subnet.parse("10." + (200 + RANDOM.nextInt(8)) + "." + RANDOM.nextInt(256) + ".0/24");
            String prefix = s.toString().substring(0, s.toString().lastIndexOf('.') + 1);
            if (!routes.contains(prefix) && !stateMentions(s.toString())) {
                return s;
            }
        }
        throw new IllegalStateException("no free subnet found");
    }

    private static boolean stateMentions(String subnet) throws IOException {
        if (!Files.isDirectory(STATE)) {
            return false;
        }
        try (var files = Files.list(STATE)) {
            for (Path p : files.filter(f -> f.toString().endsWith(".net")).toList()) {
                if (Files.readString(p).contains(subnet)) {
                    return true;
                }
            }
        }
        return false;
    }

    static String run(String... command) throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        p.waitFor();
        return out;
    }

    /** A web server on the network answering /x with its hostname. */
    static ContainerProcess web(Network network, String hostname, String... aliases) {
        return Container.builder().network(network).hostname(hostname).networkAlias(aliases).timeout(Duration.ofMinutes(2))
                .start("/bin/sh", "-c", "mkdir -p /tmp/w && hostname > /tmp/w/x && exec busybox httpd -f -p 8080 -h /tmp/w");
    }

    /** Fetches a URL from inside a container, retrying while the server starts; its stdout, or "FAILED" (busybox 1.35's wget -T crashes: timeout(1) bounds each try). */
    static String fetch(ContainerProcess from, String url) throws Exception {
        ContainerResult r = from.exec("/bin/sh", "-c", "for i in $(seq 30); do timeout 2 busybox wget -q -O- " + url
                + " && exit 0; sleep 0.2; done; echo FAILED; ip addr; ip route; busybox wget -O- " + url + " 2>&1; ps -ef").waitFor();
        if (r.stdout().contains("FAILED")) {
            System.err.println("DEBUG " + r.stdout() + r.stderr() + "\nHOST " + run("ip", "addr") + run("nft", "list", "ruleset"));
        }
        return r.stdout();
    }

    static void assertNothingLeft(String bridge, Subnet subnet) throws Exception {
        assertFalse(Files.exists(Path.of("/sys/class/net", bridge)), "bridge " + bridge + " is still there");
        String links = run("ip", "-o", "link", "show");
        assertFalse(links.contains("master " + bridge), links);
        assertFalse(run("nft", "list", "tables").contains("corral_" + bridge), run("nft", "list", "tables"));
        assertFalse(Files.exists(STATE.resolve(bridge + ".net")), "the network's state is still there");
        assertFalse(Files.exists(STATE.resolve(bridge + ".hosts")), "its hosts files are still there");
        assertFalse(stateMentions(subnet.toString()));
        assertFalse(run("ip", "-4", "route", "show", "table", "all").contains(subnet.toString()));
    }

    @Test
    void containersOnOneBridgeReachEachOtherByAddressAndNameAndNothingIsLeft() throws Exception {
        String bridge = name("ct");
        Subnet subnet = freeSubnet();
        Network net = Network.bridge(bridge, subnet);
        try (ContainerProcess web = web(net, "web", "www");
             ContainerProcess client = Container.builder().network(net).hostname("client").timeout(Duration.ofMinutes(2))
                     .start("sleep", "120")) {
            InetAddress webAddress = web.address().orElseThrow();
            InetAddress clientAddress = client.address().orElseThrow();
            assertTrue(subnet.contains(webAddress) && subnet.contains(clientAddress), webAddress + " " + clientAddress);
            assertNotEquals(webAddress, clientAddress);
            assertNotEquals(subnet.gateway(), webAddress);
            assertEquals("web\n", fetch(client, "http://" + webAddress.getHostAddress() + ":8080/x"));
            assertEquals("web\n", fetch(client, "http://web:8080/x"));
            assertEquals("web\n", fetch(client, "http://www:8080/x"));
            /* the earlier container knows the later one by name: its hosts file was rewritten in place */
            String hosts = web.exec("cat", "/etc/hosts").waitFor().stdout();
            assertTrue(hosts.contains(clientAddress.getHostAddress() + "\tclient\n"), hosts);
            /* inside: eth0 with its address, a default route through the bridge */
            String inside = client.exec("/bin/sh", "-c", "ip -4 -o addr show dev eth0; ip route").waitFor().stdout();
            assertTrue(inside.contains(clientAddress.getHostAddress() + "/24"), inside);
            assertTrue(inside.contains("default via " + subnet.gateway().getHostAddress()), inside);
            /* on the host: the bridge with its two veths */
            assertEquals(2, run("ip", "-o", "link", "show", "master", bridge).lines().count());
            assertTrue(run("nft", "list", "tables").contains("corral_" + bridge));
            /* a container on none reaches nothing of it */
            ContainerResult none = Container.builder().run("timeout", "3", "busybox", "wget", "-q", "-O-",
                    "http://" + webAddress.getHostAddress() + ":8080/x");
            assertNotEquals(0, none.exitCode());
            assertEquals("", none.stdout());
        }
        assertNothingLeft(bridge, subnet);
    }

    @Test
    void twoBridgesCannotReachEachOther() throws Exception {
        String a = name("ca"), b = name("cb");
        Subnet sa = freeSubnet(), sb = freeSubnet();
        Assumptions.assumeFalse(sa.overlaps(sb), "two random subnets met; the next run picks others");
        try (ContainerProcess web = web(Network.bridge(a, sa), "web");
             ContainerProcess same = Container.builder().network(Network.bridge(a, sa)).timeout(Duration.ofMinutes(2))
                     .start("sleep", "120");
             ContainerProcess other = Container.builder().network(Network.bridge(b, sb)).timeout(Duration.ofMinutes(2))
                     .start("sleep", "120")) {
            String url = "http://" + web.address().orElseThrow().getHostAddress() + ":8080/x";
            assertEquals("web\n", fetch(same, url), "the control: the same bridge reaches it");
            ContainerResult r = other.exec("timeout", "3", "busybox", "wget", "-q", "-O-", url).waitFor();
            assertNotEquals(0, r.exitCode(), r.stdout());
            assertEquals("", r.stdout());
            assertEquals("FAILED\n", other.exec("/bin/sh", "-c", "timeout 3 busybox wget -q -O- http://web:8080/x || echo FAILED")
                    .waitFor().stdout(), "names on another bridge are not known");
        }
        assertNothingLeft(a, sa);
        assertNothingLeft(b, sb);
    }

    /** @return a TCP and UDP port free on the host now */
    static int freePort() throws IOException {
        for (int tries = 0; tries < 50; tries++) {
            try (java.net.ServerSocket t = new java.net.ServerSocket(0); java.net.DatagramSocket u = new java.net.DatagramSocket(t.getLocalPort())) {
                return t.getLocalPort();
            } catch (java.net.BindException e) {
                /* the UDP port is taken: another */
            }
        }
        throw new IllegalStateException("no free port");
    }

    /** An HTTP/1.0 GET from the host, retried while the server starts; the body, or the last error. */
    static String httpGet(String host, int port, String path) throws Exception {
        String last = "";
        for (int i = 0; i < 50; i++) {
            try (java.net.Socket s = new java.net.Socket()) {
                s.connect(new java.net.InetSocketAddress(host, port), 2000);
                s.setSoTimeout(5000);
                s.getOutputStream().write(("GET " + path + " HTTP/1.0\r\n\r\n").getBytes());
                String response = new String(s.getInputStream().readAllBytes());
                int body = response.indexOf("\r\n\r\n");
                if (response.startsWith("HTTP/1.") && body > 0) {
                    return response.substring(body + 4);
                }
                last = response;
            } catch (IOException e) {
                last = e.toString();
            }
            Thread.sleep(100);
        }
        return "FAILED: " + last;
    }

    /** Writes the first datagram to port 9999 to /tmp/udp (busybox's nc has no UDP): python3, which CI installs. */
    static final String UDP_LISTENER = "import socket; s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); "
            + "s.bind(('0.0.0.0', 9999)); d = s.recv(100); open('/tmp/udp', 'wb').write(d)";

    @Test
    void publishedPortsAnswerOnTheHostsLoopbackAndTheBridgeAddressTcpAndUdp() throws Exception {
        String bridge = name("cp");
        Subnet subnet = freeSubnet();
        int tcp = freePort(), udp = freePort(), local = freePort();
        try (ContainerProcess web = Container.builder().network(Network.bridge(bridge, subnet)).hostname("web")
                .publish(dev.corral.network.PortMapping.tcp(tcp, 8080), dev.corral.network.PortMapping.udp(udp, 9999),
                        dev.corral.network.PortMapping.parse("127.0.0.1:" + local + ":8080"))
                .timeout(Duration.ofMinutes(2))
                .start("/bin/sh", "-c", "mkdir -p /tmp/w && hostname > /tmp/w/x && (python3 -c \"" + UDP_LISTENER + "\" &) "
                        + "&& exec busybox httpd -f -p 8080 -h /tmp/w")) {
            assertEquals("web\n", httpGet("127.0.0.1", tcp, "/x"), "from the host's loopback");
            assertEquals("web\n", httpGet(subnet.gateway().getHostAddress(), tcp, "/x"), "from the bridge's address");
            assertEquals("web\n", httpGet("127.0.0.1", local, "/x"), "published on 127.0.0.1 only");
            assertTrue(httpGet(subnet.gateway().getHostAddress(), local, "/x").startsWith("FAILED"),
                    "a port published on 127.0.0.1 does not answer on the bridge's address");
            /* UDP: a datagram from the host's loopback reaches the container's listener */
            String got = "";
            try (java.net.DatagramSocket d = new java.net.DatagramSocket()) {
                for (int i = 0; i < 50 && got.isEmpty(); i++) {
                    byte[] msg = "ping over udp\n".getBytes();
                    d.send(new java.net.DatagramPacket(msg, msg.length, InetAddress.getLoopbackAddress(), udp));
                    Thread.sleep(100);
                    got = web.exec("cat", "/tmp/udp").waitFor().stdout();
                }
            }
            assertTrue(got.startsWith("ping over udp\n"), got + run("nft", "list", "ruleset"));
            assertTrue(run("nft", "list", "table", "ip", "corral_" + bridge).contains("dport " + tcp));
        }
        assertNothingLeft(bridge, subnet);
        assertTrue(httpGet("127.0.0.1", tcp, "/x").startsWith("FAILED"), "the port is no longer forwarded");
    }

    @Test
    void whatAKilledJvmLeftIsRemovedByTheNextJvmsFirstStart() throws Exception {
        String bridge = name("ck"), other = name("co");
        Subnet subnet = freeSubnet(), otherSubnet = freeSubnet();
        Assumptions.assumeFalse(subnet.overlaps(otherSubnet), "two random subnets met; the next run picks others");
        int port = freePort();
        Process jvm = ChildJvm.start(List.of(), "hold-bridge", bridge, subnet.toString(), Integer.toString(port));
        try {
            String line = new java.io.BufferedReader(new java.io.InputStreamReader(jvm.getInputStream())).readLine();
            assertTrue(line != null && line.startsWith("holding 10."), "the child JVM said " + line);
            assertTrue(Files.exists(Path.of("/sys/class/net", bridge)));
            assertTrue(Files.readString(STATE.resolve(bridge + ".net")).contains("pid=" + jvm.pid() + " "));
            jvm.destroyForcibly(); /* SIGKILL: no release runs */
            jvm.waitFor();
        } finally {
            jvm.destroyForcibly();
        }
        /* the killed JVM's lease, hosts file, rules and bridge are still there, until a JVM starts */
        assertTrue(Files.exists(STATE.resolve(bridge + ".net")), "a killed JVM cannot release its lease");
        assertTrue(Files.exists(Path.of("/sys/class/net", bridge)));
        Process next = ChildJvm.start(List.of(), "bridge-once", other, otherSubnet.toString());
        String said = new String(next.getInputStream().readAllBytes());
        assertEquals(0, next.waitFor(), said);
        assertEquals("ran EXITED\n", said);
        assertNothingLeft(bridge, subnet);
        assertNothingLeft(other, otherSubnet);
        String veths = run("ip", "-o", "link", "show", "type", "veth");
        assertFalse(veths.contains("crl") && veths.contains("master " + bridge), veths);
    }

    @Test
    void resolvConfHasTheHostsServersOrTheOnesGiven() throws Exception {
        String bridge = name("cr");
        Subnet subnet = freeSubnet();
        List<String> hostServers = new ArrayList<>();
        Files.readAllLines(Path.of("/etc/resolv.conf")).stream().filter(l -> l.startsWith("nameserver"))
                .map(l -> l.split("\\s+")[1]).filter(s -> !s.startsWith("127.") && !s.equals("::1")).forEach(hostServers::add);
        String seen = Container.builder().network(Network.bridge(bridge, subnet)).run("cat", "/etc/resolv.conf").stdout();
        for (String s : hostServers) {
            assertTrue(seen.contains("nameserver " + s + "\n"), seen);
        }
        assertFalse(seen.contains("nameserver 127."), seen);
        String given = Container.builder().network(Network.bridge(bridge, subnet)).dns(InetAddress.getByName("192.0.2.53"))
                .run("grep", "nameserver", "/etc/resolv.conf").stdout();
        assertEquals("nameserver 192.0.2.53\n", given);
        assertNothingLeft(bridge, subnet);
    }

    @Test
    void aSubnetOverlappingAHostRouteIsRefused() {
        String route = "127.0.0.0/8";
        ContainerStartException e = assertThrows(ContainerStartException.class, () -> Container.builder()
                .network(Network.bridge(name("cx"), Subnet.parse("127.1.2.0/24"))).run("true"));
        assertTrue(e.getMessage().contains("overlaps " + route) || e.getMessage().contains("overlaps 127."), e.getMessage());
    }
}
