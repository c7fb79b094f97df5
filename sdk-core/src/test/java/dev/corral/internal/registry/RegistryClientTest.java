package dev.corral.internal.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.corral.image.Credentials;
import dev.corral.image.ImageRef;
import dev.corral.image.RegistryOptions;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Docker's rule for plain HTTP, and credentials read from a Docker config file, without a registry. */
class RegistryClientTest {
    private static String scheme(String reference, RegistryOptions o) {
        return new RegistryClient(ImageRef.parse(reference), o, "pull").url("manifests/1").getScheme();
    }

    @Test
    void plainHttpOnlyForLoopbackUnlessOptedIn() {
        RegistryOptions d = RegistryOptions.defaults();
        for (String loopback : new String[] {"localhost:5000/a", "127.0.0.1:5000/a", "127.9.8.7/a", "[::1]:5000/a"}) {
            assertEquals("http", scheme(loopback, d), loopback);
        }
        for (String remote : new String[] {"registry.example:5000/a", "10.0.0.1:5000/a", "127.0.0.1.example/a",
                "localhost.example/a", "busybox"}) {
            assertEquals("https", scheme(remote, d), remote);
            assertEquals("http", scheme(remote, RegistryOptions.builder().insecure(true).build()), remote);
        }
        assertTrue(RegistryClient.isLoopback("127.255.255.254:1"));
        assertFalse(RegistryClient.isLoopback("128.0.0.1"));
        assertFalse(RegistryClient.isLoopback("127.0.0.256"));
    }

    @Test
    void dockerConfigCredentialsAreFoundByRegistryHost(@TempDir Path dir) throws Exception {
        String auth = Base64.getEncoder().encodeToString("ci:pa:ss".getBytes(StandardCharsets.UTF_8));
        Path config = Files.writeString(dir.resolve("config.json"), """
                {"auths": {
                  "https://index.docker.io/v1/": {"auth": "%s"},
                  "http://localhost:5000/v2/": {"username": "u", "password": "p"},
                  "other.example": {}
                }}""".formatted(auth));
        assertEquals(Optional.of(new Credentials("ci", "pa:ss")), DockerConfig.credentials(config, "docker.io"));
        assertEquals(Optional.of(new Credentials("u", "p")), DockerConfig.credentials(config, "localhost:5000"));
        assertEquals(Optional.empty(), DockerConfig.credentials(config, "other.example"));
        assertEquals(Optional.empty(), DockerConfig.credentials(config, "localhost:5001"));
        assertEquals(Optional.empty(), DockerConfig.credentials(dir.resolve("missing.json"), "docker.io"));
        Files.writeString(config, "not json");
        assertEquals(Optional.empty(), DockerConfig.credentials(config, "docker.io"), "an unreadable config is as good as none");
    }
}
