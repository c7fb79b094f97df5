package dev.corral.samples.compose;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.corral.group.RestartPolicy;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A compose file, read: the subset of the Compose specification that {@code corral compose}
 * runs. Services with {@code image}, {@code command}, {@code entrypoint}, {@code environment}
 * (map or list), {@code env_file}, {@code volumes} (named, bind and tmpfs, {@code :ro}),
 * {@code ports}, {@code expose}, {@code networks} (with {@code aliases}), {@code network_mode}
 * ({@code host}, {@code none}, {@code service:NAME}), {@code depends_on},
 * {@code restart}, {@code working_dir}, and also {@code hostname}, {@code user}, {@code tmpfs}
 * and {@code read_only}; top-level {@code name}, {@code volumes} and {@code networks}; variables
 * ({@code ${VAR:-default}}) from the environment and the project's {@code .env}. Any other key is
 * named in a {@link #warnings() warning} with its path, e.g. {@code services.web.healthcheck};
 * extension keys ({@code x-...}) are left alone, as the specification says. A value that cannot
 * be used is an error naming the file and the key.
 *
 * <pre>{@code
 * ComposeFile f = ComposeFile.read(Path.of("compose.yaml"), Optional.empty(), System.getenv());
 * f.project();                       // "myapp": the directory's name, as Compose
 * f.services().get("web").ports();   // [Port[hostIp=Optional.empty, published=8443, target=443, protocol=tcp]]
 * f.warnings();                      // ["services.web.healthcheck: not supported, ignored"]
 * }</pre>
 *
 * @param file     the compose file
 * @param project  the project's name
 * @param services the services, in the file's order
 * @param volumes  the named volumes, by their key in the file
 * @param networks the networks, by their key in the file ({@code default} when a service uses it)
 * @param warnings what was not understood, each naming its key
 */
public record ComposeFile(Path file, String project, Map<String, Service> services, Map<String, NamedVolume> volumes,
                          Map<String, NamedNetwork> networks, List<String> warnings) {

    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory())
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);
    private static final Pattern PROJECT = Pattern.compile("[a-z0-9][a-z0-9_-]*");
    private static final Pattern SERVICE = Pattern.compile("[a-zA-Z0-9][a-zA-Z0-9_.-]*");
    private static final Pattern PORT = Pattern.compile(
            "(?:(?:(\\[[0-9a-fA-F:.]+\\]|[0-9.]+):)?([0-9]+(?:-[0-9]+)?):)?([0-9]+(?:-[0-9]+)?)(?:/(tcp|udp))?");

    /** Copies the maps and lists. */
    public ComposeFile {
        Objects.requireNonNull(file, "file");
        Objects.requireNonNull(project, "project");
        services = Collections.unmodifiableMap(new LinkedHashMap<>(services));
        volumes = Collections.unmodifiableMap(new LinkedHashMap<>(volumes));
        networks = Collections.unmodifiableMap(new LinkedHashMap<>(networks));
        warnings = List.copyOf(new java.util.LinkedHashSet<>(warnings));
    }

    /**
     * A service.
     *
     * <pre>{@code
     * Service web = file.services().get("web");
     * web.image();         // Optional[nginx:1.25]; empty: the host's read-only view
     * web.dependsOn();     // [php]
     * }</pre>
     *
     * @param name        its name
     * @param image       its image; empty to run on the host's read-only view
     * @param entrypoint  its entrypoint, when given (replaces the image's, and the image's command with it)
     * @param command     its command, when given (replaces the image's)
     * @param environment its variables: its env files' first, then {@code environment}'s
     * @param volumes     what is mounted where
     * @param ports       its published ports
     * @param expose      ports it says it listens on (reachable on its networks anyway)
     * @param networks    the networks it joins, each with its extra names (aliases) there; empty
     *                    with a network mode
     * @param networkMode {@code host}, {@code none} or {@code service:NAME} (the network namespace
     *                    of another service, as a pod), when given instead of networks
     * @param dependsOn   the services started before it
     * @param restart     its restart policy
     * @param workingDir  its working directory, when given
     * @param hostname    its hostname, when given (default: its name)
     * @param user        its user ({@code uid[:gid]} or a name), when given
     * @param tmpfs       directories that get a fresh tmpfs
     * @param readOnly    whether its root file system is read-only
     */
    public record Service(String name, Optional<String> image, Optional<List<String>> entrypoint,
                          Optional<List<String>> command, SortedMap<String, String> environment,
                          List<VolumeMount> volumes, List<Port> ports, List<Integer> expose,
                          Map<String, List<String>> networks, Optional<String> networkMode,
                          List<String> dependsOn, RestartPolicy restart,
                          Optional<String> workingDir, Optional<String> hostname, Optional<String> user,
                          List<String> tmpfs, boolean readOnly) {
        /** Copies the collections. */
        public Service {
            environment = Collections.unmodifiableSortedMap(new TreeMap<>(environment));
            volumes = List.copyOf(volumes);
            ports = List.copyOf(ports);
            expose = List.copyOf(expose);
            networks = Collections.unmodifiableMap(new LinkedHashMap<>(networks));
            dependsOn = List.copyOf(dependsOn);
            tmpfs = List.copyOf(tmpfs);
        }
    }

    /**
     * A mount of a service.
     *
     * <pre>{@code
     * new VolumeMount(VolumeMount.Type.VOLUME, "db", "/var/lib/mysql", false);   // from "db:/var/lib/mysql"
     * }</pre>
     *
     * @param type     a named volume, a bind of a host path, or a tmpfs
     * @param source   the volume's key in the file, the absolute host path, or empty for a tmpfs
     * @param target   the absolute path in the container
     * @param readOnly whether it is read-only
     */
    public record VolumeMount(Type type, String source, String target, boolean readOnly) {
        /**
         * The kinds of mount.
         *
         * <pre>{@code
         * mount.type() == VolumeMount.Type.BIND
         * }</pre>
         */
        public enum Type {
            /** A named volume of the project. */
            VOLUME,
            /** A host path. */
            BIND,
            /** A fresh tmpfs. */
            TMPFS
        }
    }

    /**
     * A published port.
     *
     * <pre>{@code
     * new Port(Optional.of("127.0.0.1"), 8443, 443, "tcp").toString();   // "127.0.0.1:8443:443/tcp"
     * }</pre>
     *
     * @param hostIp    the host address it answers on; empty for every address
     * @param published the host's port
     * @param target    the container's port
     * @param protocol  {@code tcp} or {@code udp}
     */
    public record Port(Optional<String> hostIp, int published, int target, String protocol) {
        /** @return Docker's notation, {@code [IP:]HOST:CONTAINER/PROTOCOL} */
        @Override
        public String toString() {
            return hostIp.map(ip -> ip + ":").orElse("") + published + ":" + target + "/" + protocol;
        }
    }

    /**
     * A named volume of the project.
     *
     * <pre>{@code
     * file.volumes().get("db").name();   // "myapp_db": the project's name first, as Compose
     * }</pre>
     *
     * @param key      its key in the file
     * @param name     its name in the store
     * @param external whether it is made outside the project (then never created or removed by it)
     */
    public record NamedVolume(String key, String name, boolean external) {}

    /**
     * A network of the project: a bridge.
     *
     * <pre>{@code
     * file.networks().get("default").name();   // "myapp_default"
     * }</pre>
     *
     * @param key      its key in the file
     * @param name     the bridge network's name
     * @param external whether it is made outside the project (then never removed by it)
     */
    public record NamedNetwork(String key, String name, boolean external) {}

    /**
     * Reads a compose file.
     *
     * @param file    the file
     * @param project the project name to use ({@code -p}); empty for the file's {@code name:} or
     *                its directory's name, as Compose does
     * @param env     the variables for interpolation and for {@code environment} entries without
     *                a value; the project directory's {@code .env} adds those it lacks
     * @return the file, read
     * @throws ComposeException naming the file and the key when it cannot be used
     */
    public static ComposeFile read(Path file, Optional<String> project, Map<String, String> env) {
        String text;
        try {
            text = Files.readString(file);
        } catch (IOException e) {
            throw new ComposeException(file + ": cannot read it: " + e.getMessage(), e);
        }
        return parse(text, file, project, env);
    }

    /**
     * Reads a compose file's text.
     *
     * @param yaml    the text
     * @param file    where it is (relative paths, env files and {@code .env} are beside it)
     * @param project the project name to use, or empty
     * @param env     the variables
     * @return the file, read
     * @throws ComposeException naming the file and the key when it cannot be used
     */
    public static ComposeFile parse(String yaml, Path file, Optional<String> project, Map<String, String> env) {
        Path abs = file.toAbsolutePath().normalize();
        JsonNode root;
        try {
            root = YAML.readTree(yaml);
        } catch (JsonProcessingException e) {
            throw new ComposeException(abs + ": not valid YAML: " + e.getOriginalMessage()
                    + (e.getLocation() == null ? "" : " (line " + e.getLocation().getLineNr() + ")"), e);
        }
        try {
            return new Reader(abs, env).read(root, project);
        } catch (IllegalArgumentException e) {
            throw new ComposeException(abs + ": " + e.getMessage(), e);
        }
    }

    /** The walk over the tree: each method is given its node and its key path. */
    private static final class Reader {
        private final Path file;
        private final Path dir;
        private final Map<String, String> env;
        private final List<String> warnings = new ArrayList<>();

        Reader(Path file, Map<String, String> env) {
            this.file = file;
            this.dir = file.getParent();
            Map<String, String> all = new HashMap<>(dotEnv(dir.resolve(".env")));
            all.putAll(env);
            this.env = all;
        }

        ComposeFile read(JsonNode root, Optional<String> projectOverride) {
            if (root == null || root.isMissingNode() || root.isNull()) {
                throw new IllegalArgumentException("the file is empty");
            }
            object(root, "the top level");
            Map<String, JsonNode> top = fields(root, "", Set.of("services", "volumes", "networks", "name", "version"));
            if (top.containsKey("version")) {
                warnings.add("version: obsolete in the Compose specification, ignored");
            }
            String project = projectOverride.map(p -> {
                if (!PROJECT.matcher(p).matches()) {
                    throw new IllegalArgumentException("project name '" + p
                            + "' must be lowercase letters, digits, '_' and '-', starting with a letter or digit");
                }
                return p;
            }).orElseGet(() -> top.containsKey("name") ? projectName(text(top.get("name"), "name"), "name")
                    : projectName(dir.getFileName() == null ? "" : dir.getFileName().toString(), "the directory's name"));

            Map<String, NamedVolume> volumes = new LinkedHashMap<>();
            if (top.containsKey("volumes") && !top.get("volumes").isNull()) {
                for (Map.Entry<String, JsonNode> e : entries(object(top.get("volumes"), "volumes"))) {
                    volumes.put(e.getKey(), namedVolume(project, e.getKey(), e.getValue(), "volumes." + e.getKey()));
                }
            }
            Map<String, NamedNetwork> networks = new LinkedHashMap<>();
            if (top.containsKey("networks") && !top.get("networks").isNull()) {
                for (Map.Entry<String, JsonNode> e : entries(object(top.get("networks"), "networks"))) {
                    networks.put(e.getKey(), namedNetwork(project, e.getKey(), e.getValue(), "networks." + e.getKey()));
                }
            }
            JsonNode svcs = top.get("services");
            if (svcs == null || svcs.isNull() || svcs.isEmpty()) {
                throw new IllegalArgumentException("services: the file has no service");
            }
            Map<String, Service> services = new LinkedHashMap<>();
            for (Map.Entry<String, JsonNode> e : entries(object(svcs, "services"))) {
                String name = e.getKey();
                if (!SERVICE.matcher(name).matches()) {
                    throw new IllegalArgumentException("services." + name
                            + ": a service's name must be letters, digits, '_', '.' and '-', starting with a letter or digit");
                }
                services.put(name, service(name, e.getValue(), "services." + name, volumes));
            }
            for (Service s : services.values()) {
                s.networkMode().filter(m -> m.startsWith("service:") && !services.containsKey(m.substring(8))).ifPresent(m -> {
                    throw new IllegalArgumentException("services." + s.name() + ".network_mode: no service '"
                            + m.substring(8) + "'");
                });
                for (String dep : s.dependsOn()) {
                    if (!services.containsKey(dep)) {
                        throw new IllegalArgumentException("services." + s.name() + ".depends_on: no service '" + dep + "'");
                    }
                }
                for (String net : s.networks().keySet()) {
                    if (net.equals("default") && !networks.containsKey("default")) {
                        networks.put("default", new NamedNetwork("default", project + "_default", false));
                    } else if (!networks.containsKey(net)) {
                        throw new IllegalArgumentException("services." + s.name() + ".networks: network '" + net
                                + "' is not declared in the top-level networks");
                    }
                }
            }
            return new ComposeFile(file, project, services, volumes, networks, warnings);
        }

        private static String projectName(String raw, String from) {
            String p = raw.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9_-]", "");
            p = p.replaceFirst("^[_-]+", "");
            if (p.isEmpty()) {
                throw new IllegalArgumentException("no project name can be made from " + from + " '" + raw + "': give one with -p");
            }
            return p;
        }

        private NamedVolume namedVolume(String project, String key, JsonNode n, String path) {
            if (n == null || n.isNull()) {
                return new NamedVolume(key, project + "_" + key, false);
            }
            Map<String, JsonNode> f = fields(object(n, path), path, Set.of("name", "external", "driver"));
            if (f.containsKey("driver") && !text(f.get("driver"), path + ".driver").equals("local")) {
                throw new IllegalArgumentException(path + ".driver: only 'local' volumes (the store's) are supported");
            }
            boolean external = f.containsKey("external") && bool(f.get("external"), path + ".external");
            String name = f.containsKey("name") ? text(f.get("name"), path + ".name") : external ? key : project + "_" + key;
            return new NamedVolume(key, name, external);
        }

        private NamedNetwork namedNetwork(String project, String key, JsonNode n, String path) {
            if (n == null || n.isNull()) {
                return new NamedNetwork(key, project + "_" + key, false);
            }
            Map<String, JsonNode> f = fields(object(n, path), path, Set.of("name", "external", "driver"));
            if (f.containsKey("driver") && !text(f.get("driver"), path + ".driver").equals("bridge")) {
                throw new IllegalArgumentException(path + ".driver: only 'bridge' networks are supported");
            }
            boolean external = f.containsKey("external") && bool(f.get("external"), path + ".external");
            String name = f.containsKey("name") ? text(f.get("name"), path + ".name") : external ? key : project + "_" + key;
            return new NamedNetwork(key, name, external);
        }

        private Service service(String name, JsonNode n, String path, Map<String, NamedVolume> volumes) {
            Map<String, JsonNode> f = fields(object(n, path), path, Set.of("image", "command", "entrypoint", "environment",
                    "env_file", "volumes", "ports", "expose", "networks", "network_mode", "depends_on", "restart", "working_dir",
                    "hostname", "user", "tmpfs", "read_only"));
            Optional<String> image = opt(f, "image").map(x -> text(x, path + ".image"));
            Optional<List<String>> entrypoint = opt(f, "entrypoint").map(x -> words(x, path + ".entrypoint"));
            Optional<List<String>> command = opt(f, "command").map(x -> words(x, path + ".command"));
            if (image.isEmpty() && entrypoint.orElse(List.of()).isEmpty() && command.orElse(List.of()).isEmpty()) {
                throw new IllegalArgumentException(path + ": no image and no command: nothing to run (a service without "
                        + "an image runs its command on the host's read-only view)");
            }
            SortedMap<String, String> environment = new TreeMap<>();
            opt(f, "env_file").ifPresent(x -> envFiles(x, path + ".env_file", environment));
            opt(f, "environment").ifPresent(x -> environment(x, path + ".environment", environment));
            List<VolumeMount> mounts = new ArrayList<>();
            opt(f, "volumes").ifPresent(x -> {
                int i = 0;
                for (JsonNode v : array(x, path + ".volumes")) {
                    mounts.add(volume(v, path + ".volumes[" + i++ + "]", volumes));
                }
            });
            List<String> tmpfs = new ArrayList<>();
            opt(f, "tmpfs").ifPresent(x -> {
                for (String t : x.isArray() ? strings(x, path + ".tmpfs") : List.of(text(x, path + ".tmpfs"))) {
                    tmpfs.add(absolute(t.split(":", 2)[0], path + ".tmpfs"));
                }
            });
            List<Port> ports = new ArrayList<>();
            opt(f, "ports").ifPresent(x -> {
                int i = 0;
                for (JsonNode p : array(x, path + ".ports")) {
                    ports.addAll(port(p, path + ".ports[" + i++ + "]"));
                }
            });
            List<Integer> expose = new ArrayList<>();
            opt(f, "expose").ifPresent(x -> {
                int i = 0;
                for (JsonNode p : array(x, path + ".expose")) {
                    String where = path + ".expose[" + i++ + "]";
                    String s = scalar(p, where);
                    Matcher m = Pattern.compile("([0-9]+(?:-[0-9]+)?)(?:/(tcp|udp))?").matcher(s);
                    if (!m.matches()) {
                        throw new IllegalArgumentException(where + ": '" + s + "' is not a port (PORT, PORT/udp or a range FIRST-LAST)");
                    }
                    int[] r = portRange(m.group(1), where);
                    for (int port = r[0]; port <= r[1]; port++) {
                        expose.add(port);
                    }
                }
            });
            Optional<String> networkMode = opt(f, "network_mode").map(x -> text(x, path + ".network_mode"));
            networkMode.ifPresent(m -> {
                if (!m.equals("host") && !m.equals("none") && !(m.startsWith("service:") && m.length() > 8)) {
                    throw new IllegalArgumentException(path + ".network_mode: '" + m + "' is not supported: host, none or service:NAME");
                }
                if (f.containsKey("networks")) {
                    throw new IllegalArgumentException(path + ".network_mode: cannot be given with networks");
                }
            });
            Map<String, List<String>> networks = new LinkedHashMap<>();
            opt(f, "networks").ifPresentOrElse(x -> networks(x, path + ".networks", networks),
                    () -> {
                        if (networkMode.isEmpty()) {
                            networks.put("default", List.of());
                        }
                    });
            List<String> dependsOn = new ArrayList<>(opt(f, "depends_on").map(x -> dependsOn(x, path + ".depends_on"))
                    .orElse(List.of()));
            networkMode.filter(m -> m.startsWith("service:")).map(m -> m.substring(8))
                    .filter(other -> !dependsOn.contains(other)).ifPresent(dependsOn::add);
            RestartPolicy restart = opt(f, "restart").map(x -> {
                /* YAML 1.1 reads a bare `no` as false */
                String s = x.isBoolean() && !x.booleanValue() ? "no" : text(x, path + ".restart");
                try {
                    return RestartPolicy.parse(s);
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException(path + "." + e.getMessage(), e);
                }
            }).orElse(RestartPolicy.no());
            Optional<String> workingDir = opt(f, "working_dir").map(x -> absolute(text(x, path + ".working_dir"), path + ".working_dir"));
            Optional<String> hostname = opt(f, "hostname").map(x -> text(x, path + ".hostname"));
            Optional<String> user = opt(f, "user").map(x -> scalar(x, path + ".user"));
            boolean readOnly = opt(f, "read_only").map(x -> bool(x, path + ".read_only")).orElse(false);
            return new Service(name, image, entrypoint, command, environment, mounts, ports, expose, networks, networkMode, dependsOn,
                    restart, workingDir, hostname, user, tmpfs, readOnly);
        }

        private void envFiles(JsonNode x, String path, Map<String, String> into) {
            List<JsonNode> items = x.isArray() ? list(x) : List.of(x);
            int i = 0;
            for (JsonNode item : items) {
                String where = x.isArray() ? path + "[" + i++ + "]" : path;
                String p;
                boolean required = true;
                if (item.isObject()) {
                    Map<String, JsonNode> f = fields(item, where, Set.of("path", "required"));
                    if (!f.containsKey("path")) {
                        throw new IllegalArgumentException(where + ".path: missing");
                    }
                    p = text(f.get("path"), where + ".path");
                    required = !f.containsKey("required") || bool(f.get("required"), where + ".required");
                } else {
                    p = text(item, where);
                }
                Path file = dir.resolve(p).normalize();
                if (!Files.isRegularFile(file)) {
                    if (required) {
                        throw new IllegalArgumentException(where + ": env file " + file + " not found");
                    }
                    continue;
                }
                try {
                    into.putAll(dotEnvLines(Files.readAllLines(file), where + " (" + file + ")"));
                } catch (IOException e) {
                    throw new IllegalArgumentException(where + ": cannot read " + file + ": " + e.getMessage(), e);
                }
            }
        }

        private void environment(JsonNode x, String path, Map<String, String> into) {
            if (x.isObject()) {
                for (Map.Entry<String, JsonNode> e : entries(x)) {
                    JsonNode v = e.getValue();
                    if (v == null || v.isNull()) {
                        Optional.ofNullable(env.get(e.getKey())).ifPresent(val -> into.put(e.getKey(), val));
                    } else {
                        into.put(e.getKey(), scalar(v, path + "." + e.getKey()));
                    }
                }
            } else if (x.isArray()) {
                int i = 0;
                for (JsonNode item : list(x)) {
                    String where = path + "[" + i++ + "]";
                    String s = text(item, where);
                    int eq = s.indexOf('=');
                    if (eq == 0) {
                        throw new IllegalArgumentException(where + ": '" + s + "' has no variable name");
                    } else if (eq < 0) {
                        Optional.ofNullable(env.get(s)).ifPresent(val -> into.put(s, val));
                    } else {
                        into.put(s.substring(0, eq), s.substring(eq + 1));
                    }
                }
            } else {
                throw new IllegalArgumentException(path + ": must be a map (NAME: value) or a list (NAME=value)");
            }
        }

        private VolumeMount volume(JsonNode v, String path, Map<String, NamedVolume> volumes) {
            if (v.isObject()) {
                Map<String, JsonNode> f = fields(v, path, Set.of("type", "source", "target", "read_only"));
                String type = f.containsKey("type") ? text(f.get("type"), path + ".type") : "volume";
                String target = absolute(f.containsKey("target") ? text(f.get("target"), path + ".target") : "", path + ".target");
                boolean ro = f.containsKey("read_only") && bool(f.get("read_only"), path + ".read_only");
                String source = f.containsKey("source") ? text(f.get("source"), path + ".source") : "";
                switch (type) {
                    case "volume": return namedMount(source, target, ro, path + ".source", volumes);
                    case "bind": return new VolumeMount(VolumeMount.Type.BIND, hostPath(source, path + ".source"), target, ro);
                    case "tmpfs": return new VolumeMount(VolumeMount.Type.TMPFS, "", target, ro);
                    default: throw new IllegalArgumentException(path + ".type: '" + type + "' is not supported: volume, bind or tmpfs");
                }
            }
            String s = text(v, path);
            String[] parts = s.split(":", -1);
            if (parts.length == 1) {
                throw new IllegalArgumentException(path + ": '" + s + "' is an anonymous volume, which is not supported: "
                        + "name it (NAME:" + s + ") and declare it in the top-level volumes");
            }
            if (parts.length > 3) {
                throw new IllegalArgumentException(path + ": '" + s + "' is not SOURCE:TARGET[:ro|rw]");
            }
            boolean ro = false;
            if (parts.length == 3) {
                for (String opt : parts[2].split(",")) {
                    switch (opt) {
                        case "ro": ro = true; break;
                        case "rw": ro = false; break;
                        default: warnings.add(path + ": mode '" + opt + "' is not supported, ignored");
                    }
                }
            }
            String target = absolute(parts[1], path);
            String src = parts[0];
            if (src.startsWith("/") || src.startsWith(".") || src.startsWith("~")) {
                return new VolumeMount(VolumeMount.Type.BIND, hostPath(src, path), target, ro);
            }
            return namedMount(src, target, ro, path, volumes);
        }

        private static VolumeMount namedMount(String name, String target, boolean ro, String path, Map<String, NamedVolume> volumes) {
            if (name.isEmpty()) {
                throw new IllegalArgumentException(path + ": a volume needs a source (a named volume)");
            }
            if (!volumes.containsKey(name)) {
                throw new IllegalArgumentException(path + ": volume '" + name + "' is not declared in the top-level volumes");
            }
            return new VolumeMount(VolumeMount.Type.VOLUME, name, target, ro);
        }

        private String hostPath(String src, String path) {
            if (src.isEmpty()) {
                throw new IllegalArgumentException(path + ": a bind needs a source path");
            }
            if (src.equals("~") || src.startsWith("~/")) {
                src = System.getProperty("user.home") + src.substring(1);
            }
            return dir.resolve(src).normalize().toString();
        }

        /** A ports entry: one port in the long syntax; one or, with ranges, several in the short. */
        private List<Port> port(JsonNode p, String path) {
            if (p.isObject()) {
                Map<String, JsonNode> f = fields(p, path, Set.of("target", "published", "host_ip", "protocol"));
                if (!f.containsKey("target") || !f.containsKey("published")) {
                    throw new IllegalArgumentException(path + ": give both target and published (corral publishes "
                            + "only ports with a host port of their own)");
                }
                int target = portNumber(scalar(f.get("target"), path + ".target"), path + ".target");
                int published = portNumber(scalar(f.get("published"), path + ".published"), path + ".published");
                Optional<String> ip = opt(f, "host_ip").map(x -> text(x, path + ".host_ip"));
                String proto = f.containsKey("protocol") ? text(f.get("protocol"), path + ".protocol") : "tcp";
                if (!proto.equals("tcp") && !proto.equals("udp")) {
                    throw new IllegalArgumentException(path + ".protocol: '" + proto + "' is not tcp or udp");
                }
                return List.of(new Port(ip, published, target, proto));
            }
            String s = scalar(p, path);
            Matcher m = PORT.matcher(s);
            if (!m.matches()) {
                throw new IllegalArgumentException(path + ": '" + s + "' is not [IP:]HOST:CONTAINER[/tcp|/udp] "
                        + "(HOST and CONTAINER may be ranges of as many ports, FIRST-LAST)");
            }
            if (m.group(2) == null) {
                throw new IllegalArgumentException(path + ": '" + s + "' has no host port: corral publishes only "
                        + "HOST:CONTAINER (expose: for a port other services reach)");
            }
            Optional<String> ip = Optional.ofNullable(m.group(1)).map(x -> x.startsWith("[") ? x.substring(1, x.length() - 1) : x);
            int[] host = portRange(m.group(2), path);
            int[] container = portRange(m.group(3), path);
            int n = host[1] - host[0] + 1;
            if (n != container[1] - container[0] + 1) {
                throw new IllegalArgumentException(path + ": '" + s + "': the host range has " + n + " ports and the "
                        + "container range " + (container[1] - container[0] + 1) + "; they must have as many");
            }
            if (n > dev.corral.network.PortMapping.MAX_RANGE) {
                throw new IllegalArgumentException(path + ": '" + s + "': " + n + " ports, more than the "
                        + dev.corral.network.PortMapping.MAX_RANGE + " one range may publish");
            }
            List<Port> all = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                all.add(new Port(ip, host[0] + i, container[0] + i, m.group(4) == null ? "tcp" : m.group(4)));
            }
            return all;
        }

        /** @return {first, last} of {@code PORT} or {@code FIRST-LAST} */
        private static int[] portRange(String s, String path) {
            int dash = s.indexOf('-');
            if (dash < 0) {
                int p = portNumber(s, path);
                return new int[] {p, p};
            }
            int first = portNumber(s.substring(0, dash), path);
            int last = portNumber(s.substring(dash + 1), path);
            if (first > last) {
                throw new IllegalArgumentException(path + ": the port range '" + s + "' ends before it starts");
            }
            return new int[] {first, last};
        }

        private static int portNumber(String s, String path) {
            int n;
            try {
                n = Integer.parseInt(s);
            } catch (NumberFormatException e) {
                n = -1;
            }
            if (n < 1 || n > 65535) {
                throw new IllegalArgumentException(path + ": port '" + s + "' is not 1-65535");
            }
            return n;
        }

        private void networks(JsonNode x, String path, Map<String, List<String>> into) {
            if (x.isArray()) {
                for (String n : strings(x, path)) {
                    into.put(n, List.of());
                }
            } else if (x.isObject()) {
                for (Map.Entry<String, JsonNode> e : entries(x)) {
                    String where = path + "." + e.getKey();
                    JsonNode v = e.getValue();
                    if (v == null || v.isNull()) {
                        into.put(e.getKey(), List.of());
                    } else {
                        Map<String, JsonNode> f = fields(object(v, where), where, Set.of("aliases"));
                        into.put(e.getKey(), f.containsKey("aliases") ? strings(f.get("aliases"), where + ".aliases") : List.of());
                    }
                }
            } else {
                throw new IllegalArgumentException(path + ": must be a list of networks or a map");
            }
        }

        private List<String> dependsOn(JsonNode x, String path) {
            if (x.isArray()) {
                return strings(x, path);
            }
            List<String> out = new ArrayList<>();
            for (Map.Entry<String, JsonNode> e : entries(object(x, path))) {
                String where = path + "." + e.getKey();
                JsonNode v = e.getValue();
                if (v != null && !v.isNull()) {
                    Map<String, JsonNode> f = fields(object(v, where), where, Set.of("condition", "required", "restart"));
                    String condition = f.containsKey("condition") ? text(f.get("condition"), where + ".condition") : "service_started";
                    if (!condition.equals("service_started")) {
                        warnings.add(where + ".condition: '" + condition + "' is not supported (no healthchecks): "
                                + "the service starts once '" + e.getKey() + "' has started");
                    }
                    if (f.containsKey("required") && !bool(f.get("required"), where + ".required")) {
                        warnings.add(where + ".required: false is not supported: '" + e.getKey() + "' is required");
                    }
                    if (f.containsKey("restart")) {
                        warnings.add(where + ".restart: not supported, ignored");
                    }
                }
                out.add(e.getKey());
            }
            return out;
        }

        /* ---- node helpers: each names its key in errors ---- */

        private List<String> words(JsonNode x, String path) {
            if (x.isNull()) {
                return List.of();
            }
            if (x.isArray()) {
                return strings(x, path);
            }
            String s = text(x, path);
            return ShellWords.split(s).orElseThrow(() -> new IllegalArgumentException(path + ": '" + s
                    + "' has a quote that is not closed (or ends in a lone backslash)"));
        }

        /** The known fields of an object; each other one is a warning (but x- extensions). */
        private Map<String, JsonNode> fields(JsonNode n, String path, Set<String> known) {
            Map<String, JsonNode> out = new LinkedHashMap<>();
            for (Map.Entry<String, JsonNode> e : entries(n)) {
                String key = e.getKey();
                if (known.contains(key)) {
                    out.put(key, e.getValue());
                } else if (!key.startsWith("x-")) {
                    warnings.add((path.isEmpty() ? "" : path + ".") + key + ": not supported, ignored");
                }
            }
            return out;
        }

        private static Optional<JsonNode> opt(Map<String, JsonNode> f, String key) {
            return Optional.ofNullable(f.get(key));
        }

        private static JsonNode object(JsonNode n, String path) {
            if (n == null || !n.isObject()) {
                throw new IllegalArgumentException(path + ": must be a map");
            }
            return n;
        }

        private static List<JsonNode> array(JsonNode n, String path) {
            if (n == null || !n.isArray()) {
                throw new IllegalArgumentException(path + ": must be a list");
            }
            return list(n);
        }

        private static List<JsonNode> list(JsonNode n) {
            List<JsonNode> out = new ArrayList<>();
            n.elements().forEachRemaining(out::add);
            return out;
        }

        private static List<Map.Entry<String, JsonNode>> entries(JsonNode n) {
            List<Map.Entry<String, JsonNode>> out = new ArrayList<>();
            for (Iterator<Map.Entry<String, JsonNode>> it = n.fields(); it.hasNext(); ) {
                out.add(it.next());
            }
            return out;
        }

        private List<String> strings(JsonNode n, String path) {
            List<String> out = new ArrayList<>();
            int i = 0;
            for (JsonNode x : array(n, path)) {
                out.add(scalar(x, path + "[" + i++ + "]"));
            }
            return out;
        }

        /** A string, number or boolean as text, interpolated. */
        private String scalar(JsonNode n, String path) {
            if (n == null || !n.isValueNode() || n.isNull()) {
                throw new IllegalArgumentException(path + ": must be a string or a number");
            }
            return interpolate(n.asText(), path);
        }

        private String text(JsonNode n, String path) {
            return scalar(n, path);
        }

        private boolean bool(JsonNode n, String path) {
            if (n != null && n.isBoolean()) {
                return n.booleanValue();
            }
            String s = scalar(n, path);
            if (s.equals("true") || s.equals("false")) {
                return Boolean.parseBoolean(s);
            }
            throw new IllegalArgumentException(path + ": must be true or false, not '" + s + "'");
        }

        private static String absolute(String p, String path) {
            if (!p.startsWith("/") || p.contains("/../") || p.endsWith("/..") || p.contains("\0")) {
                throw new IllegalArgumentException(path + ": '" + p + "' must be an absolute path in the container");
            }
            String norm = p.replaceAll("/+", "/");
            return norm.length() > 1 && norm.endsWith("/") ? norm.substring(0, norm.length() - 1) : norm;
        }

        private String interpolate(String s, String path) {
            return Interpolation.apply(s, env, path, warnings::add);
        }

        private static Map<String, String> dotEnv(Path file) {
            if (!Files.isRegularFile(file)) {
                return Map.of();
            }
            try {
                return dotEnvLines(Files.readAllLines(file), file.toString());
            } catch (IOException e) {
                throw new IllegalArgumentException(file + ": cannot read it: " + e.getMessage(), e);
            }
        }
    }

    /**
     * Reads {@code NAME=value} lines as Compose's env files: blank lines and {@code #} comments
     * skipped, an optional {@code export }, a value in single quotes kept as is, in double quotes
     * with {@code \n} and {@code \"} read, unquoted with a trailing {@code  #comment} removed.
     *
     * @param lines the file's lines
     * @param where the file, for messages
     * @return the variables, in order
     */
    static Map<String, String> dotEnvLines(List<String> lines, String where) {
        Map<String, String> out = new LinkedHashMap<>();
        int no = 0;
        for (String raw : lines) {
            no++;
            String line = raw.strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            if (line.startsWith("export ")) {
                line = line.substring("export ".length()).strip();
            }
            int eq = line.indexOf('=');
            if (eq <= 0) {
                throw new IllegalArgumentException(where + " line " + no + ": '" + raw + "' is not NAME=value");
            }
            String name = line.substring(0, eq).strip();
            String v = line.substring(eq + 1).strip();
            if (v.length() >= 2 && v.startsWith("'") && v.endsWith("'")) {
                v = v.substring(1, v.length() - 1);
            } else if (v.length() >= 2 && v.startsWith("\"") && v.endsWith("\"")) {
                v = v.substring(1, v.length() - 1).replace("\\n", "\n").replace("\\\"", "\"").replace("\\\\", "\\");
            } else {
                int hash = v.indexOf(" #");
                if (hash >= 0) {
                    v = v.substring(0, hash).strip();
                }
            }
            out.put(name, v);
        }
        return out;
    }
}
