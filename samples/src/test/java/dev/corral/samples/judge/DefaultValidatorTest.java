package dev.corral.samples.judge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The default output validator's flags, as the package format defines them. */
class DefaultValidatorTest {

    private static boolean accepts(List<String> flags, String answer, String output) {
        return DefaultValidator.parse(flags).check(answer.getBytes(StandardCharsets.UTF_8),
                output.getBytes(StandardCharsets.UTF_8)).isEmpty();
    }

    @Test
    void tokensCompareIgnoringWhitespaceAndCase() {
        assertTrue(accepts(List.of(), "1 2\nYes\n", "  1\t2 yes"));
        assertTrue(!accepts(List.of(), "1 2", "1 2 3"));
        assertTrue(!accepts(List.of(), "1 2 3", "1 2"));
        assertTrue(!accepts(List.of(), "1 2", "1 3"));
        assertTrue(!accepts(List.of(), "1", ""));
        assertTrue(accepts(List.of(), "", "\n"));
    }

    @Test
    void caseSensitiveNeedsTheSameBytes() {
        assertTrue(!accepts(List.of("case_sensitive"), "Yes", "yes"));
        assertTrue(accepts(List.of("case_sensitive"), "Yes", " Yes\n"));
    }

    @Test
    void spaceChangeSensitiveNeedsTheSameWhitespace() {
        List<String> f = List.of("space_change_sensitive");
        assertTrue(accepts(f, "1 2\n", "1 2\n"));
        assertTrue(!accepts(f, "1 2\n", "1  2\n"));
        assertTrue(!accepts(f, "1 2\n", "1 2"));
        assertTrue(!accepts(f, "1 2\n", " 1 2\n"));
        assertTrue(!accepts(f, "1\n2\n", "1 2\n"));
    }

    @Test
    void floatTolerancesAcceptAnyFormattingWithinTheError() {
        assertTrue(accepts(List.of("float_tolerance", "1e-6"), "0.0314", "3.14000000e-2"));
        assertTrue(accepts(List.of("float_absolute_tolerance", "0.01"), "1000", "1000.009"));
        assertTrue(!accepts(List.of("float_absolute_tolerance", "0.01"), "1000", "1000.02"));
        assertTrue(accepts(List.of("float_relative_tolerance", "0.01"), "1000", "1009"));
        assertTrue(!accepts(List.of("float_relative_tolerance", "0.01"), "1000", "1011"));
        assertTrue(!accepts(List.of("float_tolerance", "1e-6"), "1.5", "abc"));
        assertTrue(accepts(List.of("float_tolerance", "1e-6"), "answer 1.5", "ANSWER 1.5000001"));
        assertTrue(!accepts(List.of(), "0.0314", "3.14e-2"), "without a tolerance floats are plain tokens");
    }

    @Test
    void aRejectionSaysWhere() {
        Optional<String> why = DefaultValidator.parse(List.of()).check("1 2".getBytes(), "1 3".getBytes());
        assertEquals(Optional.of("token 2: expected '2', got '3'"), why);
    }

    @Test
    void badFlagsAreProblemErrors() {
        assertThrows(ProblemFormatException.class, () -> DefaultValidator.parse(List.of("float_tolerance")));
        assertThrows(ProblemFormatException.class, () -> DefaultValidator.parse(List.of("float_tolerance", "x")));
        assertThrows(ProblemFormatException.class, () -> DefaultValidator.parse(List.of("ignore_case")));
        assertThrows(ProblemFormatException.class,
                () -> DefaultValidator.parse(List.of("float_tolerance", "1", "float_relative_tolerance", "1")));
    }
}
