package dev.corral;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.corral.namespaces.Capability;
import dev.corral.namespaces.CapabilitySet;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The launcher prepares namespaces ahead (user with its ID maps, network, IPC, UTS) and hands
 * each set to one container. From inside: no two containers in a row share one, and the
 * prepared ones belong to the container's own user namespace, as if its clone had made them.
 */
class NamespacePoolTest {
    private static final List<String> KINDS = List.of("user", "mnt", "pid", "net", "ipc", "uts", "cgroup");

    @Test
    void consecutiveContainersNeverShareANamespace() throws Exception {
        assertFresh(Container.builder(), KINDS);
    }

    @Test
    void consecutivePrivilegedContainersNeverShareANamespace() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(dev.corral.namespaces.HostSecurity.probe().uid() == 0,
                "a container without a user namespace needs root");
        assertFresh(Container.builder().privilegedRoot(), KINDS.subList(1, KINDS.size())); /* the host's user ns */
    }

    /* The kernel reuses a namespace's inode number once it is gone: the containers compared are
       all alive at once, each holding its namespaces until its stdin closes. */
    private static void assertFresh(ContainerSpec.Builder b, List<String> kinds) throws Exception {
        StringBuilder script = new StringBuilder();
        Set<String> host = new HashSet<>();
        for (String kind : kinds) {
            script.append("readlink /proc/self/ns/").append(kind).append(";");
            host.add(Files.readSymbolicLink(Path.of("/proc/self/ns/" + kind)).toString());
        }
        script.append("echo; cat >/dev/null");
        ContainerSpec spec = b.stdin(Input.pipe()).stdout(Output.pipe()).build();
        List<ContainerProcess> running = new ArrayList<>();
        List<String> seen = new ArrayList<>();
        try {
            for (int i = 0; i < 6; i++) { /* the first of a kind runs without; the pool serves the next */
                ContainerProcess p = spec.start("/bin/sh", "-c", script.toString());
                running.add(p);
                BufferedReader out = new BufferedReader(new InputStreamReader(p.stdout(), StandardCharsets.UTF_8));
                for (String line = out.readLine(); line != null && !line.isEmpty(); line = out.readLine()) {
                    assertFalse(host.contains(line), "the host's own " + line + " in container " + i);
                    seen.add(line);
                }
            }
        } finally {
            for (ContainerProcess p : running) {
                p.stdin().close();
                ContainerResult r = p.waitFor();
                assertEquals(Termination.EXITED, r.termination(), r::toString);
                p.close();
            }
        }
        assertEquals(kinds.size() * 6, seen.size(), seen::toString);
        assertEquals(seen.size(), new HashSet<>(seen).size(), "a namespace was used twice: " + seen);
    }

    @Test
    void theContainersRootOwnsItsNetworkNamespace() {
        /* port 80 needs CAP_NET_BIND_SERVICE in the user namespace that owns the network
           namespace: the container's own, or the bind is refused */
        ContainerSpec.Builder b = Container.builder().capabilities(CapabilitySet.of(Capability.NET_BIND_SERVICE));
        for (int i = 0; i < 3; i++) {
            ContainerResult r = b.run("/bin/sh", "-c",
                    "busybox nc -l -p 80 & for t in 1 2 3 4 5 6 7 8 9 10; do"
                            + " busybox netstat -ltn | grep -q ':80 ' && break; sleep 0.1; done;"
                            + " busybox netstat -ltn | grep ':80 '; kill $!");
            assertTrue(r.stdout().contains(":80 "), "run " + i + ": " + r + "\n" + r.stdout() + r.stderr());
        }
    }

    @Test
    void theContainersRootOwnsItsUtsNamespace() {
        ContainerSpec.Builder b = Container.builder().hostname("pooled")
                .capabilities(CapabilitySet.of(Capability.SYS_ADMIN))
                .seccomp(dev.corral.namespaces.seccomp.SeccompProfiles.unconfined()); /* the default refuses sethostname */
        for (int i = 0; i < 3; i++) {
            /* sethostname needs CAP_SYS_ADMIN over the UTS namespace's owner */
            ContainerResult r = b.run("/bin/sh", "-c", "hostname; hostname again && hostname");
            assertEquals("pooled\nagain\n", r.stdout(), () -> r + "\n" + r.stderr());
        }
    }
}
