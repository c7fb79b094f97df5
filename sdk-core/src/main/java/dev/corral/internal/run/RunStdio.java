package dev.corral.internal.run;

import dev.corral.ContainerSpec;
import dev.corral.Input;
import dev.corral.Output;
import dev.corral.internal.stdio.BytesFeeder;
import dev.corral.internal.stdio.CaptureSink;
import dev.corral.internal.stdio.PipeStreams;
import dev.corral.internal.stdio.Splice;
import dev.corral.namespaces.launcher.Launcher;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.SocketChannel;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A run's stdio on the JVM's side: each stream the launcher connects goes where the spec says -
 * a capture (kept up to its limit, maybe streamed live too), bytes fed to stdin, nothing (a
 * terminal's input), a pipe the caller reads or writes, or the other container of an
 * interaction through a splice. It tells the run when its captures have ended and when one went
 * past its limit.
 *
 * <pre>{@code
 * RunStdio stdio = new RunStdio(spec, Optional.empty(), Optional.empty(), id, run::maybeComplete, run::overLimit);
 * stdio.connected(launcher, 1, channel);   // on the launcher's I/O thread
 * stdio.outputsEnded();                    // every capture read to its end
 * stdio.stdout();                          // Output.pipe(): the caller's stream
 * }</pre>
 */
final class RunStdio implements CaptureSink.Owner {
    private static final Logger log = LoggerFactory.getLogger(RunStdio.class);

    private final ContainerSpec spec;
    private final long id;
    private final Runnable ended;
    private final Runnable overLimit;
    /* an interaction's wires: this container's stdin is the reader of one, its stdout the writer of the other */
    private final Optional<Splice> stdinFrom;
    private final Optional<Splice> stdoutTo;
    private final Optional<CaptureSink> stdoutSink;
    private final Optional<CaptureSink> stderrSink;
    private final CompletableFuture<SocketChannel> stdinPipe = new CompletableFuture<>();
    private final CompletableFuture<SocketChannel> stdoutPipe = new CompletableFuture<>();
    private final CompletableFuture<SocketChannel> stderrPipe = new CompletableFuture<>();

    /**
     * @param spec      the spec, whose stdin, stdout and stderr say where each stream goes
     * @param stdinFrom the splice whose reader this container's stdin is (an interaction)
     * @param stdoutTo  the splice whose writer this container's stdout is (an interaction)
     * @param id        the container's id, for the log
     * @param ended     told when a capture has ended
     * @param overLimit told when an output went past its limit (the container must die)
     */
    RunStdio(ContainerSpec spec, Optional<Splice> stdinFrom, Optional<Splice> stdoutTo, long id, Runnable ended,
             Runnable overLimit) {
        this.spec = spec;
        this.id = id;
        this.ended = ended;
        this.overLimit = overLimit;
        this.stdinFrom = stdinFrom;
        this.stdoutTo = stdoutTo;
        this.stdoutSink = capture(spec.stdout());
        this.stderrSink = capture(spec.stderr());
        stdoutTo.ifPresent(s -> s.onOverLimit(overLimit));
    }

    private Optional<CaptureSink> capture(Output output) {
        return output instanceof Output.Capture c ? Optional.of(new CaptureSink(c.limit().bytes(), c.live(), this))
                : Optional.empty();
    }

    /**
     * The launcher connected one of the container's streams; on the I/O thread.
     *
     * @param launcher the launcher whose I/O thread reads and writes the streams
     * @param fd       0, 1 or 2
     * @param channel  the stream
     */
    void connected(Launcher launcher, int fd, SocketChannel channel) {
        try {
            switch (fd) {
                case 0 -> connectInput(launcher, channel);
                case 1 -> {
                    if (stdoutTo.isPresent()) {
                        stdoutTo.get().sourceConnected(launcher, channel);
                    } else {
                        connectOutput(launcher, channel, stdoutSink, stdoutPipe);
                    }
                }
                default -> connectOutput(launcher, channel, stderrSink, stderrPipe);
            }
        } catch (IOException e) {
            log.debug("container {}: stream {} failed: {}", id, fd, e.toString());
            PipeStreams.closeQuietly(channel);
        }
    }

    private void connectInput(Launcher launcher, SocketChannel channel) throws IOException {
        if (stdinFrom.isPresent()) {
            stdinFrom.get().sinkConnected(launcher, channel);
        } else if (spec.stdin() instanceof Input.Bytes b) {
            new BytesFeeder(b.bytes()).attach(launcher, channel);
        } else if (spec.stdin() instanceof Input.Empty) { /* a terminal's input: nothing typed */
            channel.close();
        } else {
            channel.configureBlocking(true);
            stdinPipe.complete(channel);
        }
    }

    private static void connectOutput(Launcher launcher, SocketChannel channel, Optional<CaptureSink> sink,
                                      CompletableFuture<SocketChannel> pipe) throws IOException {
        if (sink.isPresent()) {
            sink.get().attach(launcher, channel);
        } else {
            channel.configureBlocking(true);
            pipe.complete(channel);
        }
    }

    /** @return whether every captured output has been read to its end (true if none is captured) */
    boolean outputsEnded() {
        return stdoutSink.map(CaptureSink::ended).orElse(true) && stderrSink.map(CaptureSink::ended).orElse(true);
    }

    /** @return what stdout's capture holds; empty if it is not captured */
    byte[] stdoutBytes() {
        return stdoutSink.map(CaptureSink::bytes).orElse(new byte[0]);
    }

    /** @return what stderr's capture holds; empty if it is not captured */
    byte[] stderrBytes() {
        return stderrSink.map(CaptureSink::bytes).orElse(new byte[0]);
    }

    /**
     * Fails every pipe the caller has not taken yet with {@code e}, and closes those it has: the
     * container failed, the launcher died, or the run was closed.
     */
    void fail(Exception e) {
        for (CompletableFuture<SocketChannel> p : List.of(stdinPipe, stdoutPipe, stderrPipe)) {
            /* the I/O thread and close() may race here */
            if (!p.completeExceptionally(e) && !p.isCompletedExceptionally()) {
                PipeStreams.closeQuietly(p.join());
            }
        }
    }

    /** @return the container's stdin, for {@code Input.pipe()} */
    OutputStream stdin() {
        if (stdinFrom.isPresent()) {
            throw new IllegalStateException("stdin is wired to the other container's stdout (an Interaction)");
        }
        if (!(spec.stdin() instanceof Input.Pipe)) {
            throw new IllegalStateException("stdin is " + spec.stdin() + ", not Input.pipe()");
        }
        return PipeStreams.output(stdinPipe);
    }

    /** @return the container's stdout, for {@code Output.pipe()} */
    InputStream stdout() {
        if (stdoutTo.isPresent()) {
            throw new IllegalStateException("stdout is wired to the other container's stdin (an Interaction)");
        }
        if (!(spec.stdout() instanceof Output.Pipe)) {
            throw new IllegalStateException("stdout is " + spec.stdout() + ", not Output.pipe()");
        }
        return PipeStreams.input(stdoutPipe);
    }

    /** @return the container's stderr, for {@code Output.pipe()} */
    InputStream stderr() {
        if (!(spec.stderr() instanceof Output.Pipe)) {
            throw new IllegalStateException("stderr is " + spec.stderr() + ", not Output.pipe()");
        }
        return PipeStreams.input(stderrPipe);
    }

    @Override
    public void captureEnded(CaptureSink sink) {
        ended.run();
    }

    @Override
    public void captureLimitExceeded(CaptureSink sink) {
        overLimit.run();
    }
}
