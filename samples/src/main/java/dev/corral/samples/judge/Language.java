package dev.corral.samples.judge;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * The languages this judge compiles and runs, with the compilers of the host's read-only view
 * ({@code Rootfs.hostReadOnly()}): the file endings of the package format's language list.
 *
 * <pre>{@code
 * Language.of("solution.cpp");   // Optional[CPP]
 * Language.of("solution.rb");    // Optional.empty(): unsupported
 * }</pre>
 */
public enum Language {
    /** C, with {@code gcc}. */
    C("c", List.of(".c")),
    /** C++, with {@code g++}. */
    CPP("cpp", List.of(".cpp", ".cc", ".cxx", ".c++", ".C")),
    /** Python 3, syntax-checked by {@code python3} before it runs. */
    PYTHON3("python3", List.of(".py")),
    /** Java, with {@code javac}; the main class is the file's (or {@code Main} in a directory). */
    JAVA("java", List.of(".java"));

    /** Where the program's directory is, inside every container. */
    static final String PROGRAM_DIR = "/prog";

    private final String code;
    private final List<String> endings;

    Language(String code, List<String> endings) {
        this.code = code;
        this.endings = endings;
    }

    /** @return the package format's language code, e.g. {@code python3} */
    public String code() {
        return code;
    }

    /**
     * @param fileName a source file's name
     * @return its language, if this judge supports it
     */
    public static Optional<Language> of(String fileName) {
        for (Language l : values()) {
            for (String e : l.endings) {
                if (fileName.endsWith(e) && (e.equals(".C") || fileName.toLowerCase(Locale.ROOT).endsWith(e))) {
                    return Optional.of(l);
                }
            }
        }
        return Optional.empty();
    }

    /**
     * @param sources the source file names in {@link #PROGRAM_DIR}
     * @return the command that compiles (or checks) them there, into {@code PROGRAM_DIR}
     */
    List<String> compileCommand(List<String> sources) {
        List<String> cmd = new ArrayList<>();
        switch (this) {
            case C -> cmd.addAll(List.of("gcc", "-x", "c", "-O2", "-std=gnu17", "-pipe", "-o", "main"));
            case CPP -> cmd.addAll(List.of("g++", "-x", "c++", "-O2", "-std=gnu++17", "-pipe", "-o", "main"));
            case PYTHON3 -> cmd.addAll(List.of("python3", "-c",
                    "import sys\nfor f in sys.argv[1:]:\n    compile(open(f, 'rb').read(), f, 'exec')"));
            case JAVA -> cmd.addAll(List.of("javac", "-J-XX:+UseSerialGC", "-J-Xss64m", "-encoding", "UTF-8", "-d", "."));
        }
        cmd.addAll(sources);
        if (this == C || this == CPP) {
            cmd.add("-lm");
        }
        return cmd;
    }

    /**
     * @param sources the source file names
     * @param dir     the host directory that holds them
     * @return the command that runs the compiled program, inside a container
     */
    List<String> runCommand(List<String> sources, Path dir) {
        return switch (this) {
            case C, CPP -> List.of(PROGRAM_DIR + "/main");
            case PYTHON3 -> List.of("python3", "-S", PROGRAM_DIR + "/" + entry(sources, "main.py", dir, "__main__"));
            // No -Xmx: the JVM sizes its heap from the limits it can see.
            case JAVA -> List.of("java", "-Xss64m", "-XX:+UseSerialGC", "-cp", PROGRAM_DIR,
                    stripEnding(entry(sources, "Main.java", dir, "static void main")));
        };
    }

    private static String entry(List<String> sources, String preferred, Path dir, String marker) {
        if (sources.size() == 1) {
            return sources.get(0);
        }
        if (sources.contains(preferred)) {
            return preferred;
        }
        for (String s : sources) {
            try {
                if (Files.readString(dir.resolve(s), StandardCharsets.UTF_8).contains(marker)) {
                    return s;
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return sources.get(0);
    }

    private static String stripEnding(String file) {
        return file.substring(0, file.lastIndexOf('.'));
    }
}
