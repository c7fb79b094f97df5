package dev.corral;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.corral.namespaces.Capability;
import dev.corral.namespaces.CapabilitySet;
import dev.corral.namespaces.Namespace;
import dev.corral.namespaces.NamespaceSet;
import dev.corral.namespaces.Rlimit;
import dev.corral.namespaces.UserNamespace;
import dev.corral.namespaces.seccomp.OciSeccompProfiles;
import dev.corral.namespaces.seccomp.SeccompProfile;
import dev.corral.namespaces.seccomp.SeccompProfiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The security settings, read back from inside real containers: every shipped seccomp profile
 * runs for real (the strict judge through its execveat-on-fd-1023 ticket), podman's JSON profile
 * runs a shell session, capabilities and rlimits are what was asked, and user namespaces map
 * what they say.
 */
class SecurityPolicyTest {
    private static Path dir;

    @BeforeAll
    static void compile() throws Exception {
        dir = Files.createTempDirectory("corral-judge");
        Process gcc = new ProcessBuilder("gcc", "-O1", "-o", dir.resolve("solution").toString(),
                Path.of("src/test/c/solution.c").toAbsolutePath().toString()).redirectErrorStream(true).start();
        String out = new String(gcc.getInputStream().readAllBytes());
        assertEquals(0, gcc.waitFor(), out);
        TestRootfs.openUp(dir, "rwxr-xr-x");
    }

    @AfterAll
    static void clean() throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    private static ContainerSpec.Builder judge() {
        return Container.builder().mount(Mount.bind(dir, "/judge")).seccomp(SeccompProfiles.strictJudge())
                .stdin(Input.string("2 40\n"));
    }

    private static String status(ContainerSpec.Builder b) {
        ContainerResult r = b.run("/bin/sh", "-c", "grep -E '^(Cap|NoNewPrivs|Seccomp:|Uid|Gid)' /proc/self/status");
        assertEquals(Termination.EXITED, r.termination(), r.stderr());
        return r.stdout();
    }

    @Test
    void theStrictJudgeRunsASolutionThroughItsExecTicket() {
        ContainerResult r = judge().run("/judge/solution");
        assertEquals(Termination.EXITED, r.termination(), r + r.stderr());
        assertEquals("42\n", r.stdout());
        /* by PATH search too: the launcher resolves the program before the filter */
        ContainerResult p = judge().env("PATH", "/usr/bin:/judge").run("solution");
        assertEquals("42\n", p.stdout());
        /* the ticket is gone after the exec, and no new fd 1023 can be made */
        assertEquals("42\n-1\n", judge().run("/judge/solution", "fd1023").stdout());
    }

    @Test
    void theStrictJudgeKillsForbiddenCallsAndTheResultSaysSo() {
        for (String forbidden : new String[] {"fork", "exec", "socket"}) {
            ContainerResult r = judge().run("/judge/solution", forbidden);
            assertEquals(Termination.SECCOMP_KILLED, r.termination(), forbidden + ": " + r);
            assertEquals(31, r.signal().getAsInt());
            assertEquals("42\n", r.stdout(), "what it printed before is kept");
        }
        ContainerResult missing = null;
        CommandNotFoundException e = assertThrows(CommandNotFoundException.class, () -> judge().run("/judge/absent"));
        assertEquals(java.util.Optional.of("ENOENT"), e.errnoName());
        assertTrue(missing == null);
    }

    @Test
    void theDefaultProfileRunsAShellAndTheUnconfinedOneInstallsNothing() {
        assertTrue(status(Container.builder()).contains("Seccomp:\t2"));
        assertTrue(status(Container.builder().seccomp(SeccompProfiles.unconfined())).contains("Seccomp:\t0"));
        ContainerResult r = Container.builder().run("/bin/bash", "-c", "kill -SYS $$");
        assertEquals(Termination.SECCOMP_KILLED, r.termination(), "documented: SIGSYS under a profile");
        ContainerResult u = Container.builder().seccomp(SeccompProfiles.unconfined()).run("/bin/bash", "-c", "kill -SYS $$");
        assertEquals(Termination.SIGNALED, u.termination());
    }

    @Test
    void podmansJsonProfileRunsAShellSession() throws IOException {
        Path json = Files.exists(Path.of("/usr/share/containers/seccomp.json")) ? Path.of("/usr/share/containers/seccomp.json")
                : Path.of("../sdk-namespaces/src/test/resources/dev/corral/namespaces/seccomp/podman-seccomp.json");
        SeccompProfile podman = OciSeccompProfiles.reader().read(json).build();
        ContainerResult r = Container.builder().seccomp(podman).stdin(Input.string("echo hi; ls / | wc -l; "
                + "cat /etc/hostname > /dev/null; x=$(seq 3 | sort -r | tr '\\n' ' '); echo \"$x\"; exit 7\n"))
                .run("/bin/bash", "-s");
        assertEquals(Termination.EXITED, r.termination(), r + r.stderr());
        assertEquals(7, r.exitCode().getAsInt());
        assertTrue(r.stdout().startsWith("hi\n") && r.stdout().endsWith("3 2 1 \n"), r.stdout());
        /* and it blocks what it says: no mount, no new user namespace */
        ContainerResult m = Container.builder().seccomp(podman).run("/bin/sh", "-c", "unshare -Ur true");
        assertTrue(m.stderr().contains("Operation not permitted"), m.stderr());
    }

    @Test
    void capabilitiesAreExactlyTheOnesGiven() {
        String none = status(Container.builder());
        assertTrue(none.contains("CapEff:\t0000000000000000") && none.contains("CapAmb:\t0000000000000000"), none);
        CapabilitySet one = CapabilitySet.of(Capability.NET_BIND_SERVICE);
        String s = status(Container.builder().capabilities(one));
        assertTrue(s.contains("CapEff:\t0000000000000400") && s.contains("CapBnd:\t0000000000000400"), s);
        /* a non-root user keeps them through exec: ambient */
        String u = status(Container.builder().capabilities(one).user(1000, 1000));
        assertTrue(u.contains("CapEff:\t0000000000000400") && u.contains("CapAmb:\t0000000000000400"), u);
        /* a capability in the container's user namespace works there: bind port 80 */
        ContainerResult bind = Container.builder().capabilities(one).user(1000, 1000)
                .run("/bin/sh", "-c", "busybox nc -l -p 80 -w 1 127.0.0.1 >/dev/null 2>&1 & sleep 0.2; "
                        + "grep -c ':0050 ' /proc/net/tcp");
        assertEquals("1\n", bind.stdout(), bind.stderr());
    }

    @Test
    void noNewPrivsIsOnUnlessTurnedOffExplicitly() {
        assertTrue(status(Container.builder()).contains("NoNewPrivs:\t1"));
        assertTrue(status(Container.builder().allowNewPrivileges().seccomp(SeccompProfiles.unconfined()))
                .contains("NoNewPrivs:\t0"));
    }

    @Test
    void rlimitsHaveSaneDefaultsAndEveryOneCanBeSet() {
        ContainerResult d = Container.builder().run("/bin/sh", "-c", "ulimit -c; ulimit -Sn; ulimit -Hn");
        assertEquals("0\n1024\n4096\n", d.stdout());
        ContainerSpec.Builder b = Container.builder();
        /* every resource, each lowered (raising a hard limit needs CAP_SYS_RESOURCE on the host) */
        long[] values = {100, 1L << 30, 1L << 30, 4L << 20, 0, 1L << 30, 1000, 64, 32768, 1L << 30, 100, 100, 8192, 0, 0,
            1000000};
        for (Rlimit.Resource r : Rlimit.Resource.values()) {
            b.rlimit(Rlimit.of(r, values[r.number()]));
        }
        ContainerResult all = b.run("/bin/sh", "-c", "ulimit -n; ulimit -v; ulimit -t; ulimit -l");
        assertEquals(Termination.EXITED, all.termination(), all.stderr());
        assertEquals("64\n1048576\n100\n32\n", all.stdout());
        assertThrows(ContainerStartException.class, () -> Container.builder()
                .rlimit(Rlimit.of(Rlimit.Resource.NOFILE, 1L << 40)).run("/bin/true"), "above the host's own hard limit");
        assertEquals("RLIMIT_NOFILE", "RLIMIT_" + Rlimit.parse("nofile=10:20").resource());
    }

    @Test
    void userNamespacesMapWhatTheySay() {
        ContainerResult r = Container.builder().run("/bin/sh", "-c", "cat /proc/self/uid_map; id -u");
        String[] map = r.stdout().trim().split("\\s+");
        assertEquals("0", map[0], r.stdout());
        if (dev.corral.namespaces.HostSecurity.probe().uid() == 0 && !dev.corral.namespaces.HostSecurity.probe().nested()) {
            assertTrue(Long.parseLong(map[1]) >= 100000, "container root is an unprivileged host ID: " + r.stdout());
        }
        ContainerResult self = Container.builder().userNamespace(UserNamespace.callerAsItself())
                .run("/bin/sh", "-c", "id -u");
        assertEquals(dev.corral.namespaces.HostSecurity.probe().uid() + "\n", self.stdout());
        assertThrows(InvalidSpecException.class, () -> Container.builder().namespaces(NamespaceSet.defaults()
                .without(Namespace.USER)).build());
        ContainerResult t = Container.builder().namespaces(NamespaceSet.defaults().with(Namespace.TIME))
                .run("/bin/sh", "-c", "readlink /proc/self/ns/time");
        assertEquals(Termination.EXITED, t.termination(), t.stderr());
    }

    @Test
    void privilegedRootIsHostRootAndAnExplicitOptIn() {
        if (dev.corral.namespaces.HostSecurity.probe().uid() != 0 || dev.corral.namespaces.HostSecurity.probe().nested()) {
            return; /* only root can opt in */
        }
        ContainerResult r = Container.builder().privilegedRoot().run("/bin/sh", "-c", "cat /proc/self/uid_map; head -c0 /etc/shadow && echo shadow");
        assertTrue(r.stdout().contains("4294967295") && r.stdout().contains("shadow"), r.stdout() + r.stderr());
    }
}
