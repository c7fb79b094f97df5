package dev.corral.samples.judge;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.corral.unit.DataSize;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * A problem package in the problemarchive.org problem package format, legacy or 2023-07 (and
 * its final form, 2025-09): {@code problem.yaml}, {@code data/sample} and {@code data/secret}
 * with {@code .in}/{@code .ans} pairs, the default or a custom output validator, interactive
 * problems.
 *
 * <pre>{@code
 * Problem p = Problem.load(Path.of("problems/aplusb"));
 * p.interactive();   // false
 * p.memory();        // 256 MiB
 * p.tests();         // sample/1, secret/01, secret/02, ...
 * }</pre>
 *
 * @param directory        the package's root
 * @param name             its name (English, when several)
 * @param formatVersion    {@code legacy}, {@code 2023-07}, {@code 2023-07-draft}, {@code 2025-09}, ...
 * @param interactive      whether the output validator talks to the submission while it runs
 * @param timeLimit        the time limit per test case: {@code problem.yaml}'s {@code time_limit}
 *                         (2023-07), else a {@code .timelimit} file (as problemtools and
 *                         DOMjudge keep it); empty when it must be derived from the accepted
 *                         submissions
 * @param acToTimeLimit    the slowest accepted submission times this is at most the time limit
 *                         (legacy {@code time_multiplier}, default 5; 2023-07 {@code ac_to_time_limit}, 2)
 * @param timeLimitToTle   the time limit times this is at most the fastest TLE submission
 *                         (legacy {@code time_safety_margin}, 2; 2023-07 {@code time_limit_to_tle}, 1.5)
 * @param timeResolution   a derived time limit is a multiple of this (1 s unless 2023-07 says otherwise)
 * @param memory           the memory limit of a submission (default 2048 MiB)
 * @param output           the output limit of a submission (default 8 MiB)
 * @param code             the size limit of a submission's source (default 128 KiB)
 * @param compilationTime  what compiling may take (default 60 s)
 * @param compilationMemory what compiling may use (default 2048 MiB)
 * @param validationTime   what an output validator may take per test (default 60 s)
 * @param validationMemory what an output validator may use (default 2048 MiB)
 * @param validationOutput what an output validator may write, feedback files included (default 8 MiB)
 * @param outputValidator  the custom output validator's source (a file or a directory), if any
 * @param tests            the test cases, samples first, each group in lexicographic order
 */
public record Problem(Path directory, String name, String formatVersion, boolean interactive,
                      Optional<Duration> timeLimit, double acToTimeLimit, double timeLimitToTle, double timeResolution,
                      DataSize memory, DataSize output, DataSize code, Duration compilationTime,
                      DataSize compilationMemory, Duration validationTime, DataSize validationMemory,
                      DataSize validationOutput, Optional<Path> outputValidator, List<TestCase> tests) {

    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

    /** Checks and copies. */
    public Problem {
        Objects.requireNonNull(directory, "directory");
        Objects.requireNonNull(timeLimit, "timeLimit");
        Objects.requireNonNull(outputValidator, "outputValidator");
        tests = List.copyOf(tests);
    }

    /** @return whether this is the legacy format (no {@code problem_format_version}, or {@code legacy*}) */
    public boolean legacy() {
        return formatVersion.startsWith("legacy");
    }

    /**
     * @param limit the time limit in force
     * @return this problem with that time limit
     */
    public Problem withTimeLimit(Duration limit) {
        return new Problem(directory, name, formatVersion, interactive, Optional.of(limit), acToTimeLimit, timeLimitToTle,
                timeResolution, memory, output, code, compilationTime, compilationMemory, validationTime,
                validationMemory, validationOutput, outputValidator, tests);
    }

    /**
     * The time limit the package's rules give for the slowest accepted submission's CPU time:
     * the smallest multiple of {@link #timeResolution()} at least {@code slowest * acToTimeLimit}.
     *
     * @param slowestAccepted the slowest accepted submission's CPU time on any test case
     * @return the time limit
     */
    public Duration deriveTimeLimit(Duration slowestAccepted) {
        double seconds = slowestAccepted.toNanos() / 1e9 * acToTimeLimit;
        double steps = Math.max(1, Math.ceil(seconds / timeResolution - 1e-9));
        return Duration.ofNanos(Math.round(steps * timeResolution * 1e9));
    }

    /**
     * Reads a problem package.
     *
     * @param directory the package's root, holding {@code problem.yaml}
     * @return the problem
     * @throws ProblemFormatException if it is not a valid package
     */
    public static Problem load(Path directory) {
        Path dir = directory.toAbsolutePath().normalize();
        Path yamlFile = dir.resolve("problem.yaml");
        if (!Files.isRegularFile(yamlFile)) {
            throw new ProblemFormatException(dir + ": no problem.yaml: not a problem package");
        }
        JsonNode yaml = readYaml(yamlFile);
        if (yaml.isMissingNode() || yaml.isNull()) {
            yaml = YAML.createObjectNode();
        }
        if (!yaml.isObject()) {
            throw new ProblemFormatException(yamlFile + ": must be a map of keys");
        }
        String version = yaml.path("problem_format_version").asText("legacy");
        boolean legacy = version.startsWith("legacy");
        String name = nameOf(yaml.path("name"), dir);
        JsonNode limits = yaml.path("limits");

        boolean interactive;
        boolean custom;
        List<String> problemFlags;
        if (legacy) {
            List<String> validation = words(yaml.path("validation").asText("default"));
            custom = validation.contains("custom");
            interactive = custom && (validation.contains("interactive") || validation.contains("interact"));
            if (!custom && !validation.equals(List.of("default"))) {
                throw new ProblemFormatException(yamlFile + ": validation: '" + String.join(" ", validation)
                        + "' must be 'default' or 'custom' followed by 'interactive' and/or 'score'");
            }
            problemFlags = words(yaml.path("validator_flags").asText(""));
        } else {
            List<String> types = new ArrayList<>();
            JsonNode type = yaml.path("type");
            if (type.isArray()) {
                type.forEach(t -> types.add(t.asText()));
            } else {
                types.add(type.asText("pass-fail"));
            }
            for (String t : types) {
                if (!List.of("pass-fail", "interactive").contains(t)) {
                    throw new ProblemFormatException(yamlFile + ": type '" + t + "' is not supported by this judge "
                            + "(pass-fail and interactive are)");
                }
            }
            interactive = types.contains("interactive");
            custom = interactive || validatorSource(dir).isPresent()
                    || yaml.path("validation").asText("default").startsWith("custom");
            problemFlags = List.of();
        }
        Optional<Path> validator = custom ? validatorSource(dir) : Optional.empty();
        if (custom && validator.isEmpty()) {
            throw new ProblemFormatException(dir + ": a custom or interactive problem needs its validator in "
                    + (legacy ? "output_validators/" : "output_validator/ (or output_validators/)"));
        }

        Optional<Duration> timeLimit = Optional.empty();
        double acTo;
        double toTle;
        double resolution = 1.0;
        if (legacy) {
            acTo = positive(limits, "time_multiplier", 5, yamlFile);
            toTle = positive(limits, "time_safety_margin", 2, yamlFile);
        } else {
            JsonNode mult = limits.path("time_multipliers");
            acTo = positive(mult, "ac_to_time_limit", 2.0, yamlFile);
            toTle = positive(mult, "time_limit_to_tle", 1.5, yamlFile);
            resolution = positive(limits, "time_resolution", 1.0, yamlFile);
            if (limits.has("time_limit")) {
                timeLimit = Optional.of(seconds(positive(limits, "time_limit", 1, yamlFile)));
            }
        }
        if (timeLimit.isEmpty()) {
            timeLimit = dotTimeLimit(dir);
        }
        return new Problem(dir, name, version, interactive, timeLimit, acTo, toTle, resolution,
                mebibytes(limits, "memory", 2048, yamlFile), mebibytes(limits, "output", 8, yamlFile),
                DataSize.ofKibibytes((long) positive(limits, "code", 128, yamlFile)),
                seconds(positive(limits, "compilation_time", 60, yamlFile)),
                mebibytes(limits, "compilation_memory", 2048, yamlFile),
                seconds(positive(limits, "validation_time", 60, yamlFile)),
                mebibytes(limits, "validation_memory", 2048, yamlFile),
                mebibytes(limits, "validation_output", 8, yamlFile),
                validator, readTests(dir, problemFlags));
    }

    private static JsonNode readYaml(Path file) {
        try {
            return YAML.readTree(file.toFile());
        } catch (IOException e) {
            throw new ProblemFormatException(file + ": not valid YAML: " + e.getMessage());
        }
    }

    private static String nameOf(JsonNode name, Path dir) {
        if (name.isTextual()) {
            return name.asText();
        }
        if (name.isObject() && name.size() > 0) {
            return name.has("en") ? name.get("en").asText() : name.elements().next().asText();
        }
        return dir.getFileName().toString();
    }

    /** The validator's source: 2025-09 {@code output_validator/}, else the one entry of {@code output_validators/}. */
    private static Optional<Path> validatorSource(Path dir) {
        Path single = dir.resolve("output_validator");
        if (Files.isDirectory(single)) {
            return Optional.of(single);
        }
        Path many = dir.resolve("output_validators");
        if (!Files.isDirectory(many)) {
            return Optional.empty();
        }
        List<Path> entries = list(many);
        if (entries.size() != 1) {
            throw new ProblemFormatException(many + ": this judge runs exactly one output validator; found "
                    + entries.size());
        }
        return Optional.of(entries.get(0));
    }

    private static Optional<Duration> dotTimeLimit(Path dir) {
        Path f = dir.resolve(".timelimit");
        if (!Files.isRegularFile(f)) {
            return Optional.empty();
        }
        try {
            double s = Double.parseDouble(Files.readString(f).trim());
            if (!(s > 0)) {
                throw new ProblemFormatException(f + ": the time limit must be positive");
            }
            return Optional.of(seconds(s));
        } catch (NumberFormatException e) {
            throw new ProblemFormatException(f + ": not a number of seconds");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static List<TestCase> readTests(Path dir, List<String> problemFlags) {
        Path data = dir.resolve("data");
        List<TestCase> tests = new ArrayList<>();
        for (String group : List.of("sample", "secret")) {
            Path g = data.resolve(group);
            if (Files.isDirectory(g)) {
                collect(data, g, groupFlags(data, problemFlags), tests);
            }
        }
        if (tests.stream().noneMatch(t -> t.name().startsWith("secret/"))) {
            throw new ProblemFormatException(data + ": no test case in data/secret");
        }
        return tests;
    }

    /** Flags of {@code dir}: its own testdata.yaml / test_group.yaml, else its parent's. */
    private static List<String> groupFlags(Path dir, List<String> inherited) {
        for (String file : List.of("test_group.yaml", "testdata.yaml")) {
            Path f = dir.resolve(file);
            if (Files.isRegularFile(f)) {
                JsonNode y = readYaml(f);
                for (String key : List.of("output_validator_args", "output_validator_flags")) {
                    JsonNode v = y.path(key);
                    if (v.isArray()) {
                        List<String> args = new ArrayList<>();
                        v.forEach(a -> args.add(a.asText()));
                        return args;
                    }
                    if (v.isTextual()) {
                        return words(v.asText());
                    }
                }
            }
        }
        return inherited;
    }

    private static void collect(Path data, Path dir, List<String> flags, List<TestCase> into) {
        for (Path p : list(dir)) {
            if (Files.isDirectory(p)) {
                collect(data, p, groupFlags(p, flags), into);
            } else if (p.getFileName().toString().endsWith(".in")) {
                String file = p.getFileName().toString();
                Path ans = p.resolveSibling(file.substring(0, file.length() - 3) + ".ans");
                if (!Files.isRegularFile(ans)) {
                    throw new ProblemFormatException(p + ": no " + ans.getFileName() + " next to it");
                }
                String rel = data.relativize(p).toString();
                into.add(new TestCase(rel.substring(0, rel.length() - 3), p, ans, flags));
            }
        }
    }

    static List<Path> list(Path dir) {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> !p.getFileName().toString().startsWith(".")).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static List<String> words(String s) {
        String t = s.trim();
        return t.isEmpty() ? List.of() : Arrays.asList(t.split("\\s+"));
    }

    private static double positive(JsonNode map, String key, double dflt, Path file) {
        JsonNode v = map.path(key);
        if (v.isMissingNode() || v.isNull()) {
            return dflt;
        }
        if (!v.isNumber() || !(v.asDouble() > 0)) {
            throw new ProblemFormatException(file + ": " + key + " must be a positive number, not '" + v.asText() + "'");
        }
        return v.asDouble();
    }

    private static DataSize mebibytes(JsonNode limits, String key, long dflt, Path file) {
        return DataSize.ofKibibytes(Math.round(positive(limits, key, dflt, file) * 1024));
    }

    private static Duration seconds(double s) {
        return Duration.ofNanos(Math.round(s * 1e9));
    }

    @Override
    public String toString() {
        return "Problem[" + name + ", " + formatVersion.toLowerCase(Locale.ROOT) + ", " + tests.size() + " tests]";
    }
}
