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

    static final class Recorder implements LaunchListener {
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
    void readsTheCounterFilesAfterTheExitAndSaysWhichItCouldNot(@TempDir Path dir) throws Exception {
        Path written = dir.resolve("written-at-the-end");
        Files.writeString(written, "before\n");
        Path missing = dir.resolve("missing");
        Path large = dir.resolve("large");
        Files.writeString(large, "x".repeat(64 * 1024));
        Recorder r = new Recorder();
        /* the command writes the file as it ends: only a read after the reap sees it */
        LaunchPlan plan = hostView().mount(MountOp.bind(dir.toString(), "/out", MountOp.RECURSIVE))
                .argv(List.of("sh", "-c", "echo after > /out/" + written.getFileName()))
                .counterFile(written.toString()).counterFile(missing.toString()).counterFile(dir.toString())
                .counterFile(large.toString()).build();
        Launcher.shared().launch(plan, r);
        Object end = r.end.get(20, TimeUnit.SECONDS);
        assertTrue(end instanceof ExitReport, () -> "ended with " + end);
        List<ExitReport.CounterFile> files = ((ExitReport) end).counterFiles();
        assertEquals(List.of(new ExitReport.CounterFile(true, java.util.Optional.of("after")),
                ExitReport.CounterFile.absent(), ExitReport.CounterFile.unread(), ExitReport.CounterFile.unread()),
                files, "read after the exit; missing; a directory; too large to be read whole");
    }

    /** Reset files are written "0" after the counter files, and only if each could be read. */
    @Test
    void setsTheCountersBackOnlyOnceItHasReadThemAll(@TempDir Path dir) throws Exception {
        Path counter = Files.writeString(dir.resolve("counter"), "5\n");
        Path large = Files.writeString(dir.resolve("large"), "x".repeat(64 * 1024));
        Path reset = Files.writeString(dir.resolve("reset"), "9\n");
        Path kept = Files.writeString(dir.resolve("kept"), "9\n");

        ExitReport read = exitOf(hostView().argv(List.of("true")).counterFile(counter.toString())
                .counterResetFile(reset.toString()).build());
        assertEquals(List.of(new ExitReport.CounterFile(true, java.util.Optional.of("5"))), read.counterFiles());
        assertTrue(read.countersReset());
        assertEquals("0\n", Files.readString(reset), "written after the read");

        ExitReport unread = exitOf(hostView().argv(List.of("true")).counterFile(counter.toString())
                .counterFile(large.toString()).counterResetFile(kept.toString()).build());
        assertEquals(false, unread.countersReset(), "a counter file could not be read whole");
        assertEquals("9\n", Files.readString(kept), "not written: the JVM reads that counter itself");

        assertEquals(false, exitOf(hostView().argv(List.of("true")).counterFile(counter.toString()).build())
                .countersReset(), "no reset files");
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
        LaunchPlan plan = hostView().mount(MountOp.overlay(List.of(lower1.toString(), lower2.toString()),
                        upper.toString(), work.toString(), "/ov", 0))
                .stdio(1, StdioOp.relay())
                .argv(List.of("sh", "-c", "cat /ov/a /ov/b; echo new > /ov/c; rm /ov/b")).build();
        Launcher.shared().launch(plan, r);
        Object end = r.end.get(20, TimeUnit.SECONDS);
        r.outDone.get(20, TimeUnit.SECONDS);
        assertTrue(end instanceof ExitReport, () -> "ended with " + end);
        assertEquals("top\nonly below\n", r.out.toString(StandardCharsets.UTF_8));
        assertEquals("new\n", Files.readString(upper.resolve("c")), "writes land in the upper directory");
        assertTrue(Files.exists(lower2.resolve("b")), "the lower directory is unchanged");

        Recorder bad = new Recorder();
        Launcher.shared().launch(hostView().mount(MountOp.overlay(List.of(dir.resolve("missing").toString()),
                upper.toString(), work.toString(), "/ov", 0)).argv(List.of("true")).build(), bad);
        Object failed = bad.end.get(20, TimeUnit.SECONDS);
        assertTrue(failed instanceof LaunchFailure, () -> "ended with " + failed);
        assertEquals(LaunchStep.MOUNT_OVERLAY, ((LaunchFailure) failed).step().orElseThrow());
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
