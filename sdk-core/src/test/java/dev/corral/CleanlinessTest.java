package dev.corral;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.corral.namespaces.launcher.Launcher;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** Nothing is left behind, proved from outside: processes, mounts, temp files, launchers. */
class CleanlinessTest {

    private static Set<String> hostMounts() throws IOException {
        return Files.readAllLines(Path.of("/proc/self/mountinfo")).stream()
                .map(l -> l.split(" ")[4]).collect(Collectors.toCollection(TreeSet::new));
    }

    private static Set<String> corralTempEntries() throws IOException {
        Set<String> found = new TreeSet<>();
        for (String base : List.of(System.getProperty("java.io.tmpdir"), "/tmp")) {
            try (Stream<Path> s = Files.list(Path.of(base))) {
                s.map(p -> p.getFileName().toString()).filter(n -> n.startsWith("corral")).forEach(found::add);
            }
        }
        return found;
    }

    /** The launcher's descendants, but for its namespace pool process, which is not a container's. */
    private static List<ProcessHandle> launcherChildren() {
        return ProcessHandle.of(Launcher.shared().pid()).orElseThrow().descendants()
                .filter(h -> !comm(h).equals("corral-nspool")).toList();
    }

    private static String comm(ProcessHandle h) {
        try {
            return Files.readString(Path.of("/proc/" + h.pid() + "/comm")).trim();
        } catch (IOException e) {
            return ""; /* gone */
        }
    }

    @Test
    void afterRunReturnsNothingOfTheContainerRemains() throws Exception {
        Container.builder().run("/bin/true"); /* the launcher is up */
        Set<String> mountsBefore = hostMounts();
        Set<String> tempBefore = corralTempEntries();
        ContainerResult r = Container.builder().mount(Mount.tmpfs("/scratch"))
                .run("/bin/sh", "-c", "sleep 100 & sleep 100 & echo started");
        assertEquals("started\n", r.stdout());
        assertEquals(List.of(), launcherChildren(), "no process of the container remains");
        assertEquals(mountsBefore, hostMounts(), "no mount leaked into the host");
        assertEquals(tempBefore, corralTempEntries(), "no temp entry left");
        assertEquals(Set.of(), tempBefore.stream().filter(n -> n.matches("corral-\\d+")).collect(Collectors.toSet()),
                "the launcher's socket directory (corral-NNN) is gone once the launcher started");
    }

    @Test
    void closingAStartedContainerKillsItsChildren() throws Exception {
        ContainerProcess p = Container.builder().start("/bin/sh", "-c", "sleep 100 & sleep 100 & wait");
        ProcessHandle init = ProcessHandle.of(p.pid()).orElseThrow();
        waitUntil(() -> init.descendants().count() == 3, "the shell and its two sleeps run");
        List<ProcessHandle> all = Stream.concat(Stream.of(init), init.descendants()).toList();
        p.close();
        p.close(); /* idempotent */
        assertEquals(Termination.KILLED, p.waitFor().termination());
        for (ProcessHandle h : all) {
            assertTrue(!h.isAlive(), "process " + h.pid() + " survived close()");
        }
        assertEquals(List.of(), launcherChildren());
    }

    @Test
    void oneLauncherServesManyContainers() {
        long launcher = Launcher.shared().pid();
        for (int i = 0; i < 20; i++) {
            Container.builder().stdout(Output.discard()).run("/bin/true");
        }
        assertEquals(launcher, Launcher.shared().pid());
        assertEquals(1, ProcessHandle.current().children()
                .filter(h -> h.pid() == launcher).count(), "the launcher is this JVM's child");
    }

    @Test
    void aKilledJvmLeavesNoProcessBehind() throws Exception {
        Process jvm = ChildJvm.start(List.of(), "hold");
        long launcherPid;
        long containerPid;
        try {
            String line = new BufferedReader(new InputStreamReader(jvm.getInputStream())).readLine();
            if (line == null) {
                fail("the child JVM printed nothing");
            }
            String[] pids = line.trim().split(" ");
            launcherPid = Long.parseLong(pids[0]);
            containerPid = Long.parseLong(pids[1]);
            ProcessHandle container = ProcessHandle.of(containerPid).orElseThrow();
            waitUntil(() -> container.descendants().count() == 3, "the container's processes run");
            List<ProcessHandle> all = Stream.concat(Stream.of(container), container.descendants()).toList();
            jvm.destroyForcibly(); /* SIGKILL */
            jvm.waitFor();
            waitUntil(() -> ProcessHandle.of(launcherPid).isEmpty(), "the orphaned launcher exits");
            for (ProcessHandle h : all) {
                waitUntil(() -> !h.isAlive(), "container process " + h.pid() + " dies");
            }
        } finally {
            jvm.destroyForcibly();
        }
    }

    @Test
    void aWarmUpRacingTheFirstRunSharesOneLauncherThatEndsWithTheJvm() throws Exception {
        Process jvm = ChildJvm.start(List.of(), "warm-up");
        String out = new String(jvm.getInputStream().readAllBytes()).trim();
        assertEquals(0, jvm.waitFor(), out);
        assertTrue(out.matches("ran EXITED launcher \\d+"), out);
        long launcher = Long.parseLong(out.substring(out.lastIndexOf(' ') + 1));
        /* one launcher per JVM (the run waited for the one the warm-up was starting), gone with its JVM */
        waitUntil(() -> ProcessHandle.of(launcher).map(h -> !h.isAlive()).orElse(true), "launcher " + launcher + " exits with its JVM");
    }

    @Test
    void aJvmWithoutThePrivilegeToCreateNamespacesGetsAnExplanation() throws Exception {
        /* without CAP_SYS_ADMIN a user namespace still works: that is the point of the default */
        Process ok = ChildJvm.start(List.of("setpriv", "--bounding-set=-sys_admin", "--inh-caps=-sys_admin"), "try");
        String fine = new String(ok.getInputStream().readAllBytes()).trim();
        ok.waitFor();
        assertTrue(fine.startsWith("ran EXITED"), fine);
        /* where user namespaces are switched off, the probe names the sysctl */
        Process jvm = ChildJvm.start(List.of("unshare", "-U", "-r", "sh", "-c",
                "echo 0 > /proc/sys/user/max_user_namespaces && exec \"$0\" \"$@\""), "try");
        String out = new String(jvm.getInputStream().readAllBytes()).trim();
        jvm.waitFor();
        assertTrue(out.startsWith("NamespacePermissionException create the container's namespaces: ENOSPC"), out);
        assertTrue(out.contains("max_user_namespaces"), out);
    }

    /**
     * The container's first process has the parent-death signal set, and it must survive the
     * change of credentials in its user namespace (which clears it): a launcher killed outright
     * takes its containers with it, though it can kill none of them itself.
     */
    @Test
    void aKilledLauncherTakesItsContainersWithIt() throws Exception {
        ContainerProcess p = Container.builder().stdout(Output.discard()).start("/bin/sh", "-c", "sleep 60 & sleep 60");
        long first = p.pid();
        ProcessHandle init = ProcessHandle.of(first).orElseThrow();
        waitUntil(() -> init.descendants().count() == 3, "the container's processes run");
        List<ProcessHandle> all = Stream.concat(Stream.of(init), init.descendants()).toList();
        ProcessHandle launcher = ProcessHandle.of(Launcher.shared().pid()).orElseThrow();
        launcher.destroyForcibly(); /* SIGKILL */
        waitUntil(() -> all.stream().noneMatch(ProcessHandle::isAlive), "the container's processes are gone");
        ContainerException e = org.junit.jupiter.api.Assertions.assertThrows(ContainerException.class, p::waitFor);
        assertTrue(e.getMessage().contains("launcher died"), e.getMessage());
        p.close();
        assertEquals(Termination.EXITED, Container.builder().run("/bin/true").termination(), "a new launcher serves");
    }

    static void waitUntil(java.util.function.BooleanSupplier condition, String what) throws InterruptedException {
        for (int i = 0; i < 300; i++) { /* a generous deadline, not a measured duration */
            if (condition.getAsBoolean()) {
                return;
            }
            Thread.sleep(50);
        }
        fail("timed out waiting until " + what);
    }
}
