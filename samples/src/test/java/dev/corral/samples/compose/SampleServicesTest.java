package dev.corral.samples.compose;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.corral.Container;
import dev.corral.ContainerProcess;
import dev.corral.ContainerSpec;
import dev.corral.Mount;
import dev.corral.Output;
import dev.corral.Rootfs;
import dev.corral.image.ImageStore;
import dev.corral.network.Network;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The compose sample's three services (samples/compose) as plain containers, as root: each
 * service's command, environment and volumes read from compose.yaml, run on the host's
 * read-only view, sharing the host's network on 127.0.0.1 and free ports (the only environment
 * values overridden). What the page writes is read back over HTTPS, through nginx and php-fpm,
 * from MariaDB; it is still there after all three are stopped and started again, because the
 * data lives in the named volume; nothing of them is left running after they are stopped.
 */
class SampleServicesTest {
    static final Path SAMPLE = Path.of("compose").toAbsolutePath();

    @TempDir
    Path dir;

    /** A service of compose.yaml, as far as this test needs it. */
    record Service(String name, List<String> command, Map<String, String> environment, List<String> volumes) {}

    static Map<String, Service> services(Path composeFile) throws IOException {
        JsonNode root = new ObjectMapper(new YAMLFactory()).readTree(composeFile.toFile());
        Map<String, Service> services = new LinkedHashMap<>();
        root.get("services").fields().forEachRemaining(e -> {
            JsonNode s = e.getValue();
            List<String> command = new ArrayList<>();
            s.get("command").forEach(c -> command.add(c.asText()));
            Map<String, String> env = new LinkedHashMap<>();
            s.path("environment").fields().forEachRemaining(v -> env.put(v.getKey(), v.getValue().asText()));
            List<String> volumes = new ArrayList<>();
            s.path("volumes").forEach(v -> volumes.add(v.asText()));
            services.put(e.getKey(), new Service(e.getKey(), command, env, volumes));
        });
        return services;
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    /** The service as a plain container: its volumes, its environment with {@code overrides}, its log in dir. */
    ContainerSpec spec(Service s, ImageStore store, Map<String, String> overrides) {
        ContainerSpec.Builder b = Container.builder()
                .rootfs(Rootfs.hostReadOnly())
                .hostname(s.name())
                .network(Network.host())
                .stdout(Output.appendToFile(dir.resolve(s.name() + ".log")))
                .stderr(Output.appendToFile(dir.resolve(s.name() + ".log")));
        for (String v : s.volumes()) {
            String[] p = v.split(":");
            boolean readOnly = p.length > 2 && p[2].equals("ro");
            if (p[0].startsWith("./")) {
                Path source = SAMPLE.resolve(p[0]).normalize();
                b.mount(readOnly ? Mount.bind(source, p[1]) : Mount.bindReadWrite(source, p[1]));
            } else {
                b.mount(readOnly ? Mount.volumeReadOnly(store, p[0], p[1]) : Mount.volume(store, p[0], p[1]));
            }
        }
        Map<String, String> env = new LinkedHashMap<>(s.environment());
        env.putAll(overrides);
        return b.env(env).build();
    }

    String logs() throws IOException {
        StringBuilder all = new StringBuilder();
        for (String name : List.of("db", "php", "web")) {
            Path log = dir.resolve(name + ".log");
            all.append("--- ").append(name).append(":\n").append(Files.exists(log) ? Files.readString(log) : "").append('\n');
        }
        return all.toString();
    }

    @Test
    void theThreeServicesServeThePageAndKeepTheirDataInTheVolume() throws Exception {
        Map<String, Service> services = services(SAMPLE.resolve("compose.yaml"));
        assertEquals(List.of("db", "php", "web"), List.copyOf(services.keySet()));
        ImageStore store = ImageStore.open(dir.resolve("store"));
        int db = freePort();
        int php = freePort();
        int web = freePort();
        // Only where each listens and whom it reaches: 127.0.0.1 instead of the compose network.
        List<ContainerSpec> specs = List.of(
                spec(services.get("db"), store, Map.of("DB_BIND", "127.0.0.1", "DB_PORT", Integer.toString(db))),
                spec(services.get("php"), store, Map.of("PHP_LISTEN", "127.0.0.1:" + php,
                        "DB_HOST", "127.0.0.1", "DB_PORT", Integer.toString(db))),
                spec(services.get("web"), store, Map.of("HTTPS_LISTEN", "127.0.0.1:" + web,
                        "PHP_ADDR", "127.0.0.1:" + php)));
        String page = "https://127.0.0.1:" + web + "/index.php";
        String note = "note-" + UUID.randomUUID();

        List<ContainerProcess> first = start(specs, services);
        try {
            String body = SampleHttps.awaitPage(page, this::logs);
            assertTrue(body.contains("server: "), body);
            String written = SampleHttps.get(page + "?note=" + note).body();
            assertTrue(written.matches("(?s)written: \\d+\n.*row \\d+: " + note + "\n.*"), written);
        } finally {
            stop(first);
        }
        assertTrue(Files.isDirectory(store.volume("dbdata").resolve("mysql")), "the volume holds the database");
        assertGone(first);

        List<ContainerProcess> second = start(specs, services);
        try {
            String body = SampleHttps.awaitPage(page, this::logs);
            assertTrue(body.contains(": " + note + "\n"), "the row written before the restart:\n" + body + logs());
        } finally {
            stop(second);
        }
        assertGone(second);
        assertTrue(store.removeVolume("dbdata"));
        assertEquals(List.of(), store.volumes());
    }

    /** Each container's first process (the launcher's init, whose children the daemons are) is gone. */
    private static void assertGone(List<ContainerProcess> stopped) {
        for (ContainerProcess p : stopped) {
            assertFalse(p.isAlive());
            assertFalse(Files.exists(Path.of("/proc/" + p.pid())), "process " + p.pid() + " is left");
        }
    }

    private static List<ContainerProcess> start(List<ContainerSpec> specs, Map<String, Service> services) {
        List<ContainerProcess> started = new ArrayList<>();
        List<Service> order = List.copyOf(services.values());
        for (int i = 0; i < specs.size(); i++) {
            started.add(specs.get(i).start(order.get(i).command()));
        }
        return started;
    }

    private static void stop(List<ContainerProcess> started) throws InterruptedException {
        for (int i = started.size() - 1; i >= 0; i--) {
            started.get(i).signal(15);
        }
        for (ContainerProcess p : started) {
            if (p.waitFor(java.time.Duration.ofSeconds(20)).isEmpty()) {
                p.kill();
                p.waitFor();
            }
            p.close();
        }
    }
}
