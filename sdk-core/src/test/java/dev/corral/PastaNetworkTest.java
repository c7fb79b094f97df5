package dev.corral;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.corral.network.Network;
import dev.corral.network.PortMapping;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.DisabledIf;
import org.junit.jupiter.api.condition.EnabledIf;

/**
 * {@code Network.pasta()}: rootless (.ci/rootless-tests.sh runs this class as an unprivileged
 * user), a container reaches a server on the host's loopback through the default gateway's
 * address, and a published port answers on the host's loopback; afterwards no pasta process of
 * this JVM and none of its files is left. As root, pasta is refused with the reason. All traffic
 * is on the host's loopback (pasta's gateway mapping and port forwarding are to and from it).
 */
class PastaNetworkTest {

    static boolean root() {
        return dev.corral.namespaces.HostSecurity.probe().uid() == 0;
    }

    /** @return the host's IPv4 default gateway, which pasta copies into the container and maps to the host */
    private static String gateway() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/net/route")).subList(1, Files.readAllLines(Path.of("/proc/net/route")).size())) {
            String[] f = line.trim().split("\\s+");
            if (f[1].equals("00000000")) {
                long g = Long.parseLong(f[2], 16);
                return (g & 0xff) + "." + (g >> 8 & 0xff) + "." + (g >> 16 & 0xff) + "." + (g >> 24 & 0xff);
            }
        }
        throw new IllegalStateException("the host has no IPv4 default route: pasta has nothing to copy");
    }

    /** pasta is passt's binary, which execs its CPU's build ({@code /usr/bin/passt.avx2}): either name counts */
    private static void assertNoPastaLeft() {
        long self = ProcessHandle.current().pid();
        List<ProcessHandle> left = ProcessHandle.current().descendants()
                .filter(p -> p.info().command().map(c -> c.contains("/pasta") || c.contains("/passt")).orElse(false)).toList();
        assertEquals(List.of(), left, "pasta processes left");
        try (Stream<Path> s = Files.list(Path.of("/dev/shm"))) {
            assertEquals(List.of(), s.filter(p -> p.getFileName().toString().startsWith("corral-pasta-" + self + "-")).toList());
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** @return the host's IPv4 default route's interface and that interface's first IPv4 address, which pasta copies */
    private static String[] hostInterface() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/net/route"))) {
            String[] f = line.trim().split("\\s+");
            if (f.length > 2 && f[1].equals("00000000")) {
                java.net.NetworkInterface nic = java.net.NetworkInterface.getByName(f[0]);
                String address = nic.inetAddresses().filter(a -> a instanceof java.net.Inet4Address)
                        .map(InetAddress::getHostAddress).findFirst().orElseThrow();
                return new String[] {f[0], address};
            }
        }
        throw new IllegalStateException("the host has no IPv4 default route: pasta has nothing to copy");
    }

    /** @return how many of this process's descriptors are pipes (a container's gate is one) */
    private static long pipes() throws IOException {
        try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
            return fds.filter(fd -> {
                try {
                    return Files.readSymbolicLink(fd).toString().startsWith("pipe:");
                } catch (IOException e) {
                    return false; /* the listing's own descriptor */
                }
            }).count();
        }
    }

    /**
     * The command's very first look (no wait, no retry) sees the interface pasta configures, with
     * the host's address and the default route: pasta configured the namespace while the
     * container's first process waited at its gate, before the command ran. Several runs, since
     * a race would show in some of them only; and no gate's pipe is left in this process, after
     * a container that ran and one whose command could not be executed (it fails after the gate).
     */
    @Test
    @DisabledIf("root")
    void theCommandsFirstLookSeesTheInterfaceItsAddressAndTheDefaultRoute() throws Exception {
        String[] host = hostInterface();
        String gw = gateway();
        long pipes = -1;
        for (int i = 0; i < 5; i++) {
            ContainerResult r = Container.builder().network(Network.pasta()).timeout(Duration.ofSeconds(30))
                    .run("/bin/sh", "-c", "ip -4 -o addr show; ip -4 route show");
            assertEquals(java.util.OptionalInt.of(0), r.exitCode(), r.stderr());
            String out = r.stdout();
            assertTrue(out.contains(" " + host[0] + "    inet " + host[1] + "/") || out.matches("(?s).*\\b" + host[0]
                    + "\\s+inet " + java.util.regex.Pattern.quote(host[1]) + "/.*"), "run " + i + ": " + out);
            assertTrue(out.contains("default via " + gw + " dev " + host[0]), "run " + i + ": " + out);
            if (i == 0) {
                pipes = pipes(); /* after a first run: the launcher's own pipes are there */
            }
        }
        assertThrows(ContainerStartException.class, () -> Container.builder().network(Network.pasta())
                .timeout(Duration.ofSeconds(30)).run("/nonexistent/command"));
        assertEquals(pipes, pipes(), "no gate's pipe left in this process");
        assertNoPastaLeft();
    }

    @Test
    @DisabledIf("root")
    void reachesAServerOnTheHostsLoopbackThroughTheGateway() throws Exception {
        String gw = gateway();
        try (ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            Thread t = new Thread(() -> {
                try (Socket s = server.accept(); OutputStream out = s.getOutputStream()) {
                    out.write("hello from the host\n".getBytes(StandardCharsets.UTF_8));
                } catch (IOException e) {
                    /* closed */
                }
            });
            t.setDaemon(true);
            t.start();
            /* the command waits for a line on stdin, written once start() has returned: start()
               returns once pasta has configured the container's network */
            ContainerProcess p = Container.builder().network(Network.pasta()).stdin(Input.pipe())
                    .timeout(Duration.ofSeconds(30)).start("/bin/bash", "-c",
                            "read go && exec 3<>/dev/tcp/" + gw + "/" + server.getLocalPort() + " && cat <&3");
            p.stdin().write("go\n".getBytes(StandardCharsets.UTF_8));
            p.stdin().close();
            ContainerResult r = p.onExit().get(30, TimeUnit.SECONDS);
            assertEquals(java.util.OptionalInt.of(0), r.exitCode(), r.stderr());
            assertEquals("hello from the host\n", r.stdout());
        }
        assertNoPastaLeft();
    }

    @Test
    @DisabledIf("root")
    void aPublishedPortAnswersOnTheHostsLoopback() throws Exception {
        int hostPort;
        try (ServerSocket free = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            hostPort = free.getLocalPort();
        }
        String server = "import socket\n"
                + "s = socket.socket(); s.bind(('0.0.0.0', 8080)); s.listen(5)\n"
                + "print('listening', flush=True)\n"
                + "c, a = s.accept(); c.sendall(b'hello from the container ' + a[0].encode() + b'\\n'); c.close()\n";
        try (ContainerProcess p = Container.builder().network(Network.pasta())
                .publish(PortMapping.parse("127.0.0.1:" + hostPort + ":8080")).stdout(Output.pipe())
                .timeout(Duration.ofSeconds(30)).start("/usr/bin/python3", "-c", server)) {
            BufferedReader out = new BufferedReader(new InputStreamReader(p.stdout(), StandardCharsets.UTF_8));
            assertEquals("listening", out.readLine());
            try (Socket s = new Socket(InetAddress.getLoopbackAddress(), hostPort)) {
                String line = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8)).readLine();
                assertTrue(line != null && line.startsWith("hello from the container "), String.valueOf(line));
            }
            ContainerResult r = p.onExit().get(30, TimeUnit.SECONDS);
            assertEquals(java.util.OptionalInt.of(0), r.exitCode(), r.stderr());
        }
        assertNoPastaLeft();
        /* the port is the host's again: nothing listens on it */
        assertThrows(IOException.class, () -> new Socket(InetAddress.getLoopbackAddress(), hostPort).close());
    }

    @Test
    @EnabledIf("root")
    void asRootPastaIsRefusedWithTheReason() {
        ContainerStartException e = assertThrows(ContainerStartException.class,
                () -> Container.builder().network(Network.pasta()).run("/bin/true"));
        assertTrue(e.getMessage().contains("rootless"), e.getMessage());
        assertFalse(e.getMessage().isBlank());
        assertNoPastaLeft();
    }
}
