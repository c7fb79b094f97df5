package dev.corral.samples.judge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@code corral-judge} end to end with real containers: {@code --verify} on every shipped problem
 * (each submission must get its folder's verdict: the isolation attacks, the limits, the
 * validators), and single judgements with CE, an unsupported language and JSON.
 */
class JudgeCommandTest {

    @TempDir
    Path dir;

    record Outcome(int exitCode, String out, String err) {}

    static Outcome judge(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = JudgeCommand.execute(new PrintWriter(out, true), new PrintWriter(err, true), args);
        return new Outcome(code, out.toString(), err.toString());
    }

    static Stream<Path> shippedProblems() throws IOException {
        try (Stream<Path> s = Files.list(ProblemTest.PROBLEMS)) {
            return s.sorted().toList().stream();
        }
    }

    @ParameterizedTest
    @MethodSource("shippedProblems")
    void everyShippedSubmissionGetsItsFoldersVerdict(Path problem) {
        Outcome o = judge("--verify", problem.toString());
        assertEquals(0, o.exitCode(), o.out() + o.err());
        assertTrue(o.out().contains("submissions got their folder's verdict"), o.out());
        assertTrue(!o.out().contains("FAIL"), o.out());
    }

    @Test
    void aCompileErrorIsCeWithTheCompilersMessage() throws IOException {
        Path bad = Files.writeString(dir.resolve("bad.c"), "int main(void) { return nope; }\n");
        Outcome o = judge("judge/problems/aplusb", bad.toString(), "--time-limit", "1");
        assertEquals(1, o.exitCode(), o.out() + o.err());
        assertTrue(o.out().contains("nope") && o.out().contains("undeclared"), o.out());
        assertTrue(o.out().strip().endsWith("verdict: CE"), o.out());
    }

    @Test
    void anotherLanguageIsUnsupported() throws IOException {
        Path rb = Files.writeString(dir.resolve("a.rb"), "puts gets.split.map(&:to_i).sum\n");
        Outcome o = judge("judge/problems/aplusb", rb.toString(), "--time-limit", "1");
        assertEquals(3, o.exitCode(), o.out() + o.err());
        assertTrue(o.err().contains("unsupported language"), o.err());
    }

    @Test
    void aJudgementPrintsOneLinePerTestAndWritesJson() throws IOException {
        Path json = dir.resolve("j.json");
        Outcome o = judge("judge/problems/oddsum", "judge/problems/oddsum/submissions/wrong_answer/even_parts.py",
                "--time-limit", "2", "--json", json.toString());
        assertEquals(1, o.exitCode(), o.out() + o.err());
        assertTrue(o.out().lines().anyMatch(l -> l.matches("sample/1 +WA +\\d+\\.\\d{3}s +\\d+\\.\\d MiB  the numbers must be odd")),
                o.out());
        assertTrue(o.out().strip().endsWith("verdict: WA"), o.out());
        JsonNode j = new ObjectMapper().readTree(json.toFile());
        assertEquals("WA", j.get("verdict").asText());
        assertEquals(2.0, j.get("timeLimitSeconds").asDouble());
        assertEquals("WA", j.get("tests").get(0).get("verdict").asText());
    }
}
