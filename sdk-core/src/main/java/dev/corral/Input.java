package dev.corral;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Objects;

/**
 * What the container reads as its standard input. The default is {@link #empty()}.
 *
 * <pre>{@code
 * Input.string("1 2\n");            // fed to the command, then end of file
 * Input.file(Path.of("in.txt"));    // a host file, opened by the launcher
 * Input.pipe();                     // written by the caller through ContainerProcess.stdin()
 * }</pre>
 */
public sealed interface Input {

    /** @return {@code /dev/null}: immediate end of file */
    static Input empty() {
        return Empty.INSTANCE;
    }

    /** @return the JVM's own standard input */
    static Input inherit() {
        return Inherit.INSTANCE;
    }

    /** @param file a host file to read @return the input */
    static Input file(Path file) {
        return new FromFile(file);
    }

    /** @param bytes fed to the command, then end of file @return the input */
    static Input bytes(byte[] bytes) {
        return new Bytes(bytes);
    }

    /** @param text fed to the command as UTF-8, then end of file @return the input */
    static Input string(String text) {
        return new Bytes(text.getBytes(StandardCharsets.UTF_8));
    }

    /** @return a stream the caller writes through {@link ContainerProcess#stdin()} */
    static Input pipe() {
        return Pipe.INSTANCE;
    }

    /**
     * {@code /dev/null}.
     *
     * <pre>{@code
     * Container.builder().stdin(Input.empty());   // reads end of file at once
     * }</pre>
     */
    enum Empty implements Input {
        /** The only instance. */
        INSTANCE
    }

    /**
     * The JVM's standard input.
     *
     * <pre>{@code
     * Container.builder().stdin(Input.inherit());   // the JVM's own standard input
     * }</pre>
     */
    enum Inherit implements Input {
        /** The only instance. */
        INSTANCE
    }

    /**
     * A stream written through {@link ContainerProcess#stdin()}.
     *
     * <pre>{@code
     * ContainerProcess p = Container.builder().stdin(Input.pipe()).start("cat");
     * p.stdin().write("hi\n".getBytes());
     * }</pre>
     */
    enum Pipe implements Input {
        /** The only instance. */
        INSTANCE
    }

    /**
     * A host file.
     *
     * <pre>{@code
     * Container.builder().stdin(Input.file(Path.of("tests/01.in")));
     * }</pre>
     *
     * @param path the file
     */
    record FromFile(Path path) implements Input {
        /** @param path the file */
        public FromFile {
            Objects.requireNonNull(path, "path");
        }
    }

    /**
     * Bytes fed to the command.
     *
     * <pre>{@code
     * Container.builder().stdin(Input.bytes(new byte[] {1, 2, 3}));
     * Container.builder().stdin(Input.string("1 2\n"));   // the same, UTF-8
     * }</pre>
     *
     * @param bytes the bytes
     */
    record Bytes(byte[] bytes) implements Input {
        /** @param bytes the bytes, copied */
        public Bytes {
            bytes = bytes.clone();
        }

        @Override
        public byte[] bytes() {
            return bytes.clone();
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Bytes b && Arrays.equals(bytes, b.bytes);
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(bytes);
        }

        @Override
        public String toString() {
            return "Bytes[" + bytes.length + " bytes]";
        }
    }
}
