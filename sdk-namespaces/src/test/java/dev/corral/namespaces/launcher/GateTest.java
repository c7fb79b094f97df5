package dev.corral.namespaces.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.corral.namespaces.LaunchStep;
import dev.corral.namespaces.launcher.LaunchPlan.StdioOp;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * A plan's gate ({@link LaunchPlan#gate()}, a {@link GatePipe}): the container's first process
 * is reported ({@code gated}) and then waits, blocked in its write to the full pipe, before its
 * command; the command runs only once the pipe is read. A gate closed instead fails the
 * container at {@link LaunchStep#FD_GATE} with {@code EPIPE}. No descriptor of a gate is left
 * in this process either way.
 */
class GateTest {

    static final class GateRecorder extends LauncherTest.Recorder {
        final CompletableFuture<Long> gated = new CompletableFuture<>();

        @Override
        public void gated(long pid) {
            gated.complete(pid);
        }
    }

    /** @return how many of this process's descriptors are pipes */
    static long pipes() throws IOException {
        try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
            return fds.filter(fd -> {
                try {
                    return Files.readSymbolicLink(fd).toString().startsWith("pipe:");
                } catch (IOException e) {
                    return false; /* the listing's own descriptor, closed meanwhile */
                }
            }).count();
        }
    }

    /** Waits (bounded) until pid sleeps in a pipe write: the gate. @return whether it did */
    static boolean blockedInPipeWrite(long pid) throws Exception {
        for (int i = 0; i < 2000; i++) {
            String wchan = Files.readString(Path.of("/proc/" + pid + "/wchan")).strip();
            if (wchan.endsWith("pipe_write")) { /* anon_pipe_write since 6.x */
                return true;
            }
            Thread.sleep(10);
        }
        return false;
    }

    @Test
    void theCommandRunsOnlyOnceTheGateIsReadAndTheFirstProcessWaitsThere() throws Exception {
        Launcher.shared(); /* its descriptors are not the gate's */
        long before = pipes();
        GateRecorder r = new GateRecorder();
        try (GatePipe gate = GatePipe.create()) {
            LaunchPlan.Builder b = LauncherTest.hostView().stdio(1, StdioOp.relay())
                    .argv(List.of("sh", "-c", "echo the command ran"));
            b.gate(b.descriptor(gate.writeEnd()));
            Launcher.shared().launch(b.build(), r);
            gate.closeWriteEnd();
            long pid = r.gated.get(20, TimeUnit.SECONDS);
            assertTrue(blockedInPipeWrite(pid), "the first process waits in its write to the gate");
            assertFalse(r.started.isDone(), "the command does not run before the gate is opened");
            synchronized (r.out) {
                assertEquals(0, r.out.size(), "no output before the gate is opened");
            }
            assertTrue(gate.open(Duration.ofSeconds(20)), "the first process passed the gate");
            Object end = r.end.get(20, TimeUnit.SECONDS);
            r.outDone.get(20, TimeUnit.SECONDS);
            assertTrue(end instanceof ExitReport e && e.value() == 0, () -> "ended with " + end);
            assertEquals("the command ran\n", r.out.toString(StandardCharsets.UTF_8));
            assertEquals(pid, r.started.get(20, TimeUnit.SECONDS), "started after the gate, the same process");
        }
        assertEquals(before, pipes(), "no pipe of the gate left in this process");
    }

    @Test
    void aGateClosedInsteadFailsTheContainerThereWithEpipe() throws Exception {
        Launcher.shared();
        long before = pipes();
        GateRecorder r = new GateRecorder();
        try (GatePipe gate = GatePipe.create()) {
            LaunchPlan.Builder b = LauncherTest.hostView().argv(List.of("sh", "-c", "echo never"));
            b.gate(b.descriptor(gate.writeEnd()));
            Launcher.shared().launch(b.build(), r);
            gate.closeWriteEnd();
            long pid = r.gated.get(20, TimeUnit.SECONDS);
            assertTrue(blockedInPipeWrite(pid));
            gate.close();
            Object end = r.end.get(20, TimeUnit.SECONDS);
            assertTrue(end instanceof LaunchFailure f && f.step().equals(java.util.Optional.of(LaunchStep.FD_GATE)) && f.errno() == 32,
                    () -> "ended with " + end);
            assertFalse(r.started.isDone(), "the command never ran");
        }
        assertEquals(before, pipes(), "no pipe of the gate left in this process");
    }

    @Test
    void aPlanWithoutAGateIsNeitherGatedNorHeld() throws Exception {
        GateRecorder r = new GateRecorder();
        Launcher.shared().launch(LauncherTest.hostView().argv(List.of("true")).build(), r);
        Object end = r.end.get(20, TimeUnit.SECONDS);
        assertTrue(end instanceof ExitReport, () -> "ended with " + end);
        assertFalse(r.gated.isDone(), "no gated event without a gate");
    }
}
