package dev.corral.samples.compose;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.corral.Container;
import dev.corral.ContainerException;
import dev.corral.ContainerSpec;
import dev.corral.Mount;
import dev.corral.Rootfs;
import dev.corral.group.ContainerGroup;
import dev.corral.group.GroupMember;
import dev.corral.group.MemberStatus;
import dev.corral.image.ImageConfig;
import dev.corral.image.ImageRef;
import dev.corral.image.ImageStore;
import dev.corral.network.Network;
import dev.corral.network.NetworkInfo;
import dev.corral.network.Networks;
import dev.corral.network.PortMapping;
import dev.corral.samples.compose.ComposeFile.NamedVolume;
import dev.corral.samples.compose.ComposeFile.Service;
import dev.corral.samples.compose.ComposeFile.VolumeMount;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Stream;

/**
 * A compose project run by {@code corral compose}: its services as one {@link ContainerGroup},
 * its named volumes in the image store, and a small state file per project under the store
 * ({@code compose/PROJECT/state.json}, with each service's log beside it in {@code logs/}), so
 * that {@code ps}, {@code logs} and {@code down} work from another process while {@code up}
 * runs, as with Docker's daemon, but without one.
 *
 * <pre>{@code
 * ComposeProject p = new ComposeProject(ComposeFile.read(file, Optional.empty(), System.getenv()), store);
 * int code = p.up(out, err, stopRequested);   // until stopRequested completes or every service has ended
 * p.ps(out);                                  // from anywhere, meanwhile
 * p.down(false, out, err);                    // stops a running up, removes its state; keeps named volumes
 * }</pre>
 */
public final class ComposeProject {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** How long {@code down} waits for a running {@code up} to stop its services. */
    private static final Duration UP_STOP_WAIT = Duration.ofSeconds(60);

    private final ComposeFile file;
    private final ImageStore store;
    private final Path stateDir;
    private final Duration grace;
    /* up's view of its services, written to the state file on each change */
    private final Map<String, MemberStatus> statuses = new LinkedHashMap<>();

    /**
     * @param file  the compose file, read
     * @param store the image store: images, named volumes, and the project's state
     */
    public ComposeProject(ComposeFile file, ImageStore store) {
        this(file, store, Duration.ofSeconds(10));
    }

    /**
     * @param file  the compose file, read
     * @param store the image store
     * @param grace how long a stop waits after SIGTERM before SIGKILL (Compose's default: 10 s)
     */
    public ComposeProject(ComposeFile file, ImageStore store, Duration grace) {
        this.file = file;
        this.store = store;
        this.stateDir = store.directory().resolve("compose").resolve(file.project());
        this.grace = grace;
    }

    /** @return the project's directory under the store: its state file and its logs */
    public Path stateDirectory() {
        return stateDir;
    }

    /** @param service a service @return its log: stdout and stderr, in the order written */
    public Path logFile(String service) {
        return stateDir.resolve("logs").resolve(service + ".log");
    }

    /**
     * Runs the project in the foreground, as {@code docker compose up} without {@code -d}:
     * creates its named volumes, pulls missing images, starts its services in dependency order,
     * prints their output prefixed by service name, and stops everything (SIGTERM, then SIGKILL
     * after the grace period) once {@code stop} completes or every service has ended for good.
     *
     * @param out  where the services' output goes
     * @param err  where corral's messages go (warnings, starts, ends)
     * @param stop completed to stop the project (on SIGINT or SIGTERM)
     * @return 0, or 125 when the project could not be started
     */
    public int up(PrintWriter out, PrintWriter err, CompletableFuture<Void> stop) {
        Optional<ProcessHandle> other = upProcess().filter(p -> p.pid() != ProcessHandle.current().pid());
        if (other.isPresent()) {
            err.println("corral compose: project " + file.project() + " is already up (pid " + other.get().pid()
                    + "): 'corral compose down' first");
            return 125;
        }
        file.warnings().forEach(w -> err.println("corral compose: warning: " + file.file().getFileName() + ": " + w));
        List<GroupMember> members;
        try {
            prepareVolumes(err);
            members = members(err);
            Files.createDirectories(stateDir.resolve("logs"));
        } catch (ContainerException | ComposeException | IOException e) {
            err.println("corral compose: " + e.getMessage());
            return 125;
        }
        synchronized (statuses) {
            statuses.clear();
        }
        writeState(true);
        Map<String, Path> logs = new LinkedHashMap<>();
        members.forEach(m -> logs.put(m.name(), logFile(m.name())));
        LogFollower follower = new LogFollower(logs, out);
        Thread printer = new Thread(() -> {
            while (!Thread.currentThread().isInterrupted()) {
                follower.poll();
                try {
                    Thread.sleep(100);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }, "corral-compose-logs");
        printer.setDaemon(true);
        printer.start();
        ContainerGroup group = null;
        try {
            ContainerGroup.Builder b = ContainerGroup.builder().logDirectory(stateDir.resolve("logs")).stopGracePeriod(grace)
                    .listener(s -> changed(s, err));
            members.forEach(b::member);
            group = b.start();
            CompletableFuture.anyOf(stop, group.onEnded()).join();
            if (stop.isDone()) {
                err.println("corral compose: stopping " + file.project());
            }
            return 0;
        } catch (ContainerException | IllegalArgumentException e) {
            err.println("corral compose: " + e.getMessage());
            return 125;
        } finally {
            if (group != null) {
                group.close();
            }
            printer.interrupt();
            try {
                printer.join(5000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            follower.close();
            writeState(false);
        }
    }

    private void changed(MemberStatus s, PrintWriter err) {
        synchronized (statuses) {
            statuses.put(s.name(), s);
        }
        writeState(true);
        String end = s.lastResult().map(r -> r.exitCode().isPresent() ? "exited with code " + r.exitCode().getAsInt()
                : r.signal().isPresent() ? "ended by signal " + r.signal().getAsInt()
                : "ended: " + r.termination().name().toLowerCase(Locale.ROOT)).orElse("ended");
        switch (s.state()) {
            case RUNNING -> err.println("corral compose: " + s.name() + " started" + (s.restarts() > 0
                    ? " again (restart " + s.restarts() + ")" : ""));
            case RESTARTING -> err.println("corral compose: " + s.name() + " " + end + "; restarting (restart: "
                    + file.services().get(s.name()).restart() + ")");
            case FAILED -> err.println("corral compose: " + s.name() + " failed: " + s.failure().orElse("?"));
            case STOPPED -> err.println("corral compose: " + s.name() + " stopped" + (s.lastResult().isPresent() ? " (" + end + ")" : ""));
            default -> err.println("corral compose: " + s.name() + " " + end);
        }
        err.flush();
    }

    /**
     * Stops a running {@code up} of the project (SIGTERM to it: it stops its services), and
     * removes the project's state and logs; named volumes stay unless {@code removeVolumes}, and
     * external ones always stay. Each container's writable layer went with it.
     *
     * @param removeVolumes also remove the project's own named volumes ({@code down -v})
     * @param out           what was removed
     * @param err           messages
     * @return 0, or 1 when a running up could not be stopped
     */
    public int down(boolean removeVolumes, PrintWriter out, PrintWriter err) {
        Optional<ProcessHandle> up = upProcess();
        if (up.isPresent()) {
            ProcessHandle p = up.get();
            err.println("corral compose: stopping the running 'up' of " + file.project() + " (pid " + p.pid() + ")");
            err.flush();
            p.destroy();
            if (!awaitExit(p, grace.plus(UP_STOP_WAIT))) {
                err.println("corral compose: pid " + p.pid() + " did not stop; killed (its containers die with it)");
                p.destroyForcibly();
                if (!awaitExit(p, Duration.ofSeconds(10))) {
                    return 1;
                }
            }
        }
        removeNetworks(out, err);
        if (removeVolumes) {
            for (NamedVolume v : file.volumes().values()) {
                if (!v.external() && store.removeVolume(v.name())) {
                    out.println("removed volume " + v.name());
                }
            }
        }
        if (Files.exists(stateDir)) {
            deleteTree(stateDir);
            out.println("removed " + file.project() + "'s state and logs");
        }
        return 0;
    }

    /** The project's own bridges that are still there (Corral removes one it made when its last container ends). */
    private void removeNetworks(PrintWriter out, PrintWriter err) {
        List<String> own = file.networks().values().stream().filter(n -> !n.external()).map(ComposeFile.NamedNetwork::name).toList();
        if (own.isEmpty()) {
            return;
        }
        List<NetworkInfo> present;
        try {
            present = Networks.list();
        } catch (UnsupportedOperationException e) {
            return; /* a build without bridges has none to remove */
        }
        for (NetworkInfo n : present) {
            if (own.contains(n.name())) {
                try {
                    Networks.remove(n.name());
                    out.println("removed network " + n.name());
                } catch (RuntimeException e) {
                    err.println("corral compose: cannot remove network " + n.name() + ": " + e.getMessage());
                }
            }
        }
    }

    /**
     * Prints each service's state, as {@code docker compose ps}: from the state file that a
     * running (or the last) {@code up} keeps.
     *
     * @param out where the table goes
     * @return 0
     */
    public int ps(PrintWriter out) {
        Optional<JsonNode> state = readState();
        boolean upAlive = upProcess().isPresent();
        out.printf(Locale.ROOT, "%-20s %-24s %-8s %-8s %-15s %s%n", "SERVICE", "STATE", "PID", "RESTARTS", "ADDRESS", "PORTS");
        for (Service s : file.services().values()) {
            JsonNode n = state.map(j -> j.path("services").path(s.name())).orElse(JSON.missingNode());
            String st = n.path("status").asText("not created");
            boolean live = n.path("state").asText().equals("RUNNING") || n.path("state").asText().equals("RESTARTING");
            if (live && !upAlive) {
                st = "dead (its up ended)";
            }
            String pid = live && upAlive && n.hasNonNull("pid") ? n.get("pid").asText() : "-";
            String address = live && upAlive && n.hasNonNull("address") ? n.get("address").asText() : "-";
            String ports = String.join(",", s.ports().stream().map(ComposeFile.Port::toString).toList());
            out.printf(Locale.ROOT, "%-20s %-24s %-8s %-8s %-15s %s%n", s.name(), st, pid, n.path("restarts").asInt(0),
                    address, ports);
        }
        out.flush();
        return 0;
    }

    /**
     * Prints services' logs, each line prefixed by its service; following them while the
     * project's {@code up} runs, when asked.
     *
     * @param services the services, or empty for all
     * @param follow   keep printing what comes until the project's up ends
     * @param out      where the lines go
     * @param err      messages
     * @return 0, or 1 for an unknown service
     */
    public int logs(List<String> services, boolean follow, PrintWriter out, PrintWriter err) {
        Map<String, Path> logs = new LinkedHashMap<>();
        for (String s : services.isEmpty() ? List.copyOf(file.services().keySet()) : services) {
            if (!file.services().containsKey(s)) {
                err.println("corral compose logs: no service '" + s + "' in " + file.file());
                return 1;
            }
            logs.put(s, logFile(s));
        }
        try (LogFollower f = new LogFollower(logs, out)) {
            f.poll();
            while (follow) {
                Optional<ProcessHandle> up = upProcess();
                if (up.isEmpty()) {
                    break;
                }
                try {
                    Thread.sleep(200);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    break;
                }
                f.poll();
            }
        }
        return 0;
    }

    /** @return the process of the project's running {@code up}, from the state file, if it still runs */
    public Optional<ProcessHandle> upProcess() {
        return readState().filter(s -> s.path("running").asBoolean(false)).flatMap(s -> {
            Optional<ProcessHandle> p = ProcessHandle.of(s.path("pid").asLong(-1));
            String started = s.path("pidStarted").asText("");
            /* a PID used again by another process is not the up */
            return p.filter(ProcessHandle::isAlive)
                    .filter(h -> h.info().startInstant().map(Instant::toString).orElse("").equals(started));
        });
    }

    /* ---- the services as group members ---- */

    private void prepareVolumes(PrintWriter err) {
        List<String> existing = store.volumes();
        for (NamedVolume v : file.volumes().values()) {
            if (v.external() && !existing.contains(v.name())) {
                throw new ComposeException(file.file() + ": volumes." + v.key() + ": external volume '" + v.name()
                        + "' does not exist (corral volume ls)");
            }
            if (!existing.contains(v.name())) {
                store.volume(v.name());
                err.println("corral compose: created volume " + v.name());
            }
        }
    }

    /** @param err where pulls are reported @return each service as a group member */
    List<GroupMember> members(PrintWriter err) {
        List<GroupMember> out = new ArrayList<>();
        for (Service s : file.services().values()) {
            String where = file.file() + ": services." + s.name();
            ContainerSpec.Builder b = Container.builder();
            Optional<ImageConfig> config = Optional.empty();
            if (s.image().isPresent()) {
                String image = s.image().get();
                if (store.image(image).isEmpty() && ImageRef.tryParse(image).isPresent()) {
                    err.println("corral compose: pulling " + image + " for " + s.name());
                    err.flush();
                    store.pull(image);
                }
                if (store.image(image).isEmpty()) {
                    throw new ComposeException(where + ".image: no image '" + image + "' in the store " + store.directory());
                }
                config = Optional.of(store.config(image));
                b.rootfs(Rootfs.image(store, image));
            } else {
                b.rootfs(Rootfs.hostReadOnly());
            }
            b.hostname(hostname(s));
            b.env(s.environment());
            s.workingDir().ifPresent(b::workingDirectory);
            s.user().ifPresent(u -> user(b, u, s.image().isPresent(), where + ".user"));
            b.readOnlyRoot(s.readOnly());
            for (VolumeMount m : s.volumes()) {
                b.mount(switch (m.type()) {
                    case VOLUME -> m.readOnly() ? Mount.volumeReadOnly(store, file.volumes().get(m.source()).name(), m.target())
                            : Mount.volume(store, file.volumes().get(m.source()).name(), m.target());
                    case BIND -> m.readOnly() ? Mount.bind(Path.of(m.source()), m.target())
                            : Mount.bindReadWrite(Path.of(m.source()), m.target());
                    case TMPFS -> Mount.tmpfs(m.target());
                });
            }
            s.tmpfs().forEach(t -> b.mount(Mount.tmpfs(t)));
            network(b, s, where);
            ContainerSpec spec;
            try {
                spec = b.build();
            } catch (ContainerException e) {
                throw new ComposeException(where + ": " + e.getMessage(), e);
            }
            GroupMember.Builder m = GroupMember.builder(s.name(), spec).command(command(s, config))
                    .dependsOn(s.dependsOn().toArray(String[]::new)).restart(s.restart());
            /* network_mode service:NAME: a pod, made by the group with the other service's container */
            s.networkMode().filter(n -> n.startsWith("service:")).ifPresent(n -> m.shareNetworkWith(n.substring(8)));
            out.add(m.build());
        }
        return out;
    }

    /**
     * The service's network: its network mode, or its one network, a bridge named
     * {@code PROJECT_NETWORK} where the other services reach it by its name and aliases, with its
     * published ports.
     */
    private void network(ContainerSpec.Builder b, Service s, String where) {
        if (s.networkMode().isPresent()) {
            String mode = s.networkMode().get();
            if (mode.equals("host")) {
                b.network(Network.host());
            } else if (mode.startsWith("service:") && !s.ports().isEmpty()) {
                throw new ComposeException(where + ".ports: a service in another's network namespace (" + mode
                        + ") has no ports of its own: publish them on '" + mode.substring(8) + "'");
            }
        } else {
            if (s.networks().size() > 1) {
                throw new ComposeException(where + ".networks: " + s.networks().keySet() + ": a service joins one "
                        + "network here");
            }
            Map.Entry<String, List<String>> net = s.networks().entrySet().iterator().next();
            b.network(Network.bridge(file.networks().get(net.getKey()).name()));
            List<String> names = new ArrayList<>();
            names.add(s.name());
            net.getValue().stream().filter(a -> !names.contains(a)).forEach(names::add);
            b.networkAlias(names.toArray(String[]::new));
        }
        for (ComposeFile.Port p : s.ports()) {
            try {
                b.publish(PortMapping.parse(p.toString()));
            } catch (IllegalArgumentException e) {
                throw new ComposeException(where + ".ports: " + e.getMessage(), e);
            }
        }
    }

    /**
     * The command as Docker makes it: an entrypoint given replaces the image's and drops the
     * image's command; a command given replaces the image's command only.
     */
    private List<String> command(Service s, Optional<ImageConfig> image) {
        if (s.entrypoint().isEmpty() && s.command().isEmpty()) {
            return List.of(); /* the image's own entrypoint and command */
        }
        List<String> argv = new ArrayList<>();
        if (s.entrypoint().isPresent()) {
            argv.addAll(s.entrypoint().get());
            argv.addAll(s.command().orElse(List.of()));
        } else {
            image.ifPresent(c -> argv.addAll(c.entrypoint()));
            argv.addAll(s.command().orElse(List.of()));
        }
        if (argv.isEmpty()) {
            throw new ComposeException(file.file() + ": services." + s.name() + ": the command is empty");
        }
        return argv;
    }

    /** Its hostname, else its name with what a hostname may not hold made '-'. */
    private static String hostname(Service s) {
        return s.hostname().orElseGet(() -> s.name().replaceAll("[^A-Za-z0-9.-]", "-"));
    }

    /** {@code uid[:gid]}, or a user name of the host's /etc/passwd for a service on the host's view. */
    private static void user(ContainerSpec.Builder b, String user, boolean image, String where) {
        String[] parts = user.split(":", 2);
        try {
            int uid = id(parts[0], "/etc/passwd", 2, image, where);
            int gid = parts.length > 1 ? id(parts[1], "/etc/group", 2, image, where)
                    : parts[0].matches("[0-9]+") ? uid : Integer.parseInt(passwd(parts[0], "/etc/passwd", where)[3]);
            b.user(uid, gid);
        } catch (NumberFormatException e) {
            throw new ComposeException(where + ": '" + user + "' is not uid[:gid]");
        }
    }

    private static int id(String s, String db, int field, boolean image, String where) {
        if (s.matches("[0-9]+")) {
            return Integer.parseInt(s);
        }
        if (image) {
            throw new ComposeException(where + ": '" + s + "': give a service with an image its user as uid[:gid]");
        }
        return Integer.parseInt(passwd(s, db, where)[field]);
    }

    private static String[] passwd(String name, String db, String where) {
        try (Stream<String> lines = Files.lines(Path.of(db))) {
            return lines.map(l -> l.split(":")).filter(f -> f.length > 3 && f[0].equals(name)).findFirst()
                    .orElseThrow(() -> new ComposeException(where + ": no '" + name + "' in the host's " + db));
        } catch (IOException e) {
            throw new ComposeException(where + ": cannot read " + db + ": " + e.getMessage(), e);
        }
    }

    /* ---- the state file ---- */

    private void writeState(boolean running) {
        ObjectNode root = JSON.createObjectNode();
        root.put("project", file.project());
        root.put("file", file.file().toString());
        ProcessHandle self = ProcessHandle.current();
        root.put("pid", self.pid());
        root.put("pidStarted", self.info().startInstant().map(Instant::toString).orElse(""));
        root.put("running", running);
        ObjectNode services = root.putObject("services");
        synchronized (statuses) {
            for (MemberStatus s : statuses.values()) {
                ObjectNode n = services.putObject(s.name());
                n.put("state", s.state().name());
                n.put("status", s.describe());
                s.pid().ifPresent(p -> n.put("pid", p));
                n.put("restarts", s.restarts());
                s.failure().ifPresent(f -> n.put("failure", f));
                s.address().ifPresent(a -> n.put("address", a.getHostAddress()));
            }
        }
        try {
            Files.createDirectories(stateDir);
            Path tmp = stateDir.resolve("state.json.tmp-" + self.pid());
            JSON.writerWithDefaultPrettyPrinter().writeValue(tmp.toFile(), root);
            try {
                Files.move(tmp, stateDir.resolve("state.json"), StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, stateDir.resolve("state.json"), StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + stateDir.resolve("state.json") + ": " + e.getMessage(), e);
        }
    }

    private Optional<JsonNode> readState() {
        Path f = stateDir.resolve("state.json");
        if (!Files.isRegularFile(f)) {
            return Optional.empty();
        }
        try {
            return Optional.of(JSON.readTree(f.toFile()));
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    private static boolean awaitExit(ProcessHandle p, Duration d) {
        try {
            p.onExit().get(d.toMillis(), TimeUnit.MILLISECONDS);
            return true;
        } catch (TimeoutException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        } catch (ExecutionException e) {
            return true;
        }
    }

    private static void deleteTree(Path dir) {
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot remove " + dir + ": " + e.getMessage(), e);
        }
    }
}
