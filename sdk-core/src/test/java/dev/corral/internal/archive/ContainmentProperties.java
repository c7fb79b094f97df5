package dev.corral.internal.archive;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

/**
 * For random sequences of entries (names with "..", "/", ".", symlinks to anywhere, hardlinks to
 * any name, directories, files, fifos), extraction either succeeds or refuses with an
 * {@link ArchiveException}, and in both cases nothing beside the target changes.
 */
class ContainmentProperties {
    private static Path base;
    private static int tries;

    @BeforeContainer
    static void createBase() throws IOException {
        base = Files.createTempDirectory("corral-archive-properties");
    }

    @AfterContainer
    static void deleteBase() throws IOException {
        deleteTree(base);
    }

    static void deleteTree(Path root) throws IOException {
        try (Stream<Path> s = Files.walk(root)) {
            for (Path p : (Iterable<Path>) s.sorted(Comparator.reverseOrder())::iterator) {
                Files.delete(p);
            }
        }
    }

    enum Kind { DIR, FILE, SYMLINK, HARDLINK, FIFO }

    record Op(Kind kind, String name, String link) {
    }

    @Provide
    Arbitrary<String> names() {
        // Few names, so that later entries often go through earlier symlinks; "outside" and
        // "secret" spell the sentinel's names, "OUT" the sentinel's absolute path.
        Arbitrary<String> component = Arbitraries.of("a", "b", "..", ".", "", "outside", "secret", "OUT");
        return component.list().ofMinSize(1).ofMaxSize(4).map(l -> String.join("/", l))
                .flatMap(n -> Arbitraries.of(n, "/" + n, "./" + n, n + "/"));
    }

    @Provide
    Arbitrary<List<Op>> ops() {
        Arbitrary<String> linkTargets = Arbitraries.oneOf(names(),
                Arbitraries.of("/", "..", "../..", "../outside", "../../outside", "../outside/secret", "/OUT",
                        "/OUT/secret", "/proc/self/root", "/proc/self/cwd", "a/../../..", "/etc/passwd"));
        Arbitrary<Op> op = Combinators.combine(Arbitraries.of(Kind.class), names(), linkTargets).as(Op::new);
        return op.list().ofMinSize(1).ofMaxSize(30);
    }

    @Property(tries = 500)
    void nothingIsWrittenOutsideTheTarget(@ForAll("ops") List<Op> ops, @ForAll boolean openat2) throws IOException {
        Path dir = Files.createDirectory(base.resolve("try" + tries++));
        try {
            Sandbox box = new Sandbox(dir);
            Map<String, String> before = box.outsideSnapshot();
            String outside = box.outside.toAbsolutePath().toString();
            TarBuilder tar = new TarBuilder();
            for (Op o : ops) {
                String name = o.name().replace("OUT", outside.substring(1));
                String link = o.link().replace("OUT", outside.substring(1));
                switch (o.kind()) {
                    case DIR -> tar.dir(name);
                    case FILE -> tar.file(name.endsWith("/") ? name + "f" : name, "pwned");
                    case SYMLINK -> tar.symlink(name.endsWith("/") ? name + "l" : name, link);
                    case HARDLINK -> tar.hardlink(name.endsWith("/") ? name + "h" : name, link);
                    case FIFO -> tar.fifo(name.endsWith("/") ? name + "p" : name, 0644);
                }
            }
            List<String> outcome = new ArrayList<>();
            try {
                box.extract(tar.build(), ExtractOptions.builder().useOpenat2(openat2).build());
                outcome.add("extracted");
            } catch (ArchiveException e) {
                outcome.add("refused: " + e.getMessage());
            }
            assertEquals(before, box.outsideSnapshot(), "outside changed; " + outcome + " for " + ops);
        } finally {
            deleteTree(dir);
        }
    }
}
