package dev.corral.group;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.corral.Container;
import dev.corral.ContainerException;
import dev.corral.ContainerSpec;
import dev.corral.Rootfs;
import dev.corral.Termination;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link ContainerGroup} on the real kernel: a member killed from outside comes back under
 * {@code always}; {@code on-failure:N} gives up after N restarts; members start in dependency
 * order; each log holds its member's stdout and stderr in order; a stop ends every process, even
 * one that ignores SIGTERM, and leaves no process and no log directory of the group's own.
 * Host read-only roots and no limits: nothing here needs root, though CI runs it as root.
 */
class ContainerGroupTest {
    private static final ContainerSpec HOST = Container.builder().rootfs(Rootfs.hostReadOnly()).build();
    /** Long enough for any slow machine; a wait that runs out fails the test, no duration is asserted. */
    private static final long PATIENCE_NANOS = TimeUnit.SECONDS.toNanos(60);

    private static GroupMember.Builder member(String name, String script) {
        return GroupMember.builder(name, HOST).command("/bin/sh", "-c", script);
    }

    private static ContainerGroup.Builder fast() {
        return ContainerGroup.builder().restartBackoff(Duration.ofMillis(20), Duration.ofMillis(200))
                .stopGracePeriod(Duration.ofSeconds(2));
    }

    @Test
    void aMemberKilledFromOutsideComesBackWithRestartAlways() throws Exception {
        try (ContainerGroup g = fast().member(member("svc", "echo up; exec sleep 600").restart(RestartPolicy.always()).build())
                .start()) {
            waitFor(() -> g.status("svc").state() == MemberStatus.State.RUNNING && log(g, "svc").equals("up\n"));
            long first = g.status("svc").pid().getAsLong();
            assertTrue(ProcessHandle.of(first).orElseThrow().destroyForcibly(), "SIGKILL to the container's init");
            waitFor(() -> g.status("svc").restarts() == 1 && g.status("svc").state() == MemberStatus.State.RUNNING
                    && log(g, "svc").equals("up\nup\n"));
            MemberStatus s = g.status("svc");
            assertNotEquals(first, s.pid().getAsLong(), "a new container");
            assertTrue(ProcessHandle.of(s.pid().getAsLong()).map(ProcessHandle::isAlive).orElse(false));
            assertEquals(Termination.SIGNALED, s.lastResult().orElseThrow().termination(), s.toString());
            assertTrue(g.process("svc").isPresent());
        }
    }

    @Test
    void onFailureStopsAfterNRestartsAndASuccessIsNotRestarted() throws Exception {
        try (ContainerGroup g = fast()
                .member(member("flaky", "echo try; exit 3").restart(RestartPolicy.parse("on-failure:2")).build())
                .member(member("fine", "echo done").restart(RestartPolicy.onFailure()).build())
                .start()) {
            List<MemberStatus> end = g.onEnded().get(60, TimeUnit.SECONDS);
            MemberStatus flaky = end.get(0);
            assertEquals("flaky", flaky.name());
            assertEquals(MemberStatus.State.EXITED, flaky.state(), flaky.toString());
            assertEquals(2, flaky.restarts());
            assertEquals(3, flaky.lastResult().orElseThrow().exitCode().getAsInt());
            assertEquals("try\ntry\ntry\n", log(g, "flaky"), "the first run and two restarts, in one log");
            MemberStatus fine = end.get(1);
            assertEquals(MemberStatus.State.EXITED, fine.state());
            assertEquals(0, fine.restarts());
            assertEquals("exited (0)", fine.describe());
            assertTrue(g.process("flaky").isEmpty());
        }
    }

    @Test
    void membersStartInDependencyOrderAndEachLogHoldsItsOutputInOrder(@TempDir Path logs) throws Exception {
        List<String> started = Collections.synchronizedList(new ArrayList<>());
        ContainerGroup g = fast()
                .member(member("web", "echo web-out; echo web-err >&2; echo web-out2").dependsOn("app").build())
                .member(member("app", "echo app-out; echo app-err >&2; exec sleep 600").dependsOn("db").build())
                .member(member("db", "echo db-err >&2; exec sleep 600").build())
                .logDirectory(logs)
                .listener(s -> {
                    if (s.state() == MemberStatus.State.RUNNING) {
                        started.add(s.name());
                    }
                })
                .start();
        try (g) {
            assertEquals(List.of("db", "app", "web"), started);
            assertEquals(List.of("db", "app", "web"), g.status().stream().map(MemberStatus::name).toList());
            waitFor(() -> g.status("web").state() == MemberStatus.State.EXITED);
            waitFor(() -> log(g, "app").equals("app-out\napp-err\n") && log(g, "db").equals("db-err\n"));
            assertEquals("web-out\nweb-err\nweb-out2\n", log(g, "web"), "stdout and stderr in the order written");
            assertEquals(logs.resolve("web.log"), g.logFile("web"));
        }
        assertTrue(Files.exists(logs.resolve("db.log")), "a log directory given by the caller stays");
        assertEquals(MemberStatus.State.STOPPED, g.status("db").state());
    }

    @Test
    void stopEndsEveryProcessEvenOneIgnoringSigtermAndLeavesNothing() throws Exception {
        ContainerGroup g = fast()
                .member(member("polite", "sleep 600 & wait").restart(RestartPolicy.always()).build())
                .member(member("stubborn", "trap '' TERM; echo ready; while :; do sleep 1; done").dependsOn("polite")
                        .restart(RestartPolicy.always()).build())
                .start();
        Path logDir = g.logDirectory();
        waitFor(() -> log(g, "stubborn").equals("ready\n"));
        Set<Long> pids = new TreeSet<>();
        for (MemberStatus s : g.status()) {
            ProcessHandle init = ProcessHandle.of(s.pid().getAsLong()).orElseThrow();
            pids.add(init.pid());
            init.descendants().forEach(p -> pids.add(p.pid()));
        }
        assertTrue(pids.size() >= 4, "each init and its shell and sleep: " + pids);
        g.close();
        for (long pid : pids) {
            assertFalse(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false), "process " + pid + " is left");
        }
        MemberStatus polite = g.status("polite");
        MemberStatus stubborn = g.status("stubborn");
        assertEquals(MemberStatus.State.STOPPED, polite.state());
        assertEquals(MemberStatus.State.STOPPED, stubborn.state());
        assertEquals(0, polite.restarts() + stubborn.restarts(), "a stopped member is not restarted");
        assertEquals(Termination.SIGNALED, polite.lastResult().orElseThrow().termination(), "SIGTERM ended it");
        assertEquals(15, polite.lastResult().orElseThrow().signal().getAsInt());
        assertEquals(Termination.KILLED, stubborn.lastResult().orElseThrow().termination(), "SIGKILL after the grace period");
        assertFalse(Files.exists(logDir), "the group's own log directory is removed");
        g.close(); /* idempotent */
    }

    @Test
    void aMemberThatCannotStartStopsTheOthersAndIsNamed() throws Exception {
        List<Long> pids = new ArrayList<>();
        ContainerException e = assertThrows(ContainerException.class, () -> fast()
                .member(member("first", "exec sleep 600").build())
                .member(GroupMember.builder("second", HOST).command("/no/such/program").dependsOn("first").build())
                .listener(s -> s.pid().ifPresent(pids::add))
                .start());
        assertTrue(e.getMessage().contains("'second'"), e.getMessage());
        assertEquals(1, pids.size());
        assertFalse(ProcessHandle.of(pids.get(0)).map(ProcessHandle::isAlive).orElse(false), "the first member is stopped");
    }

    /** A pod: the sidecar is in the owner's network and IPC namespaces, and follows the owner into new ones when it restarts. */
    @Test
    void aPodMemberSharesItsOwnersNetworkAndIpcAndFollowsItsRestart() throws Exception {
        String ns = "readlink /proc/self/ns/net /proc/self/ns/ipc";
        try (ContainerGroup g = fast()
                .member(member("owner", ns + "; exec sleep 600").restart(RestartPolicy.always()).build())
                .member(member("sidecar", ns + "; exec sleep 600").shareNetworkWith("owner").shareIpcWith("owner").build())
                .start()) {
            waitFor(() -> log(g, "owner").lines().count() == 2 && log(g, "sidecar").lines().count() == 2);
            assertEquals(log(g, "owner"), log(g, "sidecar"), "one network and one IPC namespace");
            String before = log(g, "owner");
            assertTrue(ProcessHandle.of(g.status("owner").pid().getAsLong()).orElseThrow().destroyForcibly());
            waitFor(() -> log(g, "owner").lines().count() == 4 && log(g, "sidecar").lines().count() == 4
                    && g.status("sidecar").state() == MemberStatus.State.RUNNING);
            String ownerNow = log(g, "owner").substring(before.length());
            assertNotEquals(before, ownerNow, "the restarted owner has new namespaces");
            assertEquals(ownerNow, log(g, "sidecar").substring(before.length()), "the sidecar joined them");
            assertEquals(1, g.status("sidecar").restarts(), "its restart policy is no: the group restarted it for the pod");
        }
    }

    @Test
    void dependenciesAreChecked() {
        IllegalArgumentException missing = assertThrows(IllegalArgumentException.class, () -> ContainerGroup.builder()
                .member(GroupMember.builder("a", HOST).dependsOn("b").build()).start());
        assertTrue(missing.getMessage().contains("'b', which is not a member"), missing.getMessage());
        IllegalArgumentException cycle = assertThrows(IllegalArgumentException.class, () -> ContainerGroup.builder()
                .member(GroupMember.builder("a", HOST).dependsOn("b").build())
                .member(GroupMember.builder("b", HOST).dependsOn("c").build())
                .member(GroupMember.builder("c", HOST).dependsOn("a").build()).start());
        assertTrue(cycle.getMessage().contains("a -> b -> c -> a"), cycle.getMessage());
        assertThrows(IllegalArgumentException.class, () -> ContainerGroup.builder()
                .member(GroupMember.builder("a", HOST).build()).member(GroupMember.builder("a", HOST).build()));
        assertThrows(IllegalArgumentException.class, () -> GroupMember.builder("bad name", HOST).build());
    }

    private static String log(ContainerGroup g, String member) {
        try {
            return Files.exists(g.logFile(member)) ? Files.readString(g.logFile(member)) : "";
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static void waitFor(BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + PATIENCE_NANOS;
        while (!condition.getAsBoolean()) {
            assertTrue(System.nanoTime() < deadline, "the condition never held");
            Thread.sleep(20);
        }
    }
}
