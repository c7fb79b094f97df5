package dev.corral.samples.judge;

import dev.corral.Container;
import dev.corral.ContainerResult;
import dev.corral.ContainerSpec;
import dev.corral.CopiedFiles;
import dev.corral.Input;
import dev.corral.Mount;
import dev.corral.Output;
import dev.corral.Rootfs;
import dev.corral.ScratchCapExceededException;
import dev.corral.ScratchDirectory;
import dev.corral.Termination;
import dev.corral.unit.DataSize;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * A compiled submission or validator: a host directory, seen read-only at {@code /prog} in the
 * containers that run it, and the command that runs it there.
 *
 * <pre>{@code
 * Program.Compiled c = Program.compile(sandboxes, Path.of("a.c"), problem.code(), limits);
 * if (c instanceof Program.Compiled.Ok ok) { ok.program().command(); }   // [/prog/main]
 * }</pre>
 *
 * @param language  its language
 * @param directory the host directory holding it
 * @param command   the command that runs it inside a container
 */
public record Program(Language language, Path directory, List<String> command) implements AutoCloseable {

    /** The environment of every judge container: nothing else of the JVM's. */
    static final java.util.Map<String, String> ENVIRONMENT = java.util.Map.of(
            "PATH", "/usr/local/bin:/usr/bin:/bin", "LANG", "C.UTF-8", "HOME", "/tmp");

    /** The most one file a compiler leaves may hold. */
    public static final DataSize COMPILED_FILE_CAP = DataSize.ofMebibytes(64);
    /** The most all files a compiler leaves may hold together. */
    public static final DataSize COMPILED_CAP = DataSize.ofMebibytes(128);

    /** Checks and copies. */
    public Program {
        Objects.requireNonNull(language, "language");
        Objects.requireNonNull(directory, "directory");
        command = List.copyOf(command);
    }

    /** What compiling gave. */
    public sealed interface Compiled {
        /** @param program the program, ready to run */
        record Ok(Program program) implements Compiled {}

        /** @param message the compiler's message, or why it was not compiled */
        record Error(String message) implements Compiled {}

        /** @param message which language the file is in, as far as the judge can tell */
        record Unsupported(String message) implements Compiled {}
    }

    /**
     * Limits of compilation.
     *
     * @param time   the wall-clock time it may take
     * @param memory the memory it may use
     */
    public record CompileLimits(Duration time, DataSize memory) {}

    /**
     * Compiles a source file, or a directory of them, in a container of its own on the host's
     * read-only view: the sources are copied into the run's {@link ScratchDirectory} (within the
     * code size limit), the compiler's only writable place, and what it leaves there comes out
     * (within {@link #COMPILED_FILE_CAP} and {@link #COMPILED_CAP}) into the program's directory.
     *
     * @param sandboxes  where to run the compiler
     * @param source     a source file, or a directory of source files of one language
     * @param codeLimit  the most the sources may hold together
     * @param limits     the compiler's limits
     * @return the program, the compile error, or that the language is unsupported
     */
    public static Compiled compile(Sandboxes sandboxes, Path source, DataSize codeLimit, CompileLimits limits) {
        List<Path> files = Files.isDirectory(source) ? Problem.list(source).stream().filter(Files::isRegularFile).toList()
                : List.of(source);
        Optional<Language> language = Optional.empty();
        List<String> names = new ArrayList<>();
        for (Path f : files) {
            Optional<Language> l = Language.of(f.getFileName().toString());
            if (l.isEmpty()) {
                continue;
            }
            if (language.isPresent() && language.get() != l.get()) {
                return new Compiled.Unsupported(source + ": sources in both " + language.get().code() + " and " + l.get().code());
            }
            language = l;
            names.add(f.getFileName().toString());
        }
        if (language.isEmpty()) {
            return new Compiled.Unsupported(source.getFileName() + ": unsupported language (this judge takes C, C++, "
                    + "Python 3 and Java: .c, .cpp/.cc/.cxx, .py, .java)");
        }
        long size = 0;
        ScratchDirectory box = ScratchDirectory.at(Language.PROGRAM_DIR).copyOutAll().caps(COMPILED_FILE_CAP, COMPILED_CAP);
        for (Path f : files) {
            try {
                size += Files.size(f);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            box = box.copyIn(f.getFileName().toString(), Input.file(f));
        }
        if (size > codeLimit.bytes()) {
            return new Compiled.Error("submission too large: " + size + " bytes; at most " + codeLimit.bytes());
        }
        ContainerSpec spec = Container.builder()
                .rootfs(Rootfs.hostReadOnly())
                .scratch(box)                               // the sources in; everything at its top out
                .mount(Mount.tmpfs("/tmp", DataSize.ofMebibytes(256)))
                .workingDirectory(Language.PROGRAM_DIR)
                .env(ENVIRONMENT)
                .memory(limits.memory())
                .pids(256)
                .timeout(limits.time())
                .stdout(Output.capture(DataSize.ofKibibytes(256)))
                .stderr(Output.capture(DataSize.ofKibibytes(256)))
                .build();
        ContainerResult r;
        try {
            r = sandboxes.run(spec, language.get().compileCommand(names));
        } catch (ScratchCapExceededException e) {
            return new Compiled.Error("submission too large: " + e.getMessage());
        }
        if (!r.succeeded()) {
            String why = switch (r.termination()) {
                case TIMED_OUT -> "compilation took longer than " + limits.time().toSeconds() + " s\n";
                case OOM_KILLED -> "compilation used more than " + limits.memory() + "\n";
                default -> r.termination() == Termination.EXITED ? "" : "compiler ended: " + r + "\n";
            };
            return new Compiled.Error(why + r.stderr() + r.stdout());
        }
        CopiedFiles out = r.files().orElseThrow();
        if (!out.complete()) {
            return new Compiled.Error("the compiler's output is over its caps: " + out.refused());
        }
        Path dir = writeProgram(out);
        return new Compiled.Ok(new Program(language.get(), dir, language.get().runCommand(names, dir)));
    }

    /** The compiled files in a host directory of their own, to be seen read-only at {@code /prog}. */
    private static Path writeProgram(CopiedFiles out) {
        Path dir = null;
        try {
            dir = Files.createTempDirectory("judge-prog-");
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
            for (var f : out.files().entrySet()) {
                Path p = Files.write(dir.resolve(f.getKey()), f.getValue());
                Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwxr-xr-x"));
            }
            return dir;
        } catch (IOException e) {
            if (dir != null) {
                deleteTree(dir);
            }
            throw new UncheckedIOException(e);
        }
    }

    static void deleteTree(Path root) {
        try (java.util.stream.Stream<Path> s = Files.walk(root)) {
            for (Path p : s.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Removes the program's directory. */
    @Override
    public void close() {
        deleteTree(directory);
    }
}
