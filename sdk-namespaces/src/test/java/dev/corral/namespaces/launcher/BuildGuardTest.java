package dev.corral.namespaces.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The build's guards over the launcher's source pass on the real tree and fail on a planted
 * violation: check-wire.sh (no wire constant written by hand) and check-c-budget.sh.
 */
class BuildGuardTest {
    private static final Path C_DIR = Path.of("src/main/c").toAbsolutePath();
    private static final Path JAVA_DIR = Path.of("src/main/java").toAbsolutePath();

    record Outcome(int status, String output) {}

    private static Outcome sh(String script, String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of("sh", C_DIR.resolve(script).toString()));
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        return new Outcome(p.waitFor(), output);
    }

    private static Path copyOfC(Path dir) throws IOException {
        Path c = Files.createDirectories(dir.resolve("c"));
        try (var files = Files.list(C_DIR)) {
            for (Path f : (Iterable<Path>) files::iterator) {
                Files.copy(f, c.resolve(f.getFileName()));
            }
        }
        return c;
    }

    @Test
    void theTreeHasNoWireConstantWrittenByHand() throws Exception {
        Outcome o = sh("check-wire.sh", C_DIR.toString(), JAVA_DIR.toString());
        assertEquals(0, o.status(), o.output());
    }

    @Test
    void aTagDefinedByHandInTheCFailsTheWireCheck() throws Exception {
        Path c = copyOfC(Files.createDirectory(tmp.resolve("tag")));
        Files.writeString(c.resolve("extra.h"), "#define TAG_SOMETHING 31\n");
        Outcome o = sh("check-wire.sh", c.toString(), JAVA_DIR.toString());
        assertEquals(1, o.status(), o.output());
        assertTrue(o.output().contains("extra.h:1:#define TAG_SOMETHING 31"), o.output());
    }

    @Test
    void aMessageTypeOrKindNumberedByHandInJavaFailsTheWireCheck() throws Exception {
        Path java = Files.createDirectories(tmp.resolve("java"));
        Files.writeString(java.resolve("Mirror.java"), """
                class Mirror {
                    static final int MSG_EXITED = 4;
                    enum Kind {
                        SYMLINK(3);
                        Kind(int wire) {}
                    }
                }
                """);
        Outcome o = sh("check-wire.sh", C_DIR.toString(), java.toString());
        assertEquals(1, o.status(), o.output());
        assertTrue(o.output().contains("Mirror.java:2:") && o.output().contains("Mirror.java:4:"), o.output());
    }

    @Test
    void theCFitsTheBudgetTheBuildChecks() throws Exception {
        // the same numbers as launcher.c.max.* in this module's pom.xml
        String pom = Files.readString(Path.of("pom.xml"));
        Outcome o = sh("check-c-budget.sh", C_DIR.toString(), property(pom, "launcher.c.max.total"),
                property(pom, "launcher.c.max.file"), property(pom, "launcher.c.max.function"));
        assertEquals(0, o.status(), o.output());
    }

    @Test
    void aLongFunctionAndALongFileFailTheBudget() throws Exception {
        Path c = copyOfC(Files.createDirectory(tmp.resolve("budget")));
        StringBuilder body = new StringBuilder("static int long_one(void) {\n");
        body.append("    int x = 0;\n".repeat(100)).append("    return x;\n}\n");
        Files.writeString(c.resolve("extra.c"), body);
        Outcome o = sh("check-c-budget.sh", c.toString(), "100000", "100", "80");
        assertEquals(1, o.status(), o.output());
        assertTrue(o.output().contains("extra.c has 103 lines, more than 100"), o.output());
        assertTrue(o.output().contains("extra.c:1: 103 lines: static int long_one(void) {"), o.output());
    }

    private static String property(String pom, String name) {
        int start = pom.indexOf("<" + name + ">") + name.length() + 2;
        return pom.substring(start, pom.indexOf("</" + name + ">", start));
    }

    @TempDir
    Path tmp;
}
