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

    /** {@code /dev/null}. */
    enum Empty implements Input {
        /** The only instance. */
        INSTANCE
    }

    /** The JVM's standard input. */
    enum Inherit implements Input {
        /** The only instance. */
        INSTANCE
    }

    /** A stream written through {@link ContainerProcess#stdin()}. */
    enum Pipe implements Input {
        /** The only instance. */
        INSTANCE
    }

    /**
     * A host file.
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
