package dev.corral.samples.ci;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.corral.image.ImageStore;
import dev.corral.unit.DataSize;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * samples/ci builds real projects in its sandbox, as root (mvn verify) and rootless
 * (.ci/rootless-tests.sh), without --userns root and without chmod: a Maven project with its
 * tests, offline, from a cache volume seeded from a Maven repository (as root, the host's 0750
 * ~/.m2, read as its owner); a C project with make. What the builds make belongs to the
 * workspace's owner.
 */
class CiRunnerTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    /** Root in the host's namespace; otherwise the rootless run (.ci/rootless-tests.sh). */
    private static final boolean ROOT = "root".equals(System.getProperty("user.name"));

    /**
     * Memory and process limits, as root; rootless on a host that delegates no cgroup (the
     * hybrid v1 machines, where rootless-tests.sh runs) a limit is an error by design
     * (UnprivilegedLimitsTest), so the rootless run builds without.
     */
    private static CiJob.Builder limits(CiJob.Builder b, DataSize memory, long pids) {
        return ROOT ? b.memory(memory).pids(pids) : b;
    }

    private static long owner(Path p) throws IOException {
        return ((Number) Files.getAttribute(p, "unix:uid")).longValue();
    }

    private static void chown(Path p, String ids) throws Exception {
        assertEquals(0, new ProcessBuilder("chown", "-R", ids, p.toString()).inheritIO().start().waitFor());
    }

    /**
     * A Maven project with a class and a JUnit 5 test, pinned to the plugins this build itself
     * uses (test resources, ci/maven-demo), and ci-settings.xml: the seed as a file:// mirror.
     */
    private Path mavenProject() throws Exception {
        Path demo = Path.of(CiRunnerTest.class.getResource("/ci/maven-demo").toURI());
        Path ws = dir.resolve("maven");
        try (var walk = Files.walk(demo)) {
            for (Path p : walk.toList()) {
                Files.copy(p, ws.resolve(demo.relativize(p).toString()));
            }
        }
        return ws;
    }

    /** Where the seed is: the host's Maven repository (rootless-tests.sh gives the unprivileged user one of its own). */
    private static Path seed() {
        String given = System.getProperty("corral.ci.seed");
        return given != null ? Path.of(given) : Path.of(System.getProperty("user.home"), ".m2", "repository");
    }

    @Test
    void aMavenProjectBuildsWithItsTestsOfflineFromACacheVolumeSeededFromTheHosts0750Repository() throws Exception {
        Path repo = seed();
        assertTrue(Files.isDirectory(repo.resolve("org/apache/maven/plugins/maven-surefire-plugin/3.5.4")),
                "the seed holds the plugins: " + repo);
        Path ws = mavenProject();
        ImageStore store = ImageStore.open(dir.resolve("store"));
        List<String> mvn = List.of("mvn", "-B", "-q", "-s", "ci-settings.xml", "package");

        /* first build: network none, so the plugins and JUnit come from the seed (the host's
           repository, read as its owner: ~/.m2 is 0750 root) into the cache volume */
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        CiResult first = CiRunner.run(limits(CiJob.builder(ws, mvn).cacheVolume(store, "m2", "/cache")
                .cacheDirectory(repo, "/seed", true), DataSize.ofGibibytes(1), 512).timeout(Duration.ofMinutes(5)).build(), log);
        assertTrue(first.passed(), () -> first.toJson() + "\n" + log);
        assertTrue(Files.isRegularFile(ws.resolve("target/surefire-reports/TEST-demo.GreeterTest.xml")), log::toString);
        assertTrue(Files.readString(ws.resolve("target/surefire-reports/TEST-demo.GreeterTest.xml")).contains("tests=\"1\""));
        assertEquals(owner(ws), owner(ws.resolve("target/demo-1.0.jar")), "the jar is the workspace owner's");
        assertEquals(ROOT ? 0 : owner(dir), owner(ws.resolve("target/demo-1.0.jar")),
                "root's workspace, root's jar (rootless: the caller's): no unprivileged host ID");
        assertTrue(Files.isDirectory(store.volume("m2").resolve("m2/org/junit/jupiter")), "the cache volume was filled");

        /* second build: offline (-o) from the cache volume alone, the seed gone */
        deleteTarget(ws);
        ByteArrayOutputStream log2 = new ByteArrayOutputStream();
        CiResult second = CiRunner.run(CiJob.builder(ws, List.of("mvn", "-B", "-q", "-o", "-s", "ci-settings.xml", "package"))
                .cacheVolume(store, "m2", "/cache").timeout(Duration.ofMinutes(5)).build(), log2);
        assertTrue(second.passed(), () -> second.toJson() + "\n" + log2);
        assertTrue(Files.isRegularFile(ws.resolve("target/demo-1.0.jar")), log2::toString);
        JsonNode j = JSON.readTree(second.toJson());
        assertEquals("PASSED", j.get("status").asText());
        assertEquals(0, j.get("exit_code").asInt());
        assertTrue(j.get("cpu_ms").asLong() > 0 && j.get("peak_memory_bytes").asLong() > 0, j::toString);
    }

    private static void deleteTarget(Path ws) throws IOException {
        try (var walk = Files.walk(ws.resolve("target"))) {
            for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }

    @Test
    void aCProjectBuildsWithMakeWithoutNetworkAndItsFilesAreTheWorkspaceOwners() throws Exception {
        Path ws = Files.createDirectories(dir.resolve("c"));
        Files.writeString(ws.resolve("hello.c"), "#include <stdio.h>\nint main(void) { puts(\"ok\"); return 0; }\n");
        Files.writeString(ws.resolve("Makefile"), """
                hello: hello.o
                \tcc -o $@ hello.o
                check: hello
                \t./hello | grep -qx ok && echo checked
                net:
                \t@tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d ' '
                """);
        if (ROOT) {
            chown(ws, "1000:1000"); /* a build user's checkout, 0755: the sandbox's root is nobody to it */
        }
        long wsOwner = owner(ws);
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        CiJob.Builder job = limits(CiJob.builder(ws, List.of("make", "check", "net")), DataSize.ofMebibytes(512), 128);
        CiResult r = CiRunner.run((ROOT ? job.cpus(1) : job).timeout(Duration.ofMinutes(2)).build(), log);
        String out = log.toString(StandardCharsets.UTF_8);
        assertTrue(r.passed(), () -> r.toJson() + "\n" + out);
        assertTrue(out.contains("checked\n"), out);
        assertTrue(out.endsWith("lo\n"), "loopback only: " + out);
        for (String made : List.of("hello.o", "hello")) {
            assertEquals(wsOwner, owner(ws.resolve(made)), made + " is the workspace owner's");
        }
    }

    @Test
    void theOutputIsStdoutAndStderrInOrderCappedAndTheJsonSaysHowItEnded() throws Exception {
        Path ws = Files.createDirectories(dir.resolve("w"));
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        CiResult r = CiRunner.run(CiJob.builder(ws, List.of("sh", "-c", "echo a; echo b >&2; echo c; exit 3")).build(), log);
        assertEquals("a\nb\nc\n", log.toString(StandardCharsets.UTF_8), "merged in order, as it came");
        assertEquals("FAILED", r.status());
        assertEquals(3, r.exitCode().orElse(-1));

        ByteArrayOutputStream flood = new ByteArrayOutputStream();
        CiResult capped = CiRunner.run(CiJob.builder(ws, List.of("yes")).outputLimit(DataSize.ofKibibytes(64)).build(), flood);
        assertEquals("OUTPUT_LIMITED", capped.status(), capped::toJson);
        assertTrue(flood.size() <= 64 * 1024, "shown up to the cap: " + flood.size());

        StringWriter err = new StringWriter();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Path json = dir.resolve("result.json");
        int code = CiCommand.execute(new PrintStream(out, true, StandardCharsets.UTF_8), new PrintWriter(err, true),
                ws.toString(), "--timeout", "1", "--json", json.toString(), "--", "sleep", "30");
        assertEquals(1, code, err::toString);
        JsonNode j = JSON.readTree(json.toFile());
        assertEquals("TIMED_OUT", j.get("status").asText(), j::toString);
        assertTrue(out.toString(StandardCharsets.UTF_8).endsWith(j + "\n"), "the JSON line is printed last too");
        assertFalse(j.has("exit_code"));
    }

    /**
     * No network unless asked: by default the build sees loopback only; with {@code --network
     * bridge:NAME} (root) it has an interface with a default route through the bridge, which is
     * gone again when the build ends. Traffic stays on the machine: nothing is sent.
     */
    @Test
    void theBuildHasNoNetworkUnlessAskedAndABridgeGivesItADefaultRoute() throws Exception {
        Path ws = Files.createDirectories(dir.resolve("n"));
        ByteArrayOutputStream none = new ByteArrayOutputStream();
        CiResult r = CiRunner.run(CiJob.builder(ws, List.of("cat", "/proc/net/dev", "/proc/net/route")).build(), none);
        assertEquals("PASSED", r.status(), r::toJson);
        String seen = none.toString(StandardCharsets.UTF_8);
        assertTrue(seen.contains("lo:"), seen);
        assertFalse(seen.contains("eth0"), "no interface but loopback by default: " + seen);

        StringWriter err = new StringWriter();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int bad = CiCommand.execute(new PrintStream(out, true, StandardCharsets.UTF_8), new PrintWriter(err, true),
                ws.toString(), "--network", "wifi", "--", "true");
        assertEquals(2, bad, "a usage error");
        assertTrue(err.toString().contains("--network"), err::toString);
        if (!ROOT) {
            return; /* bridges are root only; pasta is the rootless network */
        }
        String bridge = "corci" + Long.toHexString(System.nanoTime() & 0xffffffL);
        out.reset();
        int code = CiCommand.execute(new PrintStream(out, true, StandardCharsets.UTF_8), new PrintWriter(err, true),
                ws.toString(), "--network", "bridge:" + bridge, "--", "cat", "/proc/net/route");
        String route = out.toString(StandardCharsets.UTF_8);
        assertEquals(0, code, () -> err + route);
        assertTrue(route.lines().anyMatch(l -> l.startsWith("eth0") && l.split("\\s+")[1].equals("00000000")),
                "a default route through the bridge: " + route);
        Process p = new ProcessBuilder("ip", "link", "show", bridge).redirectErrorStream(true).start();
        String shown = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor() != 0, "the bridge made for the build is gone after it: " + shown);
    }
}
