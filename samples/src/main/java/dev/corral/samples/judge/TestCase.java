package dev.corral.samples.judge;

import java.nio.file.Path;
import java.util.List;
import java.util.Objects;

/**
 * One test case of a problem: an input file, the judge's answer, and the output validator's
 * arguments that apply to its group.
 *
 * <pre>{@code
 * TestCase t = problem.tests().get(0);
 * t.name();            // "sample/1"
 * t.validatorArgs();   // ["float_tolerance", "1e-6"]
 * }</pre>
 *
 * @param name          its path under {@code data/}, without the extension
 * @param input         the {@code .in} file
 * @param answer        the {@code .ans} file
 * @param validatorArgs arguments for the output validator (default or custom)
 */
public record TestCase(String name, Path input, Path answer, List<String> validatorArgs) {
    /** Checks and copies. */
    public TestCase {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(input, "input");
        Objects.requireNonNull(answer, "answer");
        validatorArgs = List.copyOf(validatorArgs);
    }
}
