package dev.corral;

import dev.corral.unit.DataSize;
import java.io.OutputStream;
import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;

/**
 * Where the container's standard output or error goes. The default is {@link #capture()}.
 *
 * <pre>{@code
 * Output.capture(DataSize.ofKibibytes(64));  // into ContainerResult; more ends the run: OUTPUT_LIMITED
 * Output.file(Path.of("out.txt"));           // a host file, truncated first
 * Output.pipe();                             // read by the caller through ContainerProcess.stdout()
 * Output.capture(DataSize.ofMebibytes(1), System.out);  // captured, and shown as it comes
 * Container.builder().stderr(Output.toStdout());       // 2>&1: both in the order written
 * }</pre>
 */
public sealed interface Output {

    /** The capture limit when none is given: 64 MiB. */
    DataSize DEFAULT_CAPTURE_LIMIT = DataSize.ofMebibytes(64);

    /** @return captured into the result, up to {@link #DEFAULT_CAPTURE_LIMIT} */
    static Output capture() {
        return new Capture(DEFAULT_CAPTURE_LIMIT);
    }

    /**
     * Captured into the result. Output beyond the limit kills the container, and the result
     * says {@link Termination#OUTPUT_LIMITED}, holding the first {@code limit} bytes.
     *
     * @param limit the most bytes kept
     * @return the output
     */
    static Output capture(DataSize limit) {
        return new Capture(limit);
    }

    /**
     * Captured into the result as {@link #capture(DataSize)} does, and each chunk also written
     * to {@code live} as it arrives (a tee): a build's log is shown as it runs and is still
     * capped. Only the bytes within the limit are written to {@code live}. It is written on
     * Corral's I/O thread, so a slow stream slows the container's output; when writing to it
     * fails, the capture goes on without it.
     *
     * @param limit the most bytes kept (and shown)
     * @param live  where the bytes also go, as they come; not closed by Corral
     * @return the output
     */
    static Output capture(DataSize limit, OutputStream live) {
        return new Capture(limit, Optional.of(Objects.requireNonNull(live, "live")));
    }

    /**
     * For stderr only: the container's descriptor 2 is its descriptor 1 ({@code 2>&1}), so
     * stdout and stderr go to the same place, merged in the order the container wrote them
     * (into the capture, file, pipe or stream that stdout is).
     *
     * @return the output
     */
    static Output toStdout() {
        return ToStdout.INSTANCE;
    }

    /** @return {@code /dev/null} */
    static Output discard() {
        return Discard.INSTANCE;
    }

    /** @return the JVM's own stream of the same number */
    static Output inherit() {
        return Inherit.INSTANCE;
    }

    /** @param file a host file, created or truncated @return the output */
    static Output file(Path file) {
        return new ToFile(file, false);
    }

    /** @param file a host file, created or appended to @return the output */
    static Output appendToFile(Path file) {
        return new ToFile(file, true);
    }

    /** @return a stream the caller reads through {@link ContainerProcess#stdout()} or {@code stderr()} */
    static Output pipe() {
        return Pipe.INSTANCE;
    }

    /**
     * Captured into the result.
     *
     * <pre>{@code
     * ContainerResult r = Container.builder().stdout(Output.capture(DataSize.ofKibibytes(64))).run("ls");
     * r.stdout();   // at most 64 KiB; more ends the run as OUTPUT_LIMITED
     * }</pre>
     *
     * @param limit the most bytes kept
     * @param live  where the captured bytes also go as they arrive, if anywhere
     */
    record Capture(DataSize limit, Optional<OutputStream> live) implements Output {
        /** @param limit the most bytes kept @param live also written to as bytes come */
        public Capture {
            Objects.requireNonNull(limit, "limit");
            Objects.requireNonNull(live, "live");
        }

        /** @param limit the most bytes kept */
        public Capture(DataSize limit) {
            this(limit, Optional.empty());
        }
    }

    /**
     * Stderr goes where stdout goes, merged in order ({@code 2>&1}).
     *
     * <pre>{@code
     * ContainerResult r = Container.builder().stderr(Output.toStdout()).run("make");
     * r.stdout();   // the build's stdout and stderr, interleaved as written
     * }</pre>
     */
    enum ToStdout implements Output {
        /** The only instance. */
        INSTANCE
    }

    /**
     * A host file.
     *
     * <pre>{@code
     * Container.builder().stdout(Output.file(Path.of("out.txt")))
     *         .stderr(Output.appendToFile(Path.of("log.txt")));
     * }</pre>
     *
     * @param path   the file
     * @param append append rather than truncate
     */
    record ToFile(Path path, boolean append) implements Output {
        /** @param path the file @param append append */
        public ToFile {
            Objects.requireNonNull(path, "path");
        }
    }

    /**
     * {@code /dev/null}.
     *
     * <pre>{@code
     * Container.builder().stderr(Output.discard());
     * }</pre>
     */
    enum Discard implements Output {
        /** The only instance. */
        INSTANCE
    }

    /**
     * The JVM's stream.
     *
     * <pre>{@code
     * Container.builder().stdout(Output.inherit());   // straight to the JVM's own standard output
     * }</pre>
     */
    enum Inherit implements Output {
        /** The only instance. */
        INSTANCE
    }

    /**
     * A stream read through {@link ContainerProcess}.
     *
     * <pre>{@code
     * ContainerProcess p = Container.builder().stdout(Output.pipe()).start("yes");
     * p.stdout().read();
     * }</pre>
     */
    enum Pipe implements Output {
        /** The only instance. */
        INSTANCE
    }
}
