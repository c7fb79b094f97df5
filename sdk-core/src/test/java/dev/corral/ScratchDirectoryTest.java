package dev.corral;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.corral.unit.DataSize;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Files copied into a run's scratch directory before it starts and out after it ends, with a
 * per-file and a total cap; the directory gone afterwards, seen from the host.
 */
class ScratchDirectoryTest {

    /** Prints where the scratch directory's bind comes from (its root in the host's tmpfs), then runs the script. */
    private static String script(String body) {
        return "awk '$5 == \"/box\" { print $4 }' /proc/self/mountinfo > /dev/stderr; " + body;
    }

    private static Path hostDirectory(ContainerResult r) {
        String root = r.stderr().strip();
        assertTrue(root.contains("corral-scratch-"), "the bind's root: " + root);
        Path base = Files.isDirectory(Path.of("/dev/shm")) ? Path.of("/dev/shm") : Path.of(System.getProperty("java.io.tmpdir"));
        return base.resolve(root.substring(root.indexOf("corral-scratch-")));
    }

    @Test
    void filesGoInBeforeTheRunAndComeOutAfterItAndTheDirectoryIsGone(@TempDir Path dir) throws IOException {
        Path source = Files.writeString(dir.resolve("numbers.txt"), "3 4\n");
        ContainerResult r = Container.builder().timeout(Duration.ofSeconds(30))
                .scratch(ScratchDirectory.at("/box")
                        .copyIn("in.txt", Input.file(source))
                        .copyIn("greeting", Input.string("hello"))
                        .copyOut("sum.txt", "copy.txt"))
                .workingDirectory("/box")
                .run("/bin/sh", "-c", script("read a b < in.txt && echo $((a + b)) > sum.txt && cat greeting > copy.txt"));
        assertTrue(r.succeeded(), r + r.stderr());
        CopiedFiles out = r.files().orElseThrow();
        assertTrue(out.complete(), out.toString());
        assertEquals(Map.of("copy.txt", "hello", "sum.txt", "7\n"),
                Map.of("copy.txt", text(out, "copy.txt"), "sum.txt", text(out, "sum.txt")));
        assertFalse(Files.exists(hostDirectory(r)), "the scratch directory is removed with the run");
        assertFalse(Files.exists(hostDirectory(r).getParent()));
    }

    @Test
    void filesOverACapOrMissingOrNotPlainAreLeftOutAndNamed() {
        ContainerResult r = Container.builder().timeout(Duration.ofSeconds(30))
                .scratch(ScratchDirectory.at("/box").copyOut("a", "big", "b", "c", "link", "nothing", "sub")
                        .caps(DataSize.ofBytes(1000), DataSize.ofBytes(1500)))
                .workingDirectory("/box")
                .run("/bin/sh", "-c", script("head -c 600 /dev/zero > a; head -c 1001 /dev/zero > big; "
                        + "head -c 600 /dev/zero > b; head -c 600 /dev/zero > c; ln -s /etc/passwd link; mkdir sub"));
        assertTrue(r.succeeded(), r + r.stderr());
        CopiedFiles out = r.files().orElseThrow();
        assertFalse(out.complete());
        assertEquals(java.util.Set.of("a", "b"), out.files().keySet(), "in name order, until the total cap");
        assertArrayEquals(new byte[600], out.files().get("a"));
        assertEquals(Map.of("big", "over the per-file cap of 1000 bytes", "c", "over the total cap of 1500 bytes",
                "link", "not a regular file", "nothing", "missing", "sub", "not a regular file"), out.refused());
        assertFalse(Files.exists(hostDirectory(r)));
    }

    @Test
    void copyOutAllTakesEveryPlainFileAtTheTop() {
        ContainerResult r = Container.builder().timeout(Duration.ofSeconds(30))
                .scratch(ScratchDirectory.at("/feedback").copyOutAll())
                .run("/bin/sh", "-c", "echo ok > /feedback/judgemessage.txt; echo 1 > /feedback/score.txt; "
                        + "mkdir /feedback/d; echo x > /feedback/d/deep");
        assertTrue(r.succeeded(), r + r.stderr());
        assertEquals(java.util.Set.of("judgemessage.txt", "score.txt"), r.files().orElseThrow().files().keySet());
        assertTrue(r.files().orElseThrow().complete());
    }

    @Test
    void aFileOverACapOnTheWayInRefusesTheStartAndLeavesNothing(@TempDir Path dir) throws IOException {
        Path big = Files.write(dir.resolve("big"), new byte[2048]);
        long before = scratchDirs();
        ContainerSpec perFile = Container.builder()
                .scratch(ScratchDirectory.at("/box").copyIn("big", Input.file(big)).caps(DataSize.ofKibibytes(1), DataSize.ofKibibytes(8)))
                .build();
        ScratchCapExceededException e = assertThrows(ScratchCapExceededException.class, () -> perFile.run("/bin/true"));
        assertTrue(e.getMessage().contains("2048 bytes; at most 1024 per file"), e.getMessage());
        ContainerSpec total = Container.builder()
                .scratch(ScratchDirectory.at("/box").copyIn("a", Input.bytes(new byte[600])).copyIn("b", Input.bytes(new byte[600]))
                        .caps(DataSize.ofKibibytes(1), DataSize.ofKibibytes(1)))
                .build();
        e = assertThrows(ScratchCapExceededException.class, () -> total.run("/bin/true"));
        assertTrue(e.getMessage().contains("1200 bytes; at most 1024 in all"), e.getMessage());
        assertEquals(before, scratchDirs(), "no scratch directory left behind");
    }

    @Test
    void whatTheContainerWritesThereCountsAgainstItsMemoryLimit() {
        org.junit.jupiter.api.Assumptions.assumeTrue("root".equals(System.getProperty("user.name")),
                "a memory limit needs a cgroup: rootless on a cgroup v1 host (.ci/rootless-tests.sh) there is none");
        ContainerResult r = Container.builder().timeout(Duration.ofSeconds(60)).memory(DataSize.ofMebibytes(32))
                .scratch(ScratchDirectory.at("/box").copyOut("fill"))
                .run("/bin/sh", "-c", script("head -c 100000000 /dev/zero > /box/fill"));
        assertFalse(r.succeeded(), "100 MB written under a 32 MiB memory limit: " + r);
        assertFalse(Files.exists(hostDirectory(r)));
    }

    @Test
    void theScratchTargetMayNotAlsoBeAMount() {
        assertThrows(InvalidSpecException.class, () -> Container.builder().mount(Mount.tmpfs("/box"))
                .scratch(ScratchDirectory.at("/box")).build());
        assertThrows(InvalidSpecException.class, () -> ScratchDirectory.at("/box").copyOut("../etc"));
        assertThrows(InvalidSpecException.class, () -> ScratchDirectory.at("/"));
        assertThrows(InvalidSpecException.class, () -> ScratchDirectory.at("/box").copyIn("x", Input.pipe()));
    }

    private static String text(CopiedFiles out, String name) {
        return new String(out.files().get(name), StandardCharsets.UTF_8);
    }

    private static long scratchDirs() throws IOException {
        Path base = Files.isDirectory(Path.of("/dev/shm")) ? Path.of("/dev/shm") : Path.of(System.getProperty("java.io.tmpdir"));
        try (Stream<Path> s = Files.list(base)) {
            return s.filter(p -> p.getFileName().toString().startsWith("corral-scratch-")).count();
        }
    }
}
