package dev.corral.internal.registry;

import dev.corral.image.Credentials;
import dev.corral.internal.image.Json;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.Map;
import java.util.Optional;

/**
 * Credentials that {@code docker login} (or {@code podman login --authfile}) saved in
 * {@code $DOCKER_CONFIG/config.json}, or {@code ~/.docker/config.json}: the {@code auths}
 * entry whose key names the registry (with or without a scheme and path; Docker Hub's key is
 * {@code https://index.docker.io/v1/}). Credential helpers ({@code credsStore}) are not run.
 *
 * <pre>{@code
 * Optional<Credentials> c = DockerConfig.credentials("localhost:5000");
 * }</pre>
 */
public final class DockerConfig {
    private DockerConfig() {
    }

    /** @param registry a registry host[:port] @return its saved credentials, if any */
    public static Optional<Credentials> credentials(String registry) {
        String dir = System.getenv("DOCKER_CONFIG");
        Path file = dir != null && !dir.isEmpty() ? Path.of(dir, "config.json")
                : Path.of(System.getProperty("user.home"), ".docker", "config.json");
        return credentials(file, registry);
    }

    /**
     * @param file     a Docker config file
     * @param registry a registry host[:port]
     * @return its credentials for the registry, if it has any
     */
    public static Optional<Credentials> credentials(Path file, String registry) {
        if (!Files.isRegularFile(file)) {
            return Optional.empty();
        }
        try {
            Map<String, Object> auths = Json.obj(Json.object(Files.readAllBytes(file), file.toString()), "auths");
            for (Map.Entry<String, Object> e : auths.entrySet()) {
                if (hostOf(e.getKey()).equals(hostOf(registry)) && e.getValue() instanceof Map<?, ?>) {
                    @SuppressWarnings("unchecked")
                    Map<String, Object> entry = (Map<String, Object>) e.getValue();
                    String auth = Json.str(entry, "auth");
                    if (!auth.isEmpty()) {
                        return Optional.of(Credentials.parse(new String(Base64.getDecoder().decode(auth), StandardCharsets.UTF_8)));
                    }
                    if (!Json.str(entry, "username").isEmpty()) {
                        return Optional.of(new Credentials(Json.str(entry, "username"), Json.str(entry, "password")));
                    }
                }
            }
        } catch (IOException | IllegalArgumentException e) {
            /* an unreadable config is as good as none: the registry's 401 will say credentials are needed */
            return Optional.empty();
        }
        return Optional.empty();
    }

    private static String hostOf(String key) {
        String k = key.replaceFirst("^[a-z]+://", "");
        int slash = k.indexOf('/');
        k = slash >= 0 ? k.substring(0, slash) : k;
        return k.equals("index.docker.io") || k.equals("registry-1.docker.io") ? "docker.io" : k;
    }
}
