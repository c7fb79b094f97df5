package dev.corral;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.corral.network.Network;
import dev.corral.network.PortMapping;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The network modes without host state: {@code none} (the default) reaches nothing, not even a
 * server on the host's loopback; {@code host} shares the host's network namespace and reaches
 * it; {@code addHost} and {@code dns} write the container's {@code /etc} files, which are gone
 * from the host when the container ends. Proved from inside (what the container reaches and
 * reads) and from outside (its namespace, the files left). All traffic is on the host's loopback.
 */
class NetworkModesTest {

    /** A server on the host's loopback that greets each connection with a line. */
    private static final class Greeter implements AutoCloseable {
        final ServerSocket server;
        final Thread thread;

        Greeter() throws IOException {
            server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
            thread = new Thread(() -> {
                while (!server.isClosed()) {
                    try (Socket s = server.accept(); OutputStream out = s.getOutputStream()) {
                        out.write("hello from the host\n".getBytes(StandardCharsets.UTF_8));
                    } catch (IOException e) {
                        return;
                    }
                }
            }, "greeter");
            thread.setDaemon(true);
            thread.start();
        }

        int port() {
            return server.getLocalPort();
        }

        @Override
        public void close() throws Exception {
            server.close();
            thread.join(5000);
        }
    }

    private static String read(Network network, int port) {
        return Container.builder().network(network).timeout(java.time.Duration.ofSeconds(20))
                .run("/bin/bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/" + port + " && cat <&3").stdout();
    }

    @Test
    void hostNetworkReachesTheHostsLoopbackAndNoneDoesNot() throws Exception {
        try (Greeter g = new Greeter()) {
            assertEquals("hello from the host\n", read(Network.host(), g.port()));
            ContainerResult none = Container.builder().run("/bin/bash", "-c",
                    "exec 3<>/dev/tcp/127.0.0.1/" + g.port() + " && cat <&3");
            assertNotEquals(0, none.exitCode(), none.stdout());
            assertTrue(none.stderr().contains("Connection refused"), none.stderr());
            assertEquals(Network.none(), Container.builder().build().network().network());
        }
    }

    @Test
    void hostNetworkIsTheHostsNamespaceAndNoneIsItsOwn() throws IOException {
        String ours = Files.readSymbolicLink(Path.of("/proc/self/ns/net")).toString();
        assertEquals(ours + "\n", Container.builder().network(Network.host()).run("readlink", "/proc/self/ns/net").stdout());
        String own = Container.builder().network(Network.none()).run("readlink", "/proc/self/ns/net").stdout();
        assertTrue(own.startsWith("net:["), own);
        assertNotEquals(ours + "\n", own);
        /* the host's interfaces are visible on host, only lo on none */
        String hostDevices = Files.readString(Path.of("/proc/net/dev"));
        String seen = Container.builder().network(Network.host()).run("cat", "/proc/net/dev").stdout();
        assertEquals(devices(hostDevices), devices(seen));
        assertEquals("lo", devices(Container.builder().run("cat", "/proc/net/dev").stdout()));
    }

    private static String devices(String procNetDev) {
        return procNetDev.lines().skip(2).map(l -> l.substring(0, l.indexOf(':')).trim()).sorted()
                .reduce((a, b) -> a + "," + b).orElse("");
    }

    @Test
    void addHostAndDnsWriteTheContainersEtcFilesAndNothingStaysBehind() throws Exception {
        ContainerResult r = Container.builder()
                .addHost("db.internal", InetAddress.getByName("10.89.0.9"))
                .addHost("cache", InetAddress.getByName("10.89.0.10"))
                .dns(InetAddress.getByName("192.0.2.53"))
                .run("/bin/sh", "-c", "cat /etc/hosts; echo ---; cat /etc/resolv.conf; echo ---; echo x > /etc/hosts");
        String[] parts = r.stdout().split("---\n");
        assertTrue(parts[0].startsWith("127.0.0.1\tlocalhost\n"), parts[0]);
        assertTrue(parts[0].contains("10.89.0.9\tdb.internal\n10.89.0.10\tcache\n"), parts[0]);
        assertEquals("nameserver 192.0.2.53\n", parts[1]);
        assertNotEquals(0, r.exitCode(), "the container could write its /etc/hosts: " + r.stderr());
        assertTrue(r.stderr().contains("Read-only file system") || r.stderr().contains("Permission denied"), r.stderr());
        assertNoNetworkFilesLeft();

        /* on the host's network, the host's own hosts file with the line added, and its other
           resolv.conf lines kept */
        String host = Container.builder().network(Network.host())
                .addHost("db.internal", InetAddress.getByName("10.89.0.9"))
                .run("cat", "/etc/hosts").stdout();
        assertTrue(host.startsWith(Files.readString(Path.of("/etc/hosts")).strip()), host);
        assertTrue(host.endsWith("10.89.0.9\tdb.internal\n"), host);
        assertEquals(Files.readString(Path.of("/etc/resolv.conf")),
                Container.builder().network(Network.host()).addHost("x", InetAddress.getByName("10.89.0.9"))
                        .run("cat", "/etc/resolv.conf").stdout(), "resolv.conf without dns(...) is the host's");
        assertNoNetworkFilesLeft();
    }

    @Test
    void aStartedContainersFilesGoWhenItIsKilled() throws Exception {
        try (ContainerProcess p = Container.builder().addHost("a", InetAddress.getByName("10.89.0.1"))
                .start("sleep", "60")) {
            assertEquals(1, networkFiles().count(), "the running container's /etc files are on the host");
            assertTrue(p.address().isEmpty(), "a container on none has no address of its own");
            p.kill();
            p.waitFor();
        }
        assertNoNetworkFilesLeft();
    }

    private static Stream<Path> networkFiles() throws IOException {
        long pid = ProcessHandle.current().pid();
        Path base = Files.isWritable(Path.of("/dev/shm")) ? Path.of("/dev/shm") : Path.of(System.getProperty("java.io.tmpdir"));
        try (Stream<Path> s = Files.list(base)) {
            return s.filter(p -> p.getFileName().toString().startsWith("corral-net-" + pid + "-")).toList().stream();
        }
    }

    private static void assertNoNetworkFilesLeft() throws IOException {
        assertEquals(java.util.List.of(), networkFiles().toList());
    }

    @Test
    void settingsThatDoNotFitTheNetworkAreRefusedByBuild() {
        InvalidSpecException ports = assertThrows(InvalidSpecException.class,
                () -> Container.builder().publish(PortMapping.parse("8080:80")).build());
        assertEquals("ports", ports.field());
        assertTrue(ports.getMessage().contains("Network.bridge"), ports.getMessage());
        assertEquals("ports", assertThrows(InvalidSpecException.class,
                () -> Container.builder().network(Network.host()).publish(PortMapping.tcp(80, 80)).build()).field());
        assertEquals("ports", assertThrows(InvalidSpecException.class, () -> Container.builder()
                .network(Network.bridge("b")).publish(PortMapping.tcp(80, 80), PortMapping.tcp(80, 81)).build()).field());
        assertEquals("networkAlias", assertThrows(InvalidSpecException.class,
                () -> Container.builder().networkAlias("db").build()).field());
        assertEquals("networkAlias", assertThrows(InvalidSpecException.class,
                () -> Container.builder().network(Network.bridge("b")).networkAlias("no spaces").build()).field());
        assertEquals("addHost", assertThrows(InvalidSpecException.class,
                () -> Container.builder().addHost("-x", InetAddress.getLoopbackAddress()).build()).field());
        /* the same settings on a bridge are accepted, and come back through toBuilder() */
        ContainerSpec ok = Container.builder().network(Network.bridge("b")).publish(PortMapping.tcp(80, 80),
                PortMapping.udp(80, 80)).networkAlias("db").build();
        assertEquals(ok, ok.toBuilder().build());
        assertFalse(ok.equals(ok.toBuilder().network(Network.bridge("c")).build()));
    }
}
