package dev.corral.samples.cli;

import java.io.IOException;
import java.net.HttpURLConnection;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * Debian's {@code docker-registry} on a loopback port the kernel chose, with its config and
 * storage under {@code target/}, stopped by its PID (sdk-core's tests have the full-featured
 * twin, with basic auth and blob corruption).
 */
final class TestRegistry implements AutoCloseable {
    private final Path dir;
    private final Process process;
    private final int port;

    private TestRegistry(Path dir, Process process, int port) {
        this.dir = dir;
        this.process = process;
        this.port = port;
    }

    static TestRegistry start() throws IOException, InterruptedException {
        if (!Files.isExecutable(Path.of("/usr/bin/docker-registry"))) {
            throw new IllegalStateException("tests need docker-registry: apt-get install docker-registry (.ci/run does)");
        }
        Path dir = Files.createDirectories(Path.of("target").toAbsolutePath().resolve("registry-" + UUID.randomUUID()));
        Files.writeString(dir.resolve("config.yml"), """
                version: 0.1
                log:
                  level: error
                  accesslog:
                    disabled: true
                storage:
                  filesystem:
                    rootdirectory: %s
                http:
                  addr: 127.0.0.1:0
                  secret: corral-test-%s
                """.formatted(dir.resolve("storage"), UUID.randomUUID()));
        Process p = new ProcessBuilder("/usr/bin/docker-registry", "serve", dir.resolve("config.yml").toString())
                .redirectErrorStream(true).redirectOutput(dir.resolve("log").toFile()).start();
        try {
            TestRegistry r = new TestRegistry(dir, p, port(p.pid()));
            r.awaitReady();
            return r;
        } catch (IOException | InterruptedException | RuntimeException e) {
            p.destroy();
            p.waitFor(10, TimeUnit.SECONDS);
            deleteTree(dir);
            throw e;
        }
    }

    /** The port the process listens on: its socket inodes in /proc/PID/fd matched in /proc/net/tcp. */
    private static int port(long pid) throws IOException, InterruptedException {
        for (int i = 0; i < 200; i++) {
            Set<String> inodes = new HashSet<>();
            try (var fds = Files.list(Path.of("/proc/" + pid + "/fd"))) {
                for (Path fd : fds.toList()) {
                    try {
                        String t = Files.readSymbolicLink(fd).toString();
                        if (t.startsWith("socket:[")) {
                            inodes.add(t.substring(8, t.length() - 1));
                        }
                    } catch (IOException e) {
                        /* closed meanwhile */
                    }
                }
            }
            for (String line : Files.readAllLines(Path.of("/proc/net/tcp"))) {
                String[] f = line.trim().split("\\s+");
                if (f.length > 9 && f[3].equals("0A") && inodes.contains(f[9])) {
                    return Integer.parseInt(f[1].substring(f[1].indexOf(':') + 1), 16);
                }
            }
            Thread.sleep(50);
        }
        throw new IOException("docker-registry (pid " + pid + ") did not listen within 10 s");
    }

    private void awaitReady() throws IOException, InterruptedException {
        for (int i = 0; i < 100; i++) {
            try {
                HttpURLConnection c = (HttpURLConnection) URI.create("http://" + host() + "/v2/").toURL().openConnection();
                if (c.getResponseCode() == 200) {
                    return;
                }
            } catch (IOException e) {
                /* not yet */
            }
            Thread.sleep(50);
        }
        throw new IOException("docker-registry on " + host() + " never answered: " + Files.readString(dir.resolve("log")));
    }

    String host() {
        return "127.0.0.1:" + port;
    }

    long pid() {
        return process.pid();
    }

    @Override
    public void close() throws IOException, InterruptedException {
        process.destroy();
        if (!process.waitFor(20, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            process.waitFor(20, TimeUnit.SECONDS);
        }
        deleteTree(dir);
    }

    private static void deleteTree(Path p) throws IOException {
        if (!Files.exists(p)) {
            return;
        }
        List<Path> all = new ArrayList<>();
        try (var s = Files.walk(p)) {
            s.forEach(all::add);
        }
        for (int i = all.size() - 1; i >= 0; i--) {
            Files.delete(all.get(i));
        }
    }
}
