package dev.corral.samples.compose;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.corral.group.RestartPolicy;
import dev.corral.samples.compose.ComposeFile.NamedNetwork;
import dev.corral.samples.compose.ComposeFile.NamedVolume;
import dev.corral.samples.compose.ComposeFile.Port;
import dev.corral.samples.compose.ComposeFile.Service;
import dev.corral.samples.compose.ComposeFile.VolumeMount;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link ComposeFile}: the Compose subset read into the model, warnings with their key, errors with file and key. */
class ComposeFileTest {
    @TempDir
    Path tmp;

    private ComposeFile parse(String yaml) throws IOException {
        return parse(yaml, Map.of());
    }

    private ComposeFile parse(String yaml, Map<String, String> env) throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("My App"));
        Path f = dir.resolve("compose.yaml");
        Files.writeString(f, yaml);
        return ComposeFile.read(f, Optional.empty(), env);
    }

    private ComposeException error(String yaml) {
        return assertThrows(ComposeException.class, () -> parse(yaml));
    }

    @Test
    void theSourceDocumentsStackReadsIntoTheModel() throws IOException {
        Files.createDirectories(tmp.resolve("My App"));
        Files.writeString(tmp.resolve("My App/db.env"), "# the database\nMARIADB_DATABASE=app\nexport MARIADB_USER='app'\n\n"
                + "SHARED=from-file # a comment\n");
        ComposeFile f = parse("""
                services:
                  web:
                    command: ["nginx", "-g", "daemon off;"]
                    ports: ["127.0.0.1:8443:443", "8080:80/tcp", {target: 53, published: 5353, protocol: udp}, "7000-7001:6000-6001/udp"]
                    depends_on: [php]
                    restart: always
                    volumes: ["./site:/srv/site:ro", {type: tmpfs, target: /run}]
                  php:
                    command: php-fpm -F -R --fpm-config '/etc/php/fpm pool.conf'
                    environment:
                      DB_HOST: db
                      PORT: 3306
                    expose: ["9000", 9001/tcp, 9100-9102]
                    depends_on:
                      db: {condition: service_started}
                    networks:
                      back: {aliases: [fpm]}
                      default:
                  db:
                    image: mariadb:11
                    entrypoint: /usr/sbin/mariadbd
                    env_file: db.env
                    environment: ["SHARED=from-service", "MARIADB_ROOT_PASSWORD=s3cret"]
                    volumes: ["data:/var/lib/mysql"]
                    networks: [back]
                    restart: "on-failure:3"
                    working_dir: /var/lib//mysql/
                    user: "999:999"
                volumes:
                  data:
                networks:
                  back:
                """);
        assertEquals("myapp", f.project(), "the directory's name, lowercased, spaces dropped (as Compose)");
        assertEquals(List.of("web", "php", "db"), List.copyOf(f.services().keySet()));
        assertEquals(List.of(), f.warnings());

        Service web = f.services().get("web");
        assertEquals(Optional.empty(), web.image());
        assertEquals(Optional.of(List.of("nginx", "-g", "daemon off;")), web.command());
        assertEquals(List.of(new Port(Optional.of("127.0.0.1"), 8443, 443, "tcp"), new Port(Optional.empty(), 8080, 80, "tcp"),
                new Port(Optional.empty(), 5353, 53, "udp"), new Port(Optional.empty(), 7000, 6000, "udp"),
                new Port(Optional.empty(), 7001, 6001, "udp")), web.ports());
        assertEquals("127.0.0.1:8443:443/tcp", web.ports().get(0).toString());
        assertEquals(RestartPolicy.always(), web.restart());
        assertEquals(List.of(new VolumeMount(VolumeMount.Type.BIND, tmp.resolve("My App/site").toString(), "/srv/site", true),
                new VolumeMount(VolumeMount.Type.TMPFS, "", "/run", false)), web.volumes());
        assertEquals(Map.of("default", List.of()), web.networks());

        Service php = f.services().get("php");
        assertEquals(Optional.of(List.of("php-fpm", "-F", "-R", "--fpm-config", "/etc/php/fpm pool.conf")), php.command());
        assertEquals(Map.of("DB_HOST", "db", "PORT", "3306"), php.environment());
        assertEquals(List.of(9000, 9001, 9100, 9101, 9102), php.expose());
        assertEquals(List.of("db"), php.dependsOn());
        assertEquals(Map.of("back", List.of("fpm"), "default", List.of()), php.networks());

        Service db = f.services().get("db");
        assertEquals(Optional.of("mariadb:11"), db.image());
        assertEquals(Optional.of(List.of("/usr/sbin/mariadbd")), db.entrypoint());
        assertEquals(Optional.empty(), db.command());
        assertEquals(Map.of("MARIADB_DATABASE", "app", "MARIADB_USER", "app", "SHARED", "from-service",
                "MARIADB_ROOT_PASSWORD", "s3cret"), db.environment(), "environment wins over env_file");
        assertEquals(List.of(new VolumeMount(VolumeMount.Type.VOLUME, "data", "/var/lib/mysql", false)), db.volumes());
        assertEquals(RestartPolicy.onFailure(3), db.restart());
        assertEquals(Optional.of("/var/lib/mysql"), db.workingDir());
        assertEquals(Optional.of("999:999"), db.user());

        assertEquals(Map.of("data", new NamedVolume("data", "myapp_data", false)), f.volumes());
        assertEquals(Map.of("back", new NamedNetwork("back", "myapp_back", false),
                "default", new NamedNetwork("default", "myapp_default", false)), f.networks());
    }

    @Test
    void unknownKeysAreNamedWithTheirPathAndExtensionsAreLeftAlone() throws IOException {
        ComposeFile f = parse("""
                version: "3.8"
                x-common: &common {restart: always}
                services:
                  web:
                    command: ["true"]
                    healthcheck: {test: ["CMD", "true"]}
                    ports: [{target: 80, published: 8080, mode: host}]
                    volumes: ["./a:/a:z"]
                    deploy: {replicas: 2}
                    x-note: mine
                secrets: {}
                """);
        assertEquals(List.of("version: obsolete in the Compose specification, ignored",
                "services.web.healthcheck: not supported, ignored",
                "services.web.deploy: not supported, ignored",
                "services.web.volumes[0]: mode 'z' is not supported, ignored",
                "services.web.ports[0].mode: not supported, ignored",
                "secrets: not supported, ignored"), sortLike(f.warnings(), List.of("version", "services.web.healthcheck",
                        "services.web.deploy", "services.web.volumes", "services.web.ports", "secrets")));
    }

    /** Warnings come in the walk's order; the test names them in a fixed order of its own. */
    private static List<String> sortLike(List<String> warnings, List<String> prefixes) {
        return warnings.stream().sorted(java.util.Comparator.comparingInt(w -> {
            for (int i = 0; i < prefixes.size(); i++) {
                if (w.startsWith(prefixes.get(i))) {
                    return i;
                }
            }
            return prefixes.size();
        })).toList();
    }

    @Test
    void variablesComeFromTheEnvironmentThenDotEnvWithDefaults() throws IOException {
        Files.createDirectories(tmp.resolve("My App"));
        Files.writeString(tmp.resolve("My App/.env"), "TAG=from-dotenv\nPORT=9999\n");
        ComposeFile f = parse("""
                name: ${PROJECT:-shop}
                services:
                  web:
                    image: "busybox:${TAG}"
                    command: sh -c 'echo $$HOME ${MISSING}'
                    ports: ["${PORT}:80"]
                    environment: [GREETING, NOT_SET]
                """, Map.of("PORT", "8080", "GREETING", "hello"));
        assertEquals("shop", f.project());
        Service web = f.services().get("web");
        assertEquals(Optional.of("busybox:from-dotenv"), web.image());
        assertEquals(8080, web.ports().get(0).published(), "the environment wins over .env");
        assertEquals(Optional.of(List.of("sh", "-c", "echo $HOME ")), web.command());
        assertEquals(Map.of("GREETING", "hello"), web.environment(), "a name alone takes the variable, if set");
        assertEquals(List.of("services.web.command: variable MISSING is not set, so it is an empty string"), f.warnings());
    }

    @Test
    void aBareNoIsTheNoPolicyAndTheProjectNameCanBeGiven() throws IOException {
        Path f = Files.writeString(tmp.resolve("compose.yml"), "services:\n  a:\n    command: [\"true\"]\n    restart: no\n");
        ComposeFile c = ComposeFile.read(f, Optional.of("given_1"), Map.of());
        assertEquals("given_1", c.project());
        assertEquals(RestartPolicy.no(), c.services().get("a").restart());
        ComposeException e = assertThrows(ComposeException.class, () -> ComposeFile.read(f, Optional.of("Bad Name"), Map.of()));
        assertTrue(e.getMessage().contains("project name 'Bad Name'"), e.getMessage());
    }

    @Test
    void errorsNameTheFileAndTheKey() {
        String file = tmp.resolve("My App/compose.yaml").toString();
        List<String[]> cases = List.of(
                new String[] {"services:\n  a:\n    image: x\n    ports: ['8000-8010:80']\n", "services.a.ports[0]: '8000-8010:80'", "as many"},
                new String[] {"services:\n  a:\n    image: x\n    ports: ['8010-8000:90-100']\n", "services.a.ports[0]: the port range '8010-8000' ends", ""},
                new String[] {"services:\n  a:\n    image: x\n    ports: ['80']\n", "services.a.ports[0]: '80' has no host port", ""},
                new String[] {"services:\n  a:\n    image: x\n    ports: ['70000:80']\n", "services.a.ports[0]: port '70000'", ""},
                new String[] {"services:\n  a:\n    image: x\n    volumes: ['data:/d']\n", "services.a.volumes[0]: volume 'data' is not declared", ""},
                new String[] {"services:\n  a:\n    image: x\n    volumes: ['/d']\n", "services.a.volumes[0]: '/d' is an anonymous volume", ""},
                new String[] {"services:\n  a:\n    image: x\n    volumes: ['./x:rel']\n", "services.a.volumes[0]: 'rel' must be an absolute path", ""},
                new String[] {"services:\n  a:\n    image: x\n    depends_on: [b]\n", "services.a.depends_on: no service 'b'", ""},
                new String[] {"services:\n  a:\n    image: x\n    networks: [front]\n", "network 'front' is not declared", ""},
                new String[] {"services:\n  a:\n    image: x\n    restart: sometimes\n", "services.a.restart: 'sometimes' is not a restart policy", ""},
                new String[] {"services:\n  a:\n    image: x\n    command: \"echo 'open\"\n", "services.a.command: ", "not closed"},
                new String[] {"services:\n  a:\n    environment: {A: b}\n", "services.a: no image and no command", ""},
                new String[] {"services:\n  a:\n    image: x\n    env_file: nope.env\n", "services.a.env_file: env file", "not found"},
                new String[] {"services:\n  a:\n    image: ${IMG:?set IMG to the image}\n", "services.a.image: variable IMG is required: set IMG to the image", ""},
                new String[] {"services:\n  a:\n    image: x\n  a:\n    image: y\n", "not valid YAML: Duplicate field 'a'", ""},
                new String[] {"services: [a, b]\n", "services: must be a map", ""},
                new String[] {"volumes: {}\n", "services: the file has no service", ""},
                new String[] {"services:\n  a:\n    image: x\nnetworks:\n  n: {driver: overlay}\n", "networks.n.driver: only 'bridge'", ""});
        for (String[] c : cases) {
            ComposeException e = error(c[0]);
            assertTrue(e.getMessage().startsWith(file + ": "), e.getMessage());
            assertTrue(e.getMessage().contains(c[1]), "expected '" + c[1] + "' in: " + e.getMessage());
            assertTrue(e.getMessage().contains(c[2]), "expected '" + c[2] + "' in: " + e.getMessage());
        }
    }

    @Test
    void aNetworkModeReplacesTheNetworksAndAServiceModeIsADependency() throws IOException {
        ComposeFile f = parse("""
                services:
                  app: {command: ["true"]}
                  sidecar: {command: ["true"], network_mode: "service:app"}
                  tool: {command: ["true"], network_mode: host, depends_on: [app]}
                """);
        assertEquals(Optional.of("service:app"), f.services().get("sidecar").networkMode());
        assertEquals(List.of("app"), f.services().get("sidecar").dependsOn());
        assertEquals(Map.of(), f.services().get("sidecar").networks());
        assertEquals(Optional.of("host"), f.services().get("tool").networkMode());
        assertEquals(Map.of("default", List.of()), f.services().get("app").networks());
        ComposeException both = error("services:\n  a: {image: x, network_mode: host, networks: [n]}\nnetworks: {n: }\n");
        assertTrue(both.getMessage().contains("services.a.network_mode: cannot be given with networks"), both.getMessage());
        ComposeException bad = error("services:\n  a: {image: x, network_mode: bridge}\n");
        assertTrue(bad.getMessage().contains("'bridge' is not supported: host, none or service:NAME"), bad.getMessage());
        ComposeException missing = error("services:\n  a: {image: x, network_mode: 'service:b'}\n");
        assertTrue(missing.getMessage().contains("services.a.network_mode: no service 'b'"), missing.getMessage());
    }

    @Test
    void externalAndNamedVolumesAndNetworksKeepTheirNames() throws IOException {
        ComposeFile f = parse("""
                services:
                  a: {image: x, volumes: ["shared:/s", "own:/o:ro"], networks: [lan]}
                volumes:
                  shared: {external: true}
                  own: {name: exact-name}
                networks:
                  lan: {external: true, name: corral-lan}
                """);
        assertEquals(new NamedVolume("shared", "shared", true), f.volumes().get("shared"));
        assertEquals(new NamedVolume("own", "exact-name", false), f.volumes().get("own"));
        assertEquals(new NamedNetwork("lan", "corral-lan", true), f.networks().get("lan"));
        assertFalse(f.networks().containsKey("default"), "no service is on the default network");
        assertTrue(f.services().get("a").volumes().get(1).readOnly());
    }
}
