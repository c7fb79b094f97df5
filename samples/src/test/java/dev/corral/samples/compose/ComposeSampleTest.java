package dev.corral.samples.compose;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.corral.image.ImageStore;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.InetAddress;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The compose sample end to end, as root, through {@code corral compose} in a JVM of its own (as
 * {@code bin/corral} runs it): {@code up} answers HTTPS on the published 127.0.0.1:18443 with a
 * row written through nginx and php-fpm into MariaDB, which the services reach by name on the
 * project's bridge; the row is still there after {@code down} and {@code up} (the named volume);
 * nginx killed comes back ({@code restart: always}) with a new certificate made at its start;
 * after {@code down} no process, bridge, veth, nft rule, cgroup or mount of the project is left,
 * and the named volume is, until the test removes it.
 */
class ComposeSampleTest {
    static final Path SAMPLE = Path.of("compose").toAbsolutePath();
    static final String PAGE = "https://127.0.0.1:18443/index.php";
    static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    /** A project of this run's own: its bridge is PROJECT_default, at most 15 characters. */
    final String project = "lemp" + Integer.toHexString(0x100 + ThreadLocalRandom.current().nextInt(0xf00));
    final List<Process> ups = new ArrayList<>();

    Path store() {
        return dir.resolve("store");
    }

    /** {@code corral compose -p PROJECT -f compose.yaml --store STORE ARGS...} in a JVM of its own. */
    ProcessBuilder compose(String... args) {
        List<String> cmd = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java"),
                "-cp", System.getProperty("java.class.path"), "dev.corral.samples.cli.CorralCommand",
                "compose", "-p", project, "-f", SAMPLE.resolve("compose.yaml").toString(), "--store", store().toString()));
        cmd.addAll(List.of(args));
        return new ProcessBuilder(cmd);
    }

    Process up(int n) throws IOException {
        Process p = compose("up").redirectErrorStream(true).redirectOutput(dir.resolve("up-" + n + ".log").toFile()).start();
        ups.add(p);
        return p;
    }

    String down() throws Exception {
        Process p = compose("down").redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(2, TimeUnit.MINUTES), "down did not end: " + out);
        assertEquals(0, p.exitValue(), "down: " + out);
        return out;
    }

    String logs() throws IOException {
        StringBuilder all = new StringBuilder();
        for (Path log : Files.list(dir).filter(f -> f.getFileName().toString().startsWith("up-")).sorted().toList()) {
            all.append("--- ").append(log.getFileName()).append(":\n").append(Files.readString(log)).append('\n');
        }
        return all.toString();
    }

    String stateText() {
        try {
            return state().toString();
        } catch (IOException e) {
            return e.toString();
        }
    }

    JsonNode state() throws IOException {
        return JSON.readTree(store().resolve("compose").resolve(project).resolve("state.json").toFile());
    }

    /** The process {@code up}'s state file names for a service, while it runs. */
    Optional<ProcessHandle> member(String service) throws IOException {
        JsonNode n = state().path("services").path(service);
        return n.hasNonNull("pid") ? ProcessHandle.of(n.get("pid").asLong()) : Optional.empty();
    }

    static String sh(String... cmd) {
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            p.waitFor();
            return out;
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** What the host holds of this run: the containers' processes, the bridge and its veths, cgroups. */
    record Footprint(Set<Long> pids, String bridge, Set<String> veths, Set<Path> cgroups) {}

    Footprint footprint(Process up) throws Exception {
        Set<Long> pids = new HashSet<>();
        up.toHandle().descendants().forEach(h -> pids.add(h.pid()));
        String bridge = project + "_default";
        Set<String> veths = new HashSet<>();
        for (String line : sh("ip", "-o", "link", "show", "master", bridge).split("\n")) {
            if (line.contains(":")) {
                veths.add(line.split(":")[1].trim().split("@")[0]);
            }
        }
        Set<Path> cgroups = new HashSet<>();
        for (long pid : pids) {
            Path f = Path.of("/proc/" + pid + "/cgroup");
            for (String line : Files.exists(f) ? Files.readAllLines(f) : List.<String>of()) {
                String[] parts = line.split(":", 3);
                if (parts.length == 3 && parts[2].contains("corral")) {
                    String controller = parts[1].isEmpty() ? "unified" : parts[1].split(",")[0].replace("name=", "");
                    cgroups.add(Path.of("/sys/fs/cgroup", controller, parts[2]));
                }
            }
        }
        return new Footprint(pids, bridge, veths, cgroups);
    }

    void assertNothingLeft(Footprint f) throws Exception {
        for (long pid : f.pids()) {
            assertFalse(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false), "process " + pid + " is left");
        }
        assertFalse(sh("ip", "-o", "link", "show").contains(" " + f.bridge() + ":"), "the bridge " + f.bridge() + " is left");
        String links = sh("ip", "-o", "link", "show");
        for (String veth : f.veths()) {
            assertFalse(links.contains(" " + veth + "@") || links.contains(" " + veth + ":"), "the veth " + veth + " is left");
        }
        assertFalse(sh("nft", "list", "ruleset").contains(f.bridge()), "an nft rule names " + f.bridge());
        for (Path cg : f.cgroups()) {
            assertFalse(Files.exists(cg), "the cgroup " + cg + " is left");
        }
        String mounts = Files.readString(Path.of("/proc/self/mountinfo"));
        assertFalse(mounts.contains(store().toString()) || mounts.contains(project), "a mount of the project is left");
        assertFalse(Files.exists(store().resolve("compose").resolve(project)), "the project's state is left");
    }

    @Test
    void theStackAnswersHttpsKeepsItsDataAcrossDownAndUpRestartsNginxAndLeavesNothing() throws Exception {
        try (ServerSocket probe = new ServerSocket(18443, 1, InetAddress.getLoopbackAddress())) {
            probe.close(); /* the published port is free: nothing else answers in the sample's place */
        }
        String note = "note-" + UUID.randomUUID();

        Process first = up(1);
        SampleHttps.awaitPage(PAGE, this::logs);
        String written = SampleHttps.get(PAGE + "?note=" + note).body();
        assertTrue(written.matches("(?s)written: \\d+\n.*row \\d+: " + note + "\n.*"), written + logs());
        Footprint one = footprint(first);
        assertFalse(one.veths().isEmpty(), "the services are on the bridge " + one.bridge());
        down();
        assertTrue(first.waitFor(1, TimeUnit.MINUTES), "up ends with down");
        assertNothingLeft(one);
        String volume = project + "_dbdata";
        assertTrue(ImageStore.open(store()).volumes().contains(volume), "down keeps the named volume");

        Process second = up(2);
        String body = SampleHttps.awaitPage(PAGE, this::logs);
        assertTrue(body.contains(": " + note + "\n"), "the row written before down:\n" + body + logs());
        X509Certificate before = certificate(SampleHttps.get(PAGE));

        // nginx dies; restart: always starts the web service again, with a certificate of its own
        ProcessHandle web = member("web").orElseThrow();
        ProcessHandle nginx = java.util.stream.Stream.concat(java.util.stream.Stream.of(web), web.descendants()).filter(h -> cmdline(h).startsWith("nginx: master"))
                .findFirst().orElseThrow(() -> new AssertionError("no nginx master at or under " + web.pid() + ": "
                        + stateText() + "\n" + sh("ps", "-eo", "pid,ppid,args", "--forest")));
        assertTrue(nginx.destroyForcibly());
        long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
        while (member("web").map(ProcessHandle::pid).orElse(web.pid()) == web.pid() && System.nanoTime() < deadline) {
            Thread.sleep(200);
        }
        assertNotEquals(web.pid(), member("web").map(ProcessHandle::pid).orElse(web.pid()), "web came back\n" + logs());
        assertTrue(state().path("services").path("web").path("restarts").asInt() >= 1, state().toString());
        body = SampleHttps.awaitPage(PAGE, this::logs);
        assertTrue(body.contains(": " + note + "\n"), body);
        assertNotEquals(before, certificate(SampleHttps.get(PAGE)), "a new certificate, made at nginx's new start");

        Footprint two = footprint(second);
        down();
        assertTrue(second.waitFor(1, TimeUnit.MINUTES), "up ends with down");
        assertNothingLeft(two);
        ImageStore s = ImageStore.open(store());
        assertTrue(s.volumes().contains(volume), "down keeps the named volume");
        assertTrue(s.removeVolume(volume));
        assertFalse(s.volumes().contains(volume));
    }

    /** Its /proc cmdline (ProcessHandle.Info has none for a process that rewrote its argv, as nginx does). */
    static String cmdline(ProcessHandle h) {
        try {
            return Files.readString(Path.of("/proc/" + h.pid() + "/cmdline")).replace('\0', ' ');
        } catch (IOException e) {
            return "";
        }
    }

    static X509Certificate certificate(HttpResponse<String> r) throws Exception {
        return (X509Certificate) r.sslSession().orElseThrow().getPeerCertificates()[0];
    }

    /** A failed test still stops what it started (down, then the up processes). */
    @AfterEach
    void stopAll() throws Exception {
        if (ups.stream().anyMatch(Process::isAlive)) {
            compose("down").redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start()
                    .waitFor(2, TimeUnit.MINUTES);
        }
        for (Process p : ups) {
            if (p.isAlive()) {
                p.destroyForcibly().waitFor(1, TimeUnit.MINUTES);
            }
        }
    }
}
