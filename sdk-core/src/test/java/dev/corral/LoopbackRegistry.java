package dev.corral;

import java.io.IOException;
import java.net.HttpURLConnection;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * Debian's {@code docker-registry} (the reference distribution registry), started for a test
 * on a free loopback port with its own config and storage under {@code target/}, optionally
 * behind htpasswd basic auth, and stopped by its PID. Images are put in by {@code skopeo copy}.
 */
final class LoopbackRegistry implements AutoCloseable {
    static final String BINARY = "/usr/bin/docker-registry";

    private final Path dir;
    private final Process process;
    private final int port;
    private final Optional<String> creds;

    private LoopbackRegistry(Path dir, Process process, int port, Optional<String> creds) {
        this.dir = dir;
        this.process = process;
        this.port = port;
        this.creds = creds;
    }

    /**
     * @param user with a password, the registry asks for basic auth (htpasswd -B); empty for none
     * @return a running registry
     */
    static LoopbackRegistry start(Optional<String> userColonPassword) throws IOException, InterruptedException {
        return start(userColonPassword, Optional.empty());
    }

    /**
     * @param token a token service: the registry answers with a bearer challenge naming its realm
     *              and trusts the tokens its certificate signs
     * @return a running registry
     */
    static LoopbackRegistry startWithTokens(TokenService token) throws IOException, InterruptedException {
        return start(Optional.empty(), Optional.of(token));
    }

    /**
     * @param certificate the server's certificate (PEM), for 127.0.0.1
     * @param key         its private key (PKCS#8 PEM)
     * @return a running registry that speaks only HTTPS
     */
    static LoopbackRegistry startWithTls(Path certificate, Path key) throws IOException, InterruptedException {
        return start(Optional.empty(), Optional.empty(), Optional.of(new Path[] {certificate, key}));
    }

    private static LoopbackRegistry start(Optional<String> userColonPassword, Optional<TokenService> token)
            throws IOException, InterruptedException {
        return start(userColonPassword, token, Optional.empty());
    }

    private static LoopbackRegistry start(Optional<String> userColonPassword, Optional<TokenService> token,
                                          Optional<Path[]> tls) throws IOException, InterruptedException {
        for (String tool : List.of(BINARY, "/usr/bin/skopeo", "/usr/bin/htpasswd")) {
            if (!Files.isExecutable(Path.of(tool))) {
                throw new IllegalStateException("tests need " + tool
                        + ": apt-get install docker-registry skopeo apache2-utils (.ci/run does)");
            }
        }
        Path dir = Files.createDirectories(Path.of("target").toAbsolutePath().resolve("registry-" + UUID.randomUUID()));
        StringBuilder config = new StringBuilder("""
                version: 0.1
                log:
                  level: error
                  accesslog:
                    disabled: true
                storage:
                  filesystem:
                    rootdirectory: %s
                  delete:
                    enabled: true
                http:
                  addr: 127.0.0.1:0
                  secret: corral-test-%s
                """.formatted(dir.resolve("storage"), UUID.randomUUID()));
        if (userColonPassword.isPresent()) {
            String[] up = userColonPassword.get().split(":", 2);
            OciFixtures.run(dir, "htpasswd", "-B", "-b", "-c", dir.resolve("htpasswd").toString(), up[0], up[1]);
            config.append("auth:\n  htpasswd:\n    realm: corral-test\n    path: ").append(dir.resolve("htpasswd")).append('\n');
        }
        if (tls.isPresent()) {
            config.append("  tls:\n    certificate: ").append(tls.get()[0]).append("\n    key: ").append(tls.get()[1])
                    .append('\n');
        }
        if (token.isPresent()) {
            config.append("auth:\n  token:\n    realm: ").append(token.get().realm()).append("\n    service: ")
                    .append(TokenService.SERVICE).append("\n    issuer: ").append(TokenService.ISSUER)
                    .append("\n    rootcertbundle: ").append(token.get().certificate()).append('\n');
        }
        Files.writeString(dir.resolve("config.yml"), config);
        Process p = new ProcessBuilder(BINARY, "serve", dir.resolve("config.yml").toString())
                .redirectErrorStream(true).redirectOutput(dir.resolve("log").toFile()).start();
        try {
            int port = listeningPort(p.pid());
            LoopbackRegistry r = new LoopbackRegistry(dir, p, port, userColonPassword);
            if (tls.isEmpty()) {
                r.awaitReady();       /* with TLS, listening is ready enough: the kernel queues connections */
            }
            return r;
        } catch (IOException | InterruptedException | RuntimeException e) {
            p.destroy();
            p.waitFor(10, TimeUnit.SECONDS);
            OciFixtures.deleteTree(dir);
            throw e;
        }
    }

    /** The port the process listens on, found from its socket inodes in /proc (port 0 let the kernel choose). */
    private static int listeningPort(long pid) throws IOException, InterruptedException {
        for (int i = 0; i < 200; i++) {
            Set<String> inodes = new HashSet<>();
            try (var fds = Files.list(Path.of("/proc/" + pid + "/fd"))) {
                for (Path fd : fds.toList()) {
                    try {
                        String target = Files.readSymbolicLink(fd).toString();
                        if (target.startsWith("socket:[")) {
                            inodes.add(target.substring(8, target.length() - 1));
                        }
                    } catch (IOException e) {
                        /* closed meanwhile */
                    }
                }
            } catch (IOException e) {
                throw new IOException("docker-registry (pid " + pid + ") exited at start", e);
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
        IOException last = null;
        for (int i = 0; i < 100; i++) {
            try {
                HttpURLConnection c = (HttpURLConnection) URI.create("http://" + host() + "/v2/").toURL().openConnection();
                int status = c.getResponseCode();
                c.disconnect();
                if (status == 200 || status == 401) {
                    return;
                }
            } catch (IOException e) {
                last = e;
            }
            Thread.sleep(50);
        }
        throw new IOException("docker-registry on " + host() + " never answered /v2/: " + log(), last);
    }

    /** @return {@code 127.0.0.1:PORT} */
    String host() {
        return "127.0.0.1:" + port;
    }

    int port() {
        return port;
    }

    long pid() {
        return process.pid();
    }

    /** Copies {@code layout:tag} (an index with {@code all}) to {@code host/repoAndTag} with skopeo. */
    void put(Path layout, String tag, String repoAndTag, boolean all) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of("skopeo", "copy", "--quiet", "--dest-tls-verify=false"));
        creds.ifPresent(c -> cmd.addAll(List.of("--dest-creds", c)));
        if (all) {
            cmd.add("--all");
        }
        cmd.add("oci:" + layout + ":" + tag);
        cmd.add("docker://" + host() + "/" + repoAndTag);
        OciFixtures.run(layout.getParent(), cmd.toArray(String[]::new));
    }

    /** @return the file the registry serves a blob from */
    Path blobFile(String digest) {
        String hex = digest.substring("sha256:".length());
        return dir.resolve("storage/docker/registry/v2/blobs/sha256/" + hex.substring(0, 2) + "/" + hex + "/data");
    }

    String log() throws IOException {
        Path log = dir.resolve("log");
        return Files.exists(log) ? Files.readString(log, StandardCharsets.UTF_8) : "";
    }

    /** Stops the process by its PID and removes its config and storage. */
    @Override
    public void close() throws IOException, InterruptedException {
        process.destroy();
        if (!process.waitFor(20, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            process.waitFor(20, TimeUnit.SECONDS);
        }
        OciFixtures.deleteTree(dir);
    }
}
