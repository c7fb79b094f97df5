package dev.corral.internal.run;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.corral.Container;
import dev.corral.ContainerSpec;
import dev.corral.Input;
import dev.corral.Output;
import dev.corral.internal.stdio.Splice;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Where each of a container's streams goes once the launcher connects it, for the kinds that
 * need no launcher's I/O thread (pipes, an empty stdin), and what the caller is told when it
 * asks for a stream the spec did not make a pipe; on Unix sockets made here, without a container.
 */
class RunStdioTest {
    @TempDir
    Path tmp;

    private final List<SocketChannel> open = new ArrayList<>();
    private final AtomicInteger ended = new AtomicInteger();
    private final AtomicInteger overLimit = new AtomicInteger();

    private RunStdio stdio(ContainerSpec spec) {
        return new RunStdio(spec, Optional.empty(), Optional.empty(), 1, ended::incrementAndGet, overLimit::incrementAndGet);
    }

    private static ContainerSpec.Builder spec() {
        return Container.builder().privilegedRoot();
    }

    /** @return two connected ends: [0] the launcher's (handed to RunStdio), [1] the container's */
    private SocketChannel[] socketPair() throws IOException {
        Path path = tmp.resolve("s" + open.size());
        try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            server.bind(UnixDomainSocketAddress.of(path));
            SocketChannel container = SocketChannel.open(UnixDomainSocketAddress.of(path));
            SocketChannel ours = server.accept();
            ours.configureBlocking(false); /* as the launcher hands them over */
            open.add(container);
            open.add(ours);
            return new SocketChannel[] {ours, container};
        }
    }

    @AfterEach
    void closeAll() throws IOException {
        for (SocketChannel c : open) {
            c.close();
        }
    }

    private static String readAll(SocketChannel c) throws IOException {
        ByteBuffer buf = ByteBuffer.allocate(64);
        while (c.read(buf) >= 0) {
            /* until end of file */
        }
        return new String(buf.array(), 0, buf.position(), StandardCharsets.UTF_8);
    }

    @Test
    void pipesReachTheCallerBothWays() throws Exception {
        RunStdio s = stdio(spec().stdin(Input.pipe()).stdout(Output.pipe()).stderr(Output.pipe()).build());
        SocketChannel[] in = socketPair(), out = socketPair(), err = socketPair();
        s.connected(null, 0, in[0]);
        s.connected(null, 1, out[0]);
        s.connected(null, 2, err[0]);
        try (OutputStream stdin = s.stdin()) {
            stdin.write("typed".getBytes(StandardCharsets.UTF_8));
        }
        assertEquals("typed", readAll(in[1]), "closing the caller's stdin is the command's end of file");
        out[1].write(ByteBuffer.wrap("printed".getBytes(StandardCharsets.UTF_8)));
        out[1].close();
        err[1].write(ByteBuffer.wrap("warned".getBytes(StandardCharsets.UTF_8)));
        err[1].close();
        try (InputStream stdout = s.stdout(); InputStream stderr = s.stderr()) {
            assertArrayEquals("printed".getBytes(StandardCharsets.UTF_8), stdout.readAllBytes());
            assertArrayEquals("warned".getBytes(StandardCharsets.UTF_8), stderr.readAllBytes());
        }
        assertTrue(s.outputsEnded(), "no capture to wait for");
        assertEquals(0, s.stdoutBytes().length);
    }

    @Test
    void anEmptyStdinIsClosedAtOnce() throws Exception {
        RunStdio s = stdio(spec().stdin(Input.empty()).build());
        SocketChannel[] in = socketPair();
        s.connected(null, 0, in[0]);
        assertFalse(in[0].isOpen());
        assertEquals("", readAll(in[1]));
    }

    @Test
    void aStreamTheSpecDidNotMakeAPipeIsRefusedWithWhatItIs() {
        RunStdio s = stdio(spec().stdin(Input.string("x")).stdout(Output.capture()).stderr(Output.discard()).build());
        assertTrue(assertThrows(IllegalStateException.class, s::stdin).getMessage().endsWith("not Input.pipe()"));
        assertTrue(assertThrows(IllegalStateException.class, s::stdout).getMessage().endsWith("not Output.pipe()"));
        assertTrue(assertThrows(IllegalStateException.class, s::stderr).getMessage().endsWith("not Output.pipe()"));
        assertFalse(s.outputsEnded(), "stdout is captured and its capture has not ended");
    }

    @Test
    void anInteractionsWiredStreamsAreNotTheCallers() {
        RunStdio s = new RunStdio(spec().stdin(Input.pipe()).stdout(Output.pipe()).build(), Optional.of(new Splice(64)),
                Optional.of(new Splice(64)), 1, ended::incrementAndGet, overLimit::incrementAndGet);
        assertTrue(assertThrows(IllegalStateException.class, s::stdin).getMessage().contains("Interaction"));
        assertTrue(assertThrows(IllegalStateException.class, s::stdout).getMessage().contains("Interaction"));
    }

    @Test
    void aFailureReachesAPipeNotYetConnectedAndClosesOneTaken() throws Exception {
        RunStdio s = stdio(spec().stdin(Input.pipe()).stdout(Output.pipe()).stderr(Output.pipe()).build());
        SocketChannel[] out = socketPair();
        s.connected(null, 1, out[0]);
        s.fail(new IOException("the launcher died"));
        IOException e = assertThrows(IOException.class, () -> s.stderr().read());
        assertTrue(e.getMessage().contains("the launcher died"), e.getMessage());
        assertThrows(IOException.class, () -> s.stdin().write(1));
        assertFalse(out[0].isOpen(), "the connected stdout is closed");
        assertEquals("", readAll(out[1]));
        s.fail(new IOException("closed")); /* again, as close() after a failure does */
    }

    @Test
    void capturesTellTheRunOfTheirEndAndTheirLimit() {
        RunStdio s = stdio(spec().stdout(Output.capture()).build());
        s.captureLimitExceeded(null);
        s.captureEnded(null);
        assertEquals(1, overLimit.get());
        assertEquals(1, ended.get());
    }
}
