package dev.corral;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.corral.network.Network;
import dev.corral.network.Subnet;
import java.time.Duration;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * Pods: a container joining another's network namespace ({@link Network#container}) shares its
 * loopback, address and {@code /etc} files, and with {@code ipcFrom} its IPC namespace; proved
 * from inside (a server on the first's 127.0.0.1 answers the second; the namespace links match)
 * and refused clearly when the other has ended.
 */
class PodNetworkTest {

    private static String ns(ContainerProcess p, String kind) throws Exception {
        return p.exec("readlink", "/proc/self/ns/" + kind).waitFor().stdout();
    }

    @Test
    void aPodMemberReachesTheFirstsLoopbackAndSharesItsNetworkIpcAndHostname() throws Exception {
        try (ContainerProcess first = Container.builder().hostname("pod-1").timeout(Duration.ofMinutes(2))
                .start("/bin/sh", "-c", "mkdir -p /tmp/w && echo first > /tmp/w/x && exec busybox httpd -f -p 127.0.0.1:8080 -h /tmp/w");
             ContainerProcess second = Container.builder().network(Network.container(first)).ipcFrom(first)
                     .timeout(Duration.ofMinutes(2)).start("sleep", "120")) {
            String got = second.exec("/bin/sh", "-c", "for i in $(seq 30); do timeout 2 busybox wget -q -O- "
                    + "http://127.0.0.1:8080/x && exit 0; sleep 0.2; done; echo FAILED").waitFor().stdout();
            assertEquals("first\n", got);
            for (String kind : new String[] {"net", "ipc", "uts", "user"}) {
                assertEquals(ns(first, kind), ns(second, kind), kind);
            }
            assertNotEquals(ns(first, "mnt"), ns(second, "mnt"), "a file system of its own");
            assertEquals("pod-1\n", second.exec("hostname").waitFor().stdout());
            /* its own loopback is the first's: a container on none has another */
            assertNotEquals(ns(first, "net"), Container.builder().run("readlink", "/proc/self/ns/net").stdout());
        }
    }

    @Test
    void aPodMemberOnABridgeHasTheFirstsAddressAndHostsFile() throws Exception {
        Assumptions.assumeTrue(dev.corral.namespaces.HostSecurity.probe().uid() == 0, "bridges are root only");
        String bridge = BridgeNetworkTest.name("cq");
        Subnet subnet = BridgeNetworkTest.freeSubnet();
        try (ContainerProcess first = Container.builder().network(Network.bridge(bridge, subnet)).hostname("db")
                .timeout(Duration.ofMinutes(2)).start("sleep", "120");
             ContainerProcess second = Container.builder().network(Network.container(first)).timeout(Duration.ofMinutes(2))
                     .start("sleep", "120")) {
            assertEquals(first.address(), second.address());
            assertTrue(second.address().isPresent());
            assertEquals(first.exec("cat", "/etc/hosts").waitFor().stdout(), second.exec("cat", "/etc/hosts").waitFor().stdout());
            assertTrue(second.exec("ip", "-4", "-o", "addr", "show", "eth0").waitFor().stdout()
                    .contains(first.address().orElseThrow().getHostAddress()));
        }
        BridgeNetworkTest.assertNothingLeft(bridge, subnet);
    }

    @Test
    void joiningAnEndedContainerOrIpcWithoutItsNetworkIsRefused() throws Exception {
        ContainerProcess gone = Container.builder().start("true");
        gone.waitFor();
        ContainerStartException e = assertThrows(ContainerStartException.class,
                () -> Container.builder().network(Network.container(gone)).run("true"));
        assertTrue(e.getMessage().contains("has ended"), e.getMessage());
        try (ContainerProcess first = Container.builder().start("sleep", "60")) {
            InvalidSpecException i = assertThrows(InvalidSpecException.class, () -> Container.builder().ipcFrom(first).build());
            assertEquals("ipcFrom", i.field());
        }
    }
}
