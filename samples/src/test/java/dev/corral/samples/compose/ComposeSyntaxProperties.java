package dev.corral.samples.compose;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/** The small syntaxes inside a compose file: command words and variable interpolation. */
class ComposeSyntaxProperties {

    @Provide
    Arbitrary<List<String>> words() {
        return Arbitraries.strings().withChars("ab $'\"\\\t-=/#;{}").ofMaxLength(8).list().ofMaxSize(6);
    }

    @Property
    void joinedWordsSplitBackToTheSameWords(@ForAll("words") List<String> words) {
        assertEquals(Optional.of(words), ShellWords.split(ShellWords.join(words)));
    }

    @Example
    void wordsAreSplitAsAShellQuotesThem() {
        assertEquals(Optional.of(List.of("sh", "-c", "echo \"a b\" $x", "it's", "a\\b", "")),
                ShellWords.split("  sh -c 'echo \"a b\" $x' \"it's\" \"a\\\\b\" ''  "));
        assertEquals(Optional.of(List.of("a b", "c")), ShellWords.split("a\\ b\tc"));
        assertEquals(Optional.empty(), ShellWords.split("echo \"open"));
        assertEquals(Optional.empty(), ShellWords.split("trailing\\"));
    }

    @Provide
    Arbitrary<String> literals() {
        return Arbitraries.strings().withChars("ab:-{}/ $").ofMaxLength(20);
    }

    /** Doubling every '$' escapes a text: interpolation gives it back unchanged, whatever is set. */
    @Property
    void escapedDollarsComeBackLiterally(@ForAll("literals") String text) {
        List<String> warnings = new ArrayList<>();
        assertEquals(text, Interpolation.apply(text.replace("$", "$$"), Map.of("a", "X"), "k", warnings::add));
        assertEquals(List.of(), warnings);
    }

    @Property
    void aDefaultIsTakenExactlyWhenTheVariableIsUnsetOrEmpty(@ForAll("literals") String value) {
        String dflt = "d";
        Map<String, String> env = Map.of("V", value);
        String expected = value.isEmpty() ? dflt : value;
        assertEquals(expected, Interpolation.apply("${V:-d}", env, "k", w -> { }));
        assertEquals(value, Interpolation.apply("${V-d}", env, "k", w -> { }), "'-' without ':' keeps an empty value");
        assertEquals("d", Interpolation.apply("${UNSET:-d}", env, "k", w -> { }));
        assertEquals(value.isEmpty() ? "" : "alt", Interpolation.apply("${V:+alt}", env, "k", w -> { }));
    }

    @Example
    void interpolationForms() {
        Map<String, String> env = Map.of("A", "1", "B", "two", "EMPTY", "");
        List<String> warnings = new ArrayList<>();
        assertEquals("1-two-1x-$-$A-", Interpolation.apply("$A-${B}-${A}x-$-$$A-${NOPE}", env, "services.a.image", warnings::add));
        assertEquals(List.of("services.a.image: variable NOPE is not set, so it is an empty string"), warnings);
        assertEquals("fallback-two", Interpolation.apply("${EMPTY:-fallback-${B}}", env, "k", w -> { }));
        IllegalArgumentException required = assertThrows(IllegalArgumentException.class,
                () -> Interpolation.apply("${EMPTY:?must be set}", env, "services.a.image", w -> { }));
        assertEquals("services.a.image: variable EMPTY is required: must be set", required.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Interpolation.apply("${A", env, "k", w -> { }));
        assertThrows(IllegalArgumentException.class, () -> Interpolation.apply("${A/x/y}", env, "k", w -> { }));
    }
}
