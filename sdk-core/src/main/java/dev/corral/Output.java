package dev.corral;

import dev.corral.unit.DataSize;
import java.nio.file.Path;
import java.util.Objects;

/**
 * Where the container's standard output or error goes. The default is {@link #capture()}.
 *
 * <pre>{@code
 * Output.capture(DataSize.ofKibibytes(64));  // into ContainerResult; more ends the run: OUTPUT_LIMITED
 * Output.file(Path.of("out.txt"));           // a host file, truncated first
 * Output.pipe();                             // read by the caller through ContainerProcess.stdout()
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
     */
    record Capture(DataSize limit) implements Output {
        /** @param limit the most bytes kept */
        public Capture {
            Objects.requireNonNull(limit, "limit");
        }
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
