package dev.corral.internal.build;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.corral.image.ImageBuildException;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.StringLength;
import org.junit.jupiter.api.Test;

/** The Dockerfile grammar, the argument language and .dockerignore, on text alone. */
class DockerfileTest {
    @Test
    void continuationsCommentsFlagsAndTheJsonForm() {
        Dockerfile f = Dockerfile.parse("""
                # a comment before anything
                FROM  busybox:1.36 AS build

                RUN echo one \\
                # a comment inside the continuation is dropped
                    two \\

                    three
                copy --chown=1:2 --from=build a b
                CMD ["sh", "-c", "echo hi"]
                CMD [not json
                """, "Dockerfile");
        List<Dockerfile.Instruction> i = f.instructions();
        assertEquals(5, i.size());
        assertEquals("FROM", i.get(0).keyword());
        assertEquals(2, i.get(0).line());
        assertEquals("busybox:1.36 AS build", i.get(0).args());
        assertEquals("RUN", i.get(1).keyword());
        assertEquals(4, i.get(1).line());
        assertEquals("echo one     two     three", i.get(1).args());
        assertEquals("COPY", i.get(2).keyword());
        assertEquals(Map.of("chown", "1:2", "from", "build"), i.get(2).flags());
        assertEquals("a b", i.get(2).args());
        assertEquals(Optional.of(List.of("sh", "-c", "echo hi")), i.get(3).json());
        assertEquals(Optional.empty(), i.get(4).json());
        assertEquals("[not json", i.get(4).args());
    }

    @Test
    void theEscapeDirectiveOnlyCountsAtTheTop() {
        Dockerfile f = Dockerfile.parse("# escape=`\nFROM scratch\nRUN dir c:\\ `\n  && echo x\n", "D");
        assertEquals('`', f.escape());
        assertEquals("dir c:\\   && echo x", f.instructions().get(1).args());
        Dockerfile late = Dockerfile.parse("FROM scratch\n# escape=`\nRUN a `\n", "D");
        assertEquals('\\', late.escape());
        assertEquals("a `", late.instructions().get(1).args());
        ImageBuildException e = assertThrows(ImageBuildException.class, () -> Dockerfile.parse("# escape=x\nFROM a\n", "D"));
        assertEquals(Optional.of(1), e.line());
    }

    @Test
    void heredocsAndMissingArgumentsAreErrorsWithTheirLine() {
        ImageBuildException h = assertThrows(ImageBuildException.class,
                () -> Dockerfile.parse("FROM a\n\nRUN <<EOF\necho\nEOF\n", "Dockerfile"));
        assertEquals(Optional.of(3), h.line());
        assertTrue(h.getMessage().contains("heredoc"), h.getMessage());
        ImageBuildException m = assertThrows(ImageBuildException.class, () -> Dockerfile.parse("FROM a\nWORKDIR\n", "D"));
        assertEquals(Optional.of(2), m.line());
    }

    @Test
    void wordsQuotesEscapesAndVariables() {
        Map<String, String> v = Map.of("A", "x y", "E", "");
        assertEquals(List.of("x y", "$A", "a b"), Words.words("\"$A\" '$A' a\\ b", '\\', v));
        assertEquals("dflt|x y|alt||set", Words.expand("${N:-dflt}|${A:-no}|${A:+alt}|${E:+alt}|${E+set}", '\\', v));
        assertEquals("$5 $", Words.expand("\\$5 $", '\\', v));
        assertEquals("pre-x y-post", Words.expand("pre-${A}-post", '\\', v));
        assertThrows(Words.ExpansionException.class, () -> Words.expand("${N:?must be set}", '\\', v));
        assertThrows(Words.ExpansionException.class, () -> Words.expand("${A", '\\', v));
    }

    @Property
    void aSingleQuotedWordIsItsTextExactly(@ForAll @StringLength(max = 40) String s) {
        if (s.indexOf('\'') >= 0) {
            return;
        }
        assertEquals(s, Words.expand("'" + s + "'", '\\', Map.of("A", "1")));
    }

    @Property
    void anEscapedTextIsItsTextExactly(@ForAll @StringLength(max = 40) String s) {
        StringBuilder b = new StringBuilder();
        for (char c : s.toCharArray()) {
            b.append('\\').append(c);
        }
        assertEquals(s, Words.expand(b.toString(), '\\', Map.of()));
        assertEquals(s.isEmpty() ? 0 : 1, Words.split(b.toString(), '\\').size());
    }

    @Test
    void dockerignoreLastMatchWinsAndDirectoriesCoverTheirContents() {
        DockerIgnore d = DockerIgnore.parse("""
                # comment
                *.log
                secret/
                /build
                **/tmp
                !keep.log
                docs/*.md
                !docs/README.md
                """);
        assertTrue(d.ignored("a.log"));
        assertFalse(d.ignored("keep.log"));
        assertFalse(d.ignored("sub/a.log"), "* does not cross /");
        assertTrue(d.ignored("secret/key"));
        assertTrue(d.ignored("build/out/x"));
        assertTrue(d.ignored("a/b/tmp/c"));
        assertTrue(d.ignored("tmp"));
        assertTrue(d.ignored("docs/x.md"));
        assertFalse(d.ignored("docs/README.md"));
        assertFalse(d.ignored("src/Main.java"));
        assertEquals("a/c", DockerIgnore.clean("/./a/b/../c/"));
    }

    @Test
    void theJsonFormIsAnArrayOfStringsAndNothingElse() {
        assertEquals(Optional.of(List.of("a", "b c", "\u00e9\n")), Dockerfile.json("[\"a\", \"b c\", \"\\u00e9\\n\"]"));
        assertEquals(Optional.of(List.of()), Dockerfile.json("[]"));
        assertEquals(Optional.empty(), Dockerfile.json("[\"a\", 1]"), "a number: the shell form");
        assertEquals(Optional.empty(), Dockerfile.json("[[\"a\"]]"), "a nested array");
        assertEquals(Optional.empty(), Dockerfile.json("[\"a\"] b"), "something after the array");
        assertEquals(Optional.empty(), Dockerfile.json("[\"a\""), "not closed");
        assertEquals(Optional.empty(), Dockerfile.json("{\"a\": 1}"), "not an array");
    }
}
