package dev.corral.namespaces.launcher;

import dev.corral.namespaces.LaunchStep;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.corral.namespaces.HostSecurity;
import dev.corral.namespaces.Namespace;
import dev.corral.namespaces.launcher.LaunchPlan.MountOp;
import dev.corral.namespaces.launcher.LaunchPlan.StdioOp;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The launcher on its own, driven with hand-made plans. */
class LauncherTest {

    static LaunchPlan.Builder hostView() {
        LaunchPlan.Builder b = LaunchPlan.builder()
                .cloneFlags(Namespace.PID.cloneFlag() | Namespace.MOUNT.cloneFlag() | Namespace.UTS.cloneFlag()
                        | Namespace.IPC.cloneFlag() | Namespace.NETWORK.cloneFlag())
                .stagingDir("/tmp")
                .mount(MountOp.tmpfs("/", 0, "mode=0755"));
        for (String dir : List.of("/usr", "/etc", "/bin", "/sbin", "/lib", "/lib64")) {
            Path p = Path.of(dir);
            if (Files.isSymbolicLink(p)) {
                try {
                    b.mount(MountOp.symlink(Files.readSymbolicLink(p).toString(), dir));
                } catch (IOException e) {
                    throw new RuntimeException(e);
                }
            } else if (Files.isDirectory(p)) {
                b.mount(MountOp.bind(dir, dir, MountOp.RDONLY | MountOp.RECURSIVE | MountOp.NOSUID | MountOp.NODEV));
            }
        }
        return b.mount(MountOp.proc("/proc")).loopback(true).hostname("box")
                .searchPath("/usr/bin:/bin").env(List.of("PATH=/usr/bin:/bin"));
    }

    static class Recorder implements LaunchListener {
        final CompletableFuture<Long> started = new CompletableFuture<>();
        final CompletableFuture<Object> end = new CompletableFuture<>();
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        final CompletableFuture<Void> outDone = new CompletableFuture<>();

        public void started(long pid) { started.complete(pid); }
        public void failed(LaunchFailure f) { end.complete(f); }
        public void exited(ExitReport r) { end.complete(r); }
        public void launcherLost(IOException cause) { end.completeExceptionally(cause); }
        public void streamConnected(int fd, SocketChannel ch) {
            Thread t = new Thread(() -> {
                try (ch) {
                    ch.configureBlocking(true);
                    ByteBuffer b = ByteBuffer.allocate(8192);
                    while (ch.read(b) >= 0) {
                        synchronized (out) { out.write(b.array(), 0, b.position()); }
                        b.clear();
                    }
                    outDone.complete(null);
                } catch (IOException e) {
                    outDone.completeExceptionally(e);
                }
            });
            t.start();
        }
    }

    @Test
    void runsACommandInNewNamespacesAndRelaysItsOutput() throws Exception {
        Recorder r = new Recorder();
        LaunchPlan plan = hostView().stdio(1, StdioOp.relay())
                .argv(List.of("sh", "-c", "echo hello from $(hostname); echo /proc/[0-9]*")).build();
        Launcher.shared().launch(plan, r);
        Object end = r.end.get(20, TimeUnit.SECONDS);
        r.outDone.get(20, TimeUnit.SECONDS);
        assertTrue(end instanceof ExitReport, () -> "ended with " + end);
        assertEquals(0, ((ExitReport) end).value());
        /* in its own PID namespace: the init (1) and the shell (2) */
        assertEquals("hello from box\n/proc/1 /proc/2\n", r.out.toString(StandardCharsets.UTF_8));
    }

    @Test
    void readsTheCounterDescriptorsAfterTheExitAndSaysWhichItCouldNot(@TempDir Path dir) throws Exception {
        Path written = dir.resolve("written-at-the-end");
        Files.writeString(written, "before\n");
        Path large = dir.resolve("large");
        Files.writeString(large, "x".repeat(64 * 1024));
        try (TestFds fds = new TestFds()) {
            /* the command writes the file as it ends: only a read after the reap sees it */
            LaunchPlan.Builder b = hostView().mount(MountOp.bind(dir.toString(), "/out", MountOp.RECURSIVE))
                    .argv(List.of("sh", "-c", "echo after > /out/" + written.getFileName()));
            for (Path f : List.of(written, dir, large)) {
                b.readAtReap(b.descriptor(fds.open(f, TestFds.O_RDONLY)));
            }
            List<ExitReport.CounterFile> files = exitOf(b.build()).counterFiles();
            assertEquals(List.of(new ExitReport.CounterFile(true, java.util.Optional.of("after")),
                    ExitReport.CounterFile.unread(), ExitReport.CounterFile.unread()),
                    files, "read after the exit; a directory; too large to be read whole");
        }
    }

    /** Reset descriptors are written "0" after the counters, and only if each could be read. */
    @Test
    void setsTheCountersBackOnlyOnceItHasReadThemAll(@TempDir Path dir) throws Exception {
        Path counter = Files.writeString(dir.resolve("counter"), "5\n");
        Path large = Files.writeString(dir.resolve("large"), "x".repeat(64 * 1024));
        Path reset = Files.writeString(dir.resolve("reset"), "9\n");
        Path kept = Files.writeString(dir.resolve("kept"), "9\n");
        try (TestFds fds = new TestFds()) {
            LaunchPlan.Builder b = hostView().argv(List.of("true"));
            b.readAtReap(b.descriptor(fds.open(counter, TestFds.O_RDONLY)));
            b.zeroAtReap(b.descriptor(fds.open(reset, TestFds.O_WRONLY)));
            ExitReport read = exitOf(b.build());
            assertEquals(List.of(new ExitReport.CounterFile(true, java.util.Optional.of("5"))), read.counterFiles());
            assertTrue(read.countersReset());
            assertEquals("0\n", Files.readString(reset), "written after the read");

            b = hostView().argv(List.of("true"));
            b.readAtReap(b.descriptor(fds.open(counter, TestFds.O_RDONLY)));
            b.readAtReap(b.descriptor(fds.open(large, TestFds.O_RDONLY)));
            b.zeroAtReap(b.descriptor(fds.open(kept, TestFds.O_WRONLY)));
            ExitReport unread = exitOf(b.build());
            assertEquals(false, unread.countersReset(), "a counter could not be read whole");
            assertEquals("9\n", Files.readString(kept), "not written: the JVM reads that counter itself");

            b = hostView().argv(List.of("true"));
            b.readAtReap(b.descriptor(fds.open(counter, TestFds.O_RDONLY)));
            assertEquals(false, exitOf(b.build()).countersReset(), "no reset descriptors");
        }
    }

    /**
     * The child writes "0" to its descriptors before the command, which has none of the plan's
     * descriptors; the launcher keeps none of them once the container is reaped.
     */
    @Test
    void writesZeroBeforeTheCommandWhichSeesNoneOfThePlansDescriptors(@TempDir Path dir) throws Exception {
        Path target = Files.writeString(dir.resolve("joined"), "x\n");
        Path counter = Files.writeString(dir.resolve("counter"), "1\n");
        String listFds = "cd /proc/self/fd && echo *";
        Recorder plain = new Recorder();
        Launcher.shared().launch(hostView().stdio(1, StdioOp.relay()).argv(List.of("sh", "-c", listFds)).build(), plain);
        assertTrue(plain.end.get(20, TimeUnit.SECONDS) instanceof ExitReport);
        plain.outDone.get(20, TimeUnit.SECONDS);
        try (TestFds fds = new TestFds()) {
            LaunchPlan.Builder b = hostView().stdio(1, StdioOp.relay())
                    .argv(List.of("sh", "-c", "cat /out/joined; " + listFds))
                    .mount(MountOp.bind(dir.toString(), "/out", MountOp.RECURSIVE));
            b.writeZero(b.descriptor(fds.open(target, TestFds.O_WRONLY)));
            b.readAtReap(b.descriptor(fds.open(counter, TestFds.O_RDONLY)));
            Recorder r = new Recorder();
            Launcher.shared().launch(b.build(), r);
            Object end = r.end.get(20, TimeUnit.SECONDS);
            r.outDone.get(20, TimeUnit.SECONDS);
            assertTrue(end instanceof ExitReport, () -> "ended with " + end);
            assertEquals("0\n" + plain.out.toString(StandardCharsets.UTF_8), r.out.toString(StandardCharsets.UTF_8),
                    "written before the command, which has the descriptors a plan without them gives");
        }
        /* the launcher closes its copies right after it sent the exit: look until they are gone */
        List<String> launcherFiles = launcherFilesBelow(dir);
        for (int i = 0; i < 200 && !launcherFiles.isEmpty(); i++) {
            Thread.sleep(50);
            launcherFiles = launcherFilesBelow(dir);
        }
        assertEquals(List.of(), launcherFiles, "the launcher keeps no descriptor of an ended container's plan");
    }

    private static List<String> launcherFilesBelow(Path dir) throws IOException {
        List<String> files = new java.util.ArrayList<>();
        try (var links = Files.list(Path.of("/proc/" + Launcher.shared().pid() + "/fd"))) {
            for (Path l : links.toList()) {
                try {
                    String f = Files.readSymbolicLink(l).toString();
                    if (f.startsWith(dir.toString())) {
                        files.add(f);
                    }
                } catch (IOException gone) { /* closed meanwhile */ }
            }
        }
        return files;
    }

    /** A container joins a network namespace made by {@code ip netns add}, handed over as a descriptor. */
    @Test
    void joinsANetworkNamespaceItIsHandedInsteadOfMakingOne() throws Exception {
        assumeTrue(HostSecurity.probe().uid() == 0, "ip netns add needs root");
        String name = "corral-test-" + ProcessHandle.current().pid();
        assertEquals(0, new ProcessBuilder("ip", "netns", "add", name).inheritIO().start().waitFor());
        try (TestFds fds = new TestFds()) {
            Path ns = Path.of("/run/netns", name);
            long inode = (Long) Files.getAttribute(ns, "unix:ino");
            LaunchPlan.Builder b = hostView().cloneFlags(Namespace.PID.cloneFlag() | Namespace.MOUNT.cloneFlag())
                    .stdio(1, StdioOp.relay()).argv(List.of("readlink", "/proc/self/ns/net"));
            b.setns(new LaunchPlan.SetnsOp(b.descriptor(fds.open(ns, TestFds.O_RDONLY)), Namespace.NETWORK.cloneFlag()));
            Recorder r = new Recorder();
            Launcher.shared().launch(b.build(), r);
            Object end = r.end.get(20, TimeUnit.SECONDS);
            r.outDone.get(20, TimeUnit.SECONDS);
            assertTrue(end instanceof ExitReport, () -> "ended with " + end);
            assertEquals("net:[" + inode + "]\n", r.out.toString(StandardCharsets.UTF_8));

            /* a descriptor that is no namespace: the step and the operation's index say so */
            b = hostView().argv(List.of("true"));
            b.setns(new LaunchPlan.SetnsOp(b.descriptor(fds.open(Path.of("/dev/null"), TestFds.O_RDONLY)),
                    Namespace.NETWORK.cloneFlag()));
            Recorder bad = new Recorder();
            Launcher.shared().launch(b.build(), bad);
            Object failed = bad.end.get(20, TimeUnit.SECONDS);
            assertTrue(failed instanceof LaunchFailure, () -> "ended with " + failed);
            assertEquals(LaunchStep.SETNS, ((LaunchFailure) failed).step().orElseThrow());
            assertEquals("EINVAL", ((LaunchFailure) failed).errnoName());
        } finally {
            new ProcessBuilder("ip", "netns", "delete", name).inheritIO().start().waitFor();
        }
    }

    private static ExitReport exitOf(LaunchPlan plan) throws Exception {
        Recorder r = new Recorder();
        Launcher.shared().launch(plan, r);
        Object end = r.end.get(20, TimeUnit.SECONDS);
        assertTrue(end instanceof ExitReport, () -> "ended with " + end);
        return (ExitReport) end;
    }

    @Test
    void reportsTheFailedStep() throws Exception {
        Recorder r = new Recorder();
        Launcher.shared().launch(hostView().argv(List.of("no-such-command")).build(), r);
        Object end = r.end.get(20, TimeUnit.SECONDS);
        assertTrue(end instanceof LaunchFailure, () -> "ended with " + end);
        LaunchFailure f = (LaunchFailure) end;
        assertEquals(LaunchStep.EXEC, f.step().orElseThrow());
        assertEquals("ENOENT", f.errnoName());
    }

    @Test
    void mountsAnOverlayFromHostPathsAndReportsItsOwnStep(@TempDir Path dir) throws Exception {
        Path lower1 = Files.createDirectories(dir.resolve("l1"));
        Path lower2 = Files.createDirectories(dir.resolve("l2"));
        Path upper = Files.createDirectories(dir.resolve("upper"));
        Path work = Files.createDirectories(dir.resolve("work"));
        Files.writeString(lower1.resolve("a"), "top\n");
        Files.writeString(lower2.resolve("a"), "bottom\n");
        Files.writeString(lower2.resolve("b"), "only below\n");
        Recorder r = new Recorder();
        try (OverlayTrees trees = new OverlayTrees()) {
            LaunchPlan.Builder b = hostView().stdio(1, StdioOp.relay())
                    .argv(List.of("sh", "-c", "cat /ov/a /ov/b; echo new > /ov/c; rm /ov/b"));
            trees.add(b, MountOp.overlay(List.of(lower1.toString(), lower2.toString()), upper.toString(),
                    work.toString(), "/ov", 0));
            Launcher.shared().launch(b.build(), r);
        }
        Object end = r.end.get(20, TimeUnit.SECONDS);
        r.outDone.get(20, TimeUnit.SECONDS);
        assertTrue(end instanceof ExitReport, () -> "ended with " + end);
        assertEquals("top\nonly below\n", r.out.toString(StandardCharsets.UTF_8));
        assertEquals("new\n", Files.readString(upper.resolve("c")), "writes land in the upper directory");
        assertTrue(Files.exists(lower2.resolve("b")), "the lower directory is unchanged");

        try (OverlayTrees trees = new OverlayTrees()) {
            org.junit.jupiter.api.Assertions.assertThrows(OverlayTrees.CloneException.class, () -> trees.add(hostView(),
                    MountOp.overlay(List.of(dir.resolve("missing").toString()), upper.toString(), work.toString(), "/ov", 0)),
                    "a missing layer is found in the JVM, as it clones the layers");
        }
        Recorder bad = new Recorder();
        int overlayAt;
        try (OverlayTrees trees = new OverlayTrees()) {
            LaunchPlan.Builder b = hostView().argv(List.of("true"));
            overlayAt = b.mountCount();
            trees.add(b, MountOp.overlay(List.of(lower1.toString()), upper.toString(),
                    dir.resolve("no-such-work").toString(), "/ov", 0));
            Launcher.shared().launch(b.build(), bad);
        }
        Object failed = bad.end.get(20, TimeUnit.SECONDS);
        assertTrue(failed instanceof LaunchFailure, () -> "ended with " + failed);
        assertEquals(LaunchStep.MOUNT_FS, ((LaunchFailure) failed).step().orElseThrow());
        assertEquals(overlayAt, ((LaunchFailure) failed).index(), "the overlay's place among the mounts");
    }

    /**
     * A namespace set the launcher's pool cannot make is reported to the JVM, once, with the
     * step and errno that failed, and not asked for again; the container runs without one (and
     * here fails on the same map by itself).
     */
    @Test
    void aNamespaceSetThePoolCannotMakeIsReportedOnceAndNotAskedForAgain() throws Exception {
        assumeTrue(HostSecurity.probe().uid() == 0, "the pool serves a launcher that is root");
        Launcher launcher = Launcher.shared();
        int before = launcher.namespacePoolFailures().size();
        LaunchPlan plan = LaunchPlan.builder()
                .cloneFlags(Namespace.USER.cloneFlag() | Namespace.PID.cloneFlag() | Namespace.NETWORK.cloneFlag()
                        | Namespace.IPC.cloneFlag() | Namespace.UTS.cloneFlag())
                .stagingDir("/tmp")
                .uidMap("0 1999000000 1\n0 1999000000 1\n") /* one range twice: the kernel refuses it */
                .gidMap("0 1999000000 1\n")
                .argv(List.of("/bin/true"))
                .build();
        for (int i = 0; i < 3; i++) {
            Recorder r = new Recorder();
            launcher.launch(plan, r);
            Object end = r.end.get(20, TimeUnit.SECONDS);
            assertTrue(end instanceof LaunchFailure f && f.step().orElseThrow() == LaunchStep.UID_MAP, String.valueOf(end));
        }
        List<LaunchFailure> failures = launcher.namespacePoolFailures();
        assertEquals(before + 1, failures.size(), failures.toString());
        LaunchFailure f = failures.get(before);
        assertEquals(LaunchStep.UID_MAP, f.step().orElseThrow(), f.toString());
        assertEquals(22, f.errno(), f.toString()); // EINVAL
    }
}
