package dev.corral.samples.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.corral.image.ImageStore;
import dev.corral.network.NetworkInfo;
import dev.corral.network.Networks;
import dev.corral.samples.cli.CorralCommandTest.Outcome;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code corral compose} with its services on a bridge (root): one service reaches the other by
 * its service name, a published port answers on 127.0.0.1, and {@code down} leaves no container,
 * network, bridge or veth, and keeps the named volume. The servers are busybox's httpd and wget
 * (busybox-static) on the host's read-only view; all traffic stays on the project's bridge and
 * the host's loopback.
 */
class ComposeBridgeTest {
    private static final long PATIENCE_NANOS = TimeUnit.SECONDS.toNanos(90);

    @TempDir
    Path dir;
    private Process up;

    @AfterEach
    void killUp() {
        if (up != null && up.isAlive()) {
            up.destroyForcibly();
        }
    }

    private Outcome compose(Path file, String project, String... args) {
        List<String> all = new ArrayList<>(List.of("compose", "-f", file.toString(), "-p", project, "--store",
                dir.resolve("store").toString()));
        all.addAll(List.of(args));
        return CorralCommandTest.corral(all.toArray(String[]::new));
    }

    @Test
    void servicesReachEachOtherByNameAPublishedPortAnswersAndDownLeavesNothing() throws Exception {
        String project = "b" + Long.toHexString(System.nanoTime());
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        Path www = Files.createDirectories(dir.resolve("www"));
        Files.writeString(www.resolve("index.html"), "hello from the web service\n");
        www.toFile().setReadable(true, false);
        dir.toFile().setExecutable(true, false);
        Path file = Files.writeString(dir.resolve("compose.yaml"), """
                services:
                  web:
                    command: ["/bin/busybox", "httpd", "-f", "-p", "8080", "-h", "/www"]
                    volumes: ["./www:/www:ro", "state:/state"]
                    ports: ["127.0.0.1:%d:8080"]
                  client:
                    command: sh -c 'until /bin/busybox wget -qO- http://web:8080/index.html; do sleep 0.2; done; exec sleep 600'
                    depends_on: [web]
                volumes:
                  state:
                """.formatted(port));
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        up = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"), CorralCommand.class.getName(),
                "compose", "-f", file.toString(), "-p", project, "--store", dir.resolve("store").toString(), "up")
                .redirectOutput(dir.resolve("up.out").toFile()).redirectError(dir.resolve("up.err").toFile()).start();

        waitFor(() -> read("up.out").contains("client  | hello from the web service\n"));
        HttpResponse<String> r = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build().send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/index.html")).timeout(Duration.ofSeconds(20))
                        .build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode());
        assertEquals("hello from the web service\n", r.body());

        String ps = compose(file, project, "ps").out();
        assertTrue(ps.matches("(?s).*web +running +[0-9]+ +0 +[0-9.]+ +127\\.0\\.0\\.1:" + port + ":8080/tcp.*"), ps);
        Optional<NetworkInfo> net = Networks.list().stream().filter(n -> n.name().equals(project + "_default")).findFirst();
        assertTrue(net.isPresent(), "the project's bridge: " + Networks.list());
        assertEquals(2, net.get().containers());
        Path brif = Path.of("/sys/class/net", net.get().bridge(), "brif");
        List<String> veths;
        try (Stream<Path> s = Files.list(brif)) {
            veths = s.map(p -> p.getFileName().toString()).toList();
        }
        assertEquals(2, veths.size(), "a veth per service on " + net.get().bridge());

        Outcome down = compose(file, project, "down");
        assertEquals(0, down.exitCode(), down.err());
        assertTrue(up.waitFor(60, TimeUnit.SECONDS));
        assertEquals(0, up.exitValue(), read("up.err"));
        assertFalse(Networks.list().stream().anyMatch(n -> n.name().equals(project + "_default")), "no network left");
        assertFalse(Files.exists(Path.of("/sys/class/net", net.get().bridge())), "no bridge left");
        for (String v : veths) {
            assertFalse(Files.exists(Path.of("/sys/class/net", v)), "veth " + v + " is left");
        }
        ImageStore store = ImageStore.open(dir.resolve("store"));
        assertTrue(store.volumes().contains(project + "_state"), "the named volume stays");
        assertFalse(Files.exists(store.directory().resolve("compose").resolve(project)));
    }

    private String read(String name) {
        try {
            return Files.exists(dir.resolve(name)) ? Files.readString(dir.resolve(name)) : "";
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private void waitFor(BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + PATIENCE_NANOS;
        while (!condition.getAsBoolean()) {
            assertTrue(System.nanoTime() < deadline, () -> "the condition never held; up's output:\n" + read("up.out")
                    + "\nits messages:\n" + read("up.err") + "\nalive: " + (up != null && up.isAlive()));
            Thread.sleep(100);
        }
    }
}
