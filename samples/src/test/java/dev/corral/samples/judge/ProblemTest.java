package dev.corral.samples.judge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.corral.unit.DataSize;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Reading problem packages, legacy and 2023-07, and deriving time limits; no containers. */
class ProblemTest {

    static final Path PROBLEMS = Path.of("judge/problems");

    @TempDir
    Path dir;

    @Test
    void legacyPackage() {
        Problem p = Problem.load(PROBLEMS.resolve("aplusb"));
        assertTrue(p.legacy());
        assertFalse(p.interactive());
        assertEquals(Optional.empty(), p.timeLimit());
        assertEquals(5.0, p.acToTimeLimit());
        assertEquals(2.0, p.timeLimitToTle());
        assertEquals(DataSize.ofMebibytes(64), p.memory());
        assertEquals(DataSize.ofMebibytes(1), p.output());
        assertEquals(Optional.empty(), p.outputValidator());
        assertEquals(List.of("sample/1", "secret/01", "secret/02", "secret/03", "secret/04"),
                p.tests().stream().map(TestCase::name).toList());
    }

    @Test
    void package2023WithValidatorArguments() {
        Problem p = Problem.load(PROBLEMS.resolve("floatmean"));
        assertFalse(p.legacy());
        assertEquals(Optional.of(Duration.ofSeconds(1)), p.timeLimit());
        assertEquals(List.of("float_tolerance", "1e-6"), p.tests().get(0).validatorArgs());
    }

    @Test
    void customAndInteractiveValidators() {
        Problem custom = Problem.load(PROBLEMS.resolve("oddsum"));
        assertFalse(custom.interactive());
        assertTrue(custom.outputValidator().orElseThrow().endsWith("output_validators/check"));
        Problem interactive = Problem.load(PROBLEMS.resolve("guess"));
        assertTrue(interactive.interactive());
        assertTrue(interactive.outputValidator().isPresent());
    }

    @Test
    void legacyCustomInteractSpellings() throws IOException {
        for (String validation : List.of("custom interactive", "custom interact")) {
            write("problem.yaml", "validation: " + validation + "\n");
            write("output_validators/v/v.py", "import sys\n");
            write("data/secret/1.in", "1\n");
            write("data/secret/1.ans", "1\n");
            assertTrue(Problem.load(dir).interactive(), validation);
        }
    }

    @Test
    void derivedTimeLimitsFollowTheFormat() throws IOException {
        Problem legacy = Problem.load(PROBLEMS.resolve("aplusb"));
        assertEquals(Duration.ofSeconds(1), legacy.deriveTimeLimit(Duration.ofMillis(50)));
        assertEquals(Duration.ofSeconds(2), legacy.deriveTimeLimit(Duration.ofMillis(201)));
        write("problem.yaml", "problem_format_version: 2023-07-draft\nlimits:\n  time_resolution: 0.5\n"
                + "  time_multipliers:\n    ac_to_time_limit: 3\n");
        write("data/secret/1.in", "1\n");
        write("data/secret/1.ans", "1\n");
        Problem p = Problem.load(dir);
        assertEquals(Duration.ofMillis(1500), p.deriveTimeLimit(Duration.ofMillis(400)));
        assertEquals(Duration.ofMillis(500), p.deriveTimeLimit(Duration.ofMillis(10)));
        write(".timelimit", "2.5\n");
        assertEquals(Optional.of(Duration.ofMillis(2500)), Problem.load(dir).timeLimit());
    }

    @Test
    void invalidPackagesSayWhy() throws IOException {
        assertThrows(ProblemFormatException.class, () -> Problem.load(dir));
        write("problem.yaml", "limits:\n  memory: -1\n");
        write("data/secret/1.in", "1\n");
        write("data/secret/1.ans", "1\n");
        assertTrue(assertThrows(ProblemFormatException.class, () -> Problem.load(dir)).getMessage().contains("memory"));
        write("problem.yaml", "validation: custom\n");
        assertTrue(assertThrows(ProblemFormatException.class, () -> Problem.load(dir)).getMessage()
                .contains("output_validators"));
        write("problem.yaml", "name: x\n");
        Files.delete(dir.resolve("data/secret/1.ans"));
        assertTrue(assertThrows(ProblemFormatException.class, () -> Problem.load(dir)).getMessage().contains("1.ans"));
    }

    private void write(String name, String text) throws IOException {
        Path f = dir.resolve(name);
        Files.createDirectories(f.getParent());
        Files.writeString(f, text);
    }
}
