package dev.corral.samples.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The help of the commands whose models are built in code (corral, run, and bench's container
 * options), against copies of what their annotations printed before: a model built in code must
 * read as the annotated one did, option for option. A change of wording updates the copy.
 */
class HelpTextTest {

    @ParameterizedTest
    @CsvSource({"corral.txt,--help", "corral.txt,-h", "run.txt,run --help", "run.txt,help run", "run.txt,run -h",
            "bench.txt,bench --help", "bench.txt,help bench"})
    void helpIsAsItWas(String copy, String args) throws IOException {
        CorralCommandTest.Outcome o = CorralCommandTest.corral(args.split(" "));
        assertEquals(0, o.exitCode(), o.err());
        assertEquals(expected(copy), o.out());
    }

    private static String expected(String name) throws IOException {
        try (InputStream in = HelpTextTest.class.getResourceAsStream("help/" + name)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }
}
