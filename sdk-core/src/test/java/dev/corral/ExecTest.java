package dev.corral;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.corral.unit.DataSize;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * {@link ContainerProcess#exec}: a second command in a running container is in its namespaces,
 * its cgroup and under its security policy, proved from inside; it can be killed alone; an ended
 * container refuses it; nothing of it is left. Root and rootless (.ci/rootless-tests.sh).
 */
class ExecTest {
    /** Root has cgroups for the limits; rootless on a cgroup v1 host (.ci/rootless-tests.sh) there are none. */
    private static final boolean ROOT = "root".equals(System.getProperty("user.name"));
    /* written by the container's own shell, then compared with what the exec'd command sees */
    private static final String NS = "for n in user mnt pid ipc uts net cgroup time; do readlink /proc/self/ns/$n; done";
    private static final String POLICY = "grep -E '^(Uid|Gid|Groups|CapInh|CapPrm|CapEff|CapBnd|CapAmb|NoNewPrivs|Seccomp):'"
            + " /proc/self/status; cat /proc/self/limits";

    /** A container that records its namespaces and policy in /scratch, says "ready" and sleeps. */
    private static ContainerProcess sleeper(ContainerSpec.Builder b) throws Exception {
        ContainerProcess c = b.mount(Mount.tmpfs("/scratch")).stdout(Output.pipe())
                .start("/bin/sh", "-c", "(" + NS + ") > /scratch/ns; (" + POLICY + ") > /scratch/policy; echo ready; exec sleep 60");
        BufferedReader r = new BufferedReader(new InputStreamReader(c.stdout(), StandardCharsets.UTF_8));
        assertEquals("ready", r.readLine());
        return c;
    }

    private static ContainerResult exec(ContainerProcess c, String script) throws Exception {
        ContainerResult r = c.exec("/bin/sh", "-c", script).waitFor();
        assertEquals(Termination.EXITED, r.termination(), () -> r + "\n" + r.stderr());
        assertEquals(0, r.exitCode().orElse(-1), () -> r + "\n" + r.stderr());
        return r;
    }

    @Test
    void theExecSeesTheContainersNamespacesFilesHostnameAndProcesses() throws Exception {
        ContainerSpec.Builder b = Container.builder().hostname("box-1");
        try (ContainerProcess c = sleeper(ROOT ? b.memory(DataSize.ofMebibytes(256)) : b)) {
            ContainerResult r = exec(c, NS + "; echo END; cat /scratch/ns; echo END; hostname; echo END;"
                    + " for p in /proc/[0-9]*; do cat $p/comm; done; echo END; tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d ' ';"
                    + " echo END; cat /proc/self/cgroup");
            String[] parts = r.stdout().split("END\n", -1);
            assertEquals(parts[1], parts[0], "the exec's namespaces (left) are the container's (right)");
            assertEquals("box-1\n", parts[2]);
            List<String> comms = List.of(parts[3].split("\n"));
            assertEquals("corral-init", comms.get(0), parts[3]);
            assertTrue(comms.contains("sleep") && comms.contains("sh"), "the container's sleep and the exec'd shell: " + comms);
            assertFalse(comms.contains("corral-init") && comms.indexOf("corral-init") != comms.lastIndexOf("corral-init"),
                    "the exec's starter stays outside the container's PID namespace: " + comms);
            assertEquals("lo\n", parts[4], "the container's network: loopback only");
            assertTrue(parts[5].trim().endsWith(":/"), "the cgroup namespace is rooted at the container's cgroup: " + parts[5]);
        }
    }

    @Test
    void theExecRunsUnderTheContainersUserCapabilitiesSeccompAndRlimits() throws Exception {
        for (ContainerSpec.Builder b : List.of(Container.builder(), Container.builder().user(1000, 1000),
                Container.builder().capabilities(dev.corral.namespaces.CapabilitySet.of(
                        dev.corral.namespaces.Capability.CHOWN, dev.corral.namespaces.Capability.NET_BIND_SERVICE)))) {
            try (ContainerProcess c = sleeper(b)) {
                ContainerResult r = exec(c, POLICY + "; echo END; cat /scratch/policy");
                String[] parts = r.stdout().split("END\n", -1);
                assertEquals(parts[1], parts[0], "the exec's policy (left) is the container's (right)");
                assertTrue(parts[0].contains("NoNewPrivs:\t1") && parts[0].contains("Seccomp:\t2"), parts[0]);
            }
        }
    }

    @Test
    @Tag("cgroup-v2")
    void theExecIsInTheContainersCgroupAndItsMemoryCounts() throws Exception {
        Assumptions.assumeTrue(ROOT, "a memory limit needs a cgroup: rootless on a cgroup v1 host (.ci/rootless-tests.sh) there is none");
        try (ContainerProcess c = sleeper(Container.builder().memory(DataSize.ofMebibytes(256)))) {
            long before = c.stats().currentMemory().orElseThrow().bytes();
            /* a tmpfs file's pages are charged to the cgroup of the process that wrote them */
            exec(c, "head -c 64m /dev/zero > /scratch/big");
            long after = c.stats().currentMemory().orElseThrow().bytes();
            assertTrue(after - before >= 60L << 20, "the container's memory grew by the exec's 64 MiB: " + before + " -> " + after);
            ContainerResult oom = c.exec("/bin/sh", "-c", "head -c 300m /dev/zero > /scratch/bigger").waitFor();
            assertTrue(oom.exitCode().orElse(-1) != 0 || oom.termination() != Termination.EXITED,
                    "300 MiB more does not fit the container's 256 MiB: " + oom);
        }
    }

    @Test
    void anExecTakesItsOptionsAndAKillOrTimeoutEndsOnlyIt() throws Exception {
        try (ContainerProcess c = sleeper(Container.builder().env("A", "container").workingDirectory("/"))) {
            ContainerResult r = c.exec(ExecSpec.builder().env("B", "exec").workingDirectory("/scratch").build(),
                    List.of("/bin/sh", "-c", "echo $A $B $PWD; echo oops >&2; exit 3")).waitFor();
            assertEquals("container exec /scratch\n", r.stdout());
            assertEquals("oops\n", r.stderr());
            assertEquals(3, r.exitCode().orElse(-1));

            ContainerResult t = c.exec(ExecSpec.builder().timeout(Duration.ofMillis(300)).build(),
                    List.of("/bin/sleep", "61")).waitFor();
            assertEquals(Termination.TIMED_OUT, t.termination(), t.toString());
            ContainerProcess k = c.exec("/bin/sleep", "62");
            k.kill();
            assertEquals(Termination.KILLED, k.waitFor().termination());

            ContainerResult ps = exec(c, "cat /proc/[0-9]*/cmdline | tr '\\0' ' '");
            assertFalse(ps.stdout().contains("sleep 61") || ps.stdout().contains("sleep 62"),
                    "the killed commands are gone from the container: " + ps.stdout());
            assertTrue(ps.stdout().contains("sleep 60"), "the container runs on: " + ps.stdout());
            assertTrue(c.isAlive());
        }
    }

    @Test
    void anExecIntoAnEndedContainerIsAClearError() throws Exception {
        ContainerProcess c = Container.builder().start("/bin/true");
        c.waitFor();
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> c.exec("/bin/true"));
        assertTrue(e.getMessage().contains("has ended"), e.getMessage());
        c.close();
    }

    @Test
    void nothingOfAnExecIsLeftAfterTheContainer() throws Exception {
        ContainerProcess c = sleeper(ROOT ? Container.builder().pids(32) : Container.builder());
        ContainerProcess e = c.exec("/bin/sleep", "63");
        c.close();
        ContainerResult r = e.waitFor(Duration.ofSeconds(20)).orElseThrow();
        assertEquals(Termination.SIGNALED, r.termination(), "the exec'd command died with its container: " + r);
        assertTrue(ProcessHandle.allProcesses().noneMatch(p -> p.info().commandLine().orElse("").contains("sleep 63")),
                "no exec'd process is left on the host");
    }
}
