package dev.corral.samples.judge;

import dev.corral.Container;
import dev.corral.ContainerResult;
import dev.corral.ContainerSpec;
import dev.corral.Mount;
import dev.corral.Output;
import dev.corral.Rootfs;
import dev.corral.Termination;
import dev.corral.unit.DataSize;
import java.nio.file.Files;
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
     * read-only view: the sources are copied into a fresh scratch directory (within the code
     * size limit), which is the compiler's only writable place and then the program's directory.
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
        Scratch scratch = Scratch.create("prog");
        boolean ok = false;
        try {
            for (Path f : files) {
                scratch.copyIn(f, f.getFileName().toString(), codeLimit, codeLimit);
            }
            ContainerSpec spec = Container.builder()
                    .rootfs(Rootfs.hostReadOnly())
                    .mount(Mount.bindReadWrite(scratch.directory(), Language.PROGRAM_DIR))
                    .mount(Mount.tmpfs("/tmp", DataSize.ofMebibytes(256)))
                    .workingDirectory(Language.PROGRAM_DIR)
                    .env(ENVIRONMENT)
                    .memory(limits.memory())
                    .pids(256)
                    .timeout(limits.time())
                    .stdout(Output.capture(DataSize.ofKibibytes(256)))
                    .stderr(Output.capture(DataSize.ofKibibytes(256)))
                    .build();
            ContainerResult r = sandboxes.run(spec, language.get().compileCommand(names));
            if (!r.succeeded()) {
                String why = switch (r.termination()) {
                    case TIMED_OUT -> "compilation took longer than " + limits.time().toSeconds() + " s\n";
                    case OOM_KILLED -> "compilation used more than " + limits.memory() + "\n";
                    default -> r.termination() == Termination.EXITED ? "" : "compiler ended: " + r + "\n";
                };
                return new Compiled.Error(why + r.stderr() + r.stdout());
            }
            ok = true;
            return new Compiled.Ok(new Program(language.get(), scratch.directory(),
                    language.get().runCommand(names, scratch.directory())));
        } catch (Scratch.CapExceededException e) {
            return new Compiled.Error("submission too large: " + e.getMessage());
        } finally {
            if (!ok) {
                scratch.close();
            }
        }
    }

    /** Removes the program's directory. */
    @Override
    public void close() {
        Scratch.deleteTree(directory);
    }
}
