package dev.corral;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.corral.unit.DataSize;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Standard streams, exit statuses, signals and timeouts. */
class StdioAndStatusTest {

    @Test
    void exitCodesAndSignalsAreReportedApart() {
        ContainerResult exited = Container.builder().run("/bin/sh", "-c", "exit 7");
        assertEquals(Termination.EXITED, exited.termination());
        assertEquals(OptionalInt.of(7), exited.exitCode());
        assertTrue(exited.signal().isEmpty());

        ContainerResult killed = Container.builder().run("/bin/sh", "-c", "kill -9 $$");
        assertEquals(Termination.SIGNALED, killed.termination());
        assertEquals(OptionalInt.of(9), killed.signal());
        assertTrue(killed.exitCode().isEmpty());
    }

    @Test
    void stdinBytesReachTheCommandThenEndOfFile() {
        byte[] data = new byte[300_000]; /* more than any pipe holds at once */
        for (int i = 0; i < data.length; i++) {
            data[i] = (byte) (i * 31);
        }
        ContainerResult r = Container.builder().stdin(Input.bytes(data)).run("/bin/cat");
        assertArrayEquals(data, r.stdoutBytes());
    }

    @Test
    void stdoutAndStderrAreCapturedApart() {
        ContainerResult r = Container.builder().run("/bin/sh", "-c", "echo out; echo err >&2; echo via-dev > /dev/stderr");
        assertEquals("out\n", r.stdout());
        assertEquals("err\nvia-dev\n", r.stderr());
    }

    @Test
    void captureBeyondItsLimitEndsTheRun() {
        ContainerResult r = Container.builder().stdout(Output.capture(DataSize.ofKibibytes(4)))
                .run("/bin/sh", "-c", "while :; do echo 0123456789; done");
        assertEquals(Termination.OUTPUT_LIMITED, r.termination());
        assertEquals(4096, r.stdoutBytes().length);
        assertTrue(r.stdout().startsWith("0123456789\n0123456789\n"));
    }

    @Test
    void aCaptureWithALiveStreamShowsEachChunkAsItComesAndKeepsTheCap() throws Exception {
        java.io.ByteArrayOutputStream seen = new java.io.ByteArrayOutputStream();
        java.util.concurrent.CountDownLatch first = new java.util.concurrent.CountDownLatch(1);
        OutputStream live = new OutputStream() {
            @Override
            public synchronized void write(int b) {
                write(new byte[] {(byte) b}, 0, 1);
            }

            @Override
            public synchronized void write(byte[] b, int off, int len) {
                seen.write(b, off, len);
                if (seen.toString(StandardCharsets.UTF_8).startsWith("first\n")) {
                    first.countDown();
                }
            }
        };
        /* the container waits for the test, which waits to see "first" live: a capture shown
           only at the end would never let it go on (the timeout ends that run, failing the test) */
        try (ContainerProcess p = Container.builder().stdin(Input.pipe())
                .stdout(Output.capture(DataSize.ofKibibytes(4), live)).timeout(Duration.ofSeconds(60))
                .start("/bin/sh", "-c", "echo first; read go; while :; do echo 0123456789; done")) {
            assertTrue(first.await(60, java.util.concurrent.TimeUnit.SECONDS), "first never shown live");
            p.stdin().write("go\n".getBytes(StandardCharsets.UTF_8));
            p.stdin().close();
            ContainerResult r = p.waitFor();
            assertEquals(Termination.OUTPUT_LIMITED, r.termination());
            assertEquals(4096, r.stdoutBytes().length);
            synchronized (live) {
                assertArrayEquals(r.stdoutBytes(), seen.toByteArray(), "the live copy is what was kept");
            }
        }
    }

    @Test
    void stderrToStdoutMergesBothInTheOrderWritten(@TempDir Path dir) throws Exception {
        String script = "for i in 1 2 3; do echo out$i; echo err$i >&2; done";
        ContainerResult r = Container.builder().stderr(Output.toStdout()).run("/bin/sh", "-c", script);
        assertEquals("out1\nerr1\nout2\nerr2\nout3\nerr3\n", r.stdout());
        assertEquals("", r.stderr());
        Path log = dir.resolve("log");
        Container.builder().stdout(Output.file(log)).stderr(Output.toStdout()).run("/bin/sh", "-c", script);
        assertEquals("out1\nerr1\nout2\nerr2\nout3\nerr3\n", Files.readString(log));
        ContainerResult capped = Container.builder().stdout(Output.capture(DataSize.ofBytes(10)))
                .stderr(Output.toStdout()).run("/bin/sh", "-c", "echo err >&2; while :; do echo out; done");
        assertEquals(Termination.OUTPUT_LIMITED, capped.termination());
        assertEquals("err\nout\nou", capped.stdout());
        assertThrows(InvalidSpecException.class, () -> Container.builder().stdout(Output.toStdout()).build());
    }

    @Test
    void filesCanBeStdinAndStdout(@TempDir Path dir) throws Exception {
        Path in = Files.writeString(dir.resolve("in"), "from a file\n");
        Path out = dir.resolve("out");
        ContainerResult r = Container.builder().stdin(Input.file(in)).stdout(Output.file(out))
                .stderr(Output.discard()).run("/bin/sh", "-c", "cat; echo gone >&2");
        assertEquals(Termination.EXITED, r.termination());
        assertEquals("from a file\n", Files.readString(out));
        assertEquals("", r.stderr());
        Container.builder().stdout(Output.appendToFile(out)).run("/bin/echo", "more");
        assertEquals("from a file\nmore\n", Files.readString(out));
    }

    @Test
    void pipesStreamBothWays() throws Exception {
        try (ContainerProcess p = Container.builder().stdin(Input.pipe()).stdout(Output.pipe())
                .start("/bin/sh", "-c", "while read line; do echo \"got $line\"; done")) {
            BufferedReader out = new BufferedReader(new InputStreamReader(p.stdout(), StandardCharsets.UTF_8));
            OutputStream in = p.stdin();
            in.write("one\n".getBytes(StandardCharsets.UTF_8));
            in.flush();
            assertEquals("got one", out.readLine());
            in.write("two\n".getBytes(StandardCharsets.UTF_8));
            in.close();
            assertEquals("got two", out.readLine());
            assertEquals(null, out.readLine());
            ContainerResult r = p.waitFor();
            assertEquals(OptionalInt.of(0), r.exitCode());
        }
    }

    @Test
    void pipesAreOnlyForPipedStreams() {
        try (ContainerProcess p = Container.builder().start("/bin/true")) {
            assertThrows(IllegalStateException.class, p::stdout);
            assertThrows(IllegalStateException.class, p::stdin);
        }
    }

    @Test
    void theWallClockTimeoutKillsTheWholeContainer() {
        ContainerResult r = Container.builder().timeout(Duration.ofMillis(300))
                .run("/bin/sh", "-c", "sleep 30 & sleep 30; echo never");
        assertEquals(Termination.TIMED_OUT, r.termination());
        assertEquals(OptionalInt.of(9), r.signal());
        assertEquals("", r.stdout());
    }

    @Test
    void signalsAreForwardedToTheCommand() throws Exception {
        try (ContainerProcess p = Container.builder().stdout(Output.pipe())
                .start("/bin/sh", "-c", "trap 'echo got TERM; exit 3' TERM; echo ready; while :; do sleep 0.05; done")) {
            BufferedReader out = new BufferedReader(new InputStreamReader(p.stdout(), StandardCharsets.UTF_8));
            assertEquals("ready", out.readLine());
            p.signal(15);
            assertEquals("got TERM", out.readLine());
            ContainerResult r = p.waitFor();
            assertEquals(Termination.EXITED, r.termination());
            assertEquals(OptionalInt.of(3), r.exitCode());
        }
    }

    @Test
    void whenTheCommandExitsItsOrphansDieToo() throws Exception {
        ContainerResult r = Container.builder().timeout(Duration.ofSeconds(20))
                .run("/bin/sh", "-c", "(sleep 30; echo orphan) & echo bye");
        assertEquals(Termination.EXITED, r.termination(), "the container ended with its command, not at the timeout");
        assertEquals("bye\n", r.stdout());
    }

    @Test
    void killingAStartedContainerIsReported() throws Exception {
        try (ContainerProcess p = Container.builder().start("/bin/sleep", "30")) {
            assertTrue(p.isAlive());
            p.kill();
            ContainerResult r = p.waitFor();
            assertEquals(Termination.KILLED, r.termination());
            assertTrue(p.waitFor(Duration.ofMillis(1)).isPresent());
            assertTrue(p.onExit().isDone());
        }
    }

    @Test
    void manyFastRunsWithCapturedOutputAllComplete() throws Exception {
        /* a regression: a stream accepted after its container's EXITED was refused, and the
           capture never ended; a hang here is a failure, not a stuck build */
        ContainerSpec spec = Container.builder().stdout(Output.discard()).build();
        for (int i = 0; i < 1000; i++) {
            try (ContainerProcess p = spec.start("/bin/true")) {
                java.util.Optional<ContainerResult> r = p.waitFor(Duration.ofSeconds(20));
                assertTrue(r.isPresent(), "run " + i + " never completed");
                assertEquals(Termination.EXITED, r.get().termination());
            }
        }
    }

    @Test
    void aStreamStillQueuedWhenItsContainerHasEndedIsServed() throws Exception {
        /* hold the I/O thread while a container runs to its end: its stderr connection and its
           EXITED are then pending in the same select round, in an order this JVM's hashing picks */
        dev.corral.namespaces.launcher.Launcher launcher = dev.corral.namespaces.launcher.Launcher.shared();
        for (int i = 0; i < 5; i++) {
            java.util.concurrent.CountDownLatch held = new java.util.concurrent.CountDownLatch(1);
            launcher.execute(() -> {
                held.countDown();
                try {
                    Thread.sleep(300);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            held.await();
            try (ContainerProcess p = Container.builder().stdout(Output.discard()).start("/bin/true")) {
                assertTrue(p.waitFor(Duration.ofSeconds(20)).isPresent(), "round " + i + ": the capture never ended");
            }
        }
    }

    @Test
    void usageIsMeasured() {
        ContainerResult r = Container.builder().run("/bin/sh", "-c", "i=0; while [ $i -lt 200000 ]; do i=$((i+1)); done");
        assertTrue(r.usage().userCpuTime().toNanos() > 0, r.usage().toString());
        assertTrue(r.usage().wallTime().compareTo(r.usage().cpuTime()) >= 0 || r.usage().cpuTime().toMillis() < 50);
        assertTrue(r.usage().peakMemory().bytes() > 0);
    }
}
