package dev.corral.internal.network;

import dev.corral.image.ImageStore;
import dev.corral.network.PortMapping;
import dev.corral.network.Subnet;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;

/**
 * The bridge networks' state on disk, in the default image store's directory
 * ({@code ~/.cache/corral/networks}): one file per network ({@code NAME.net}: its bridge, subnet,
 * gateway, whether Corral made the bridge, its nft table, and a lease per container with the
 * owner JVM's PID and start time, so that a killed JVM's leases are found stale), and a
 * directory of the containers' hosts files ({@code NAME.hosts/ADDRESS}), rewritten in place when
 * a container comes or goes. Read and written under {@code networks/lock}, a lock of its own
 * (held by {@link FileChannel#lock()} against other JVMs and a {@link ReentrantLock} in this one):
 * not the store's writer lock, which a long pull or unpack may hold.
 *
 * <pre>{@code
 * NetworkStates.locked(() -> {
 *     State s = NetworkStates.read("app").orElseThrow();
 *     NetworkStates.write(s.withLeases(List.of()));
 *     return null;
 * });
 * }</pre>
 */
final class NetworkStates {
    private static final ReentrantLock JVM_LOCK = new ReentrantLock();

    private NetworkStates() {}

    /**
     * One container's address on a network.
     *
     * @param address its address
     * @param pid     the owner JVM's PID
     * @param start   the owner's start time ({@code /proc/PID/stat}'s field 22)
     * @param veth    the host end of its veth pair
     * @param names   the names others on the network reach it by
     * @param ports   its published ports
     */
    record Lease(Inet4Address address, long pid, long start, String veth, List<String> names, List<PortMapping> ports) {
        Lease {
            names = List.copyOf(names);
            ports = List.copyOf(ports);
        }

        /** @return whether its owner JVM is still running */
        boolean ownerAlive() {
            return startTime(pid).map(s -> s == start).orElse(false);
        }

        String line() {
            return "lease addr=" + address.getHostAddress() + " pid=" + pid + " start=" + start + " veth=" + veth
                    + " names=" + String.join(",", names) + " ports="
                    + String.join(",", ports.stream().map(PortMapping::toString).toList());
        }

        static Lease parse(String line) {
            String addr = null, veth = null, names = "", ports = "";
            long pid = 0, start = 0;
            for (String kv : line.substring("lease ".length()).split(" ")) {
                int eq = kv.indexOf('=');
                String k = kv.substring(0, eq), v = kv.substring(eq + 1);
                switch (k) {
                    case "addr" -> addr = v;
                    case "pid" -> pid = Long.parseLong(v);
                    case "start" -> start = Long.parseLong(v);
                    case "veth" -> veth = v;
                    case "names" -> names = v;
                    case "ports" -> ports = v;
                    default -> { /* a later version's field */ }
                }
            }
            return new Lease(ipv4(addr), pid, start, veth, split(names),
                    split(ports).stream().map(PortMapping::parse).toList());
        }
    }

    /**
     * A network.
     *
     * @param name    its name
     * @param bridge  its bridge interface
     * @param subnet  its subnet
     * @param gateway the bridge's address
     * @param created whether Corral made the bridge (and removes it with the last lease)
     * @param table   its nft table ({@code ip} family)
     * @param leases  its containers
     */
    record State(String name, String bridge, Subnet subnet, Inet4Address gateway, boolean created, String table,
                 List<Lease> leases) {
        State {
            leases = List.copyOf(leases);
        }

        State withLeases(List<Lease> l) {
            return new State(name, bridge, subnet, gateway, created, table, l);
        }

        String text() {
            StringBuilder s = new StringBuilder();
            s.append("bridge ").append(bridge).append('\n').append("subnet ").append(subnet).append('\n')
                    .append("gateway ").append(gateway.getHostAddress()).append('\n').append("created ").append(created)
                    .append('\n').append("table ").append(table).append('\n');
            leases.forEach(l -> s.append(l.line()).append('\n'));
            return s.toString();
        }

        static State parse(String name, String text) {
            String bridge = null, subnet = null, gateway = null, table = null;
            boolean created = false;
            List<Lease> leases = new ArrayList<>();
            for (String line : text.split("\n")) {
                if (line.startsWith("lease ")) {
                    leases.add(Lease.parse(line));
                } else if (line.startsWith("bridge ")) {
                    bridge = line.substring(7);
                } else if (line.startsWith("subnet ")) {
                    subnet = line.substring(7);
                } else if (line.startsWith("gateway ")) {
                    gateway = line.substring(8);
                } else if (line.startsWith("created ")) {
                    created = Boolean.parseBoolean(line.substring(8));
                } else if (line.startsWith("table ")) {
                    table = line.substring(6);
                }
            }
            if (bridge == null || subnet == null || gateway == null || table == null) {
                throw new IllegalArgumentException("network state of " + name + " lacks a field: " + text);
            }
            return new State(name, bridge, Subnet.parse(subnet), ipv4(gateway), created, table, leases);
        }
    }

    private static List<String> split(String s) {
        return s.isEmpty() ? List.of() : Arrays.asList(s.split(","));
    }

    private static final java.util.regex.Pattern DOTTED = java.util.regex.Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}");

    /** @param s a dotted-quad IPv4 address (never looked up) @return the address */
    static Inet4Address ipv4(String s) {
        if (s == null || !DOTTED.matcher(s).matches()) {
            throw new IllegalArgumentException("not an IPv4 address: " + s);
        }
        try {
            return (Inet4Address) InetAddress.getByName(s);
        } catch (IOException | ClassCastException e) {
            throw new IllegalArgumentException("not an IPv4 address: " + s, e);
        }
    }

    /** @return the directory of the networks' state */
    static Path dir() {
        return ImageStore.defaultLocation().resolve("networks");
    }

    /**
     * @param body what to do with the state locked
     * @param <T>  its result
     * @return the body's result
     */
    static <T> T locked(Supplier<T> body) {
        JVM_LOCK.lock();
        try {
            if (JVM_LOCK.getHoldCount() > 1) {
                return body.get();
            }
            Path d = dir();
            if (!Files.isDirectory(d)) {
                Files.createDirectories(d);
                Files.setPosixFilePermissions(d, PosixFilePermissions.fromString("rwxr-xr-x"));
            }
            try (FileChannel ch = FileChannel.open(d.resolve("lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
                 FileLock l = ch.lock()) {
                return body.get();
            }
        } catch (IOException e) {
            throw new UncheckedIOException("the networks' state in " + dir() + ": " + e.getMessage(), e);
        } finally {
            JVM_LOCK.unlock();
        }
    }

    /** @param name a network @return its state, if it has one */
    static Optional<State> read(String name) {
        Path f = dir().resolve(name + ".net");
        try {
            return Optional.of(State.parse(name, Files.readString(f, StandardCharsets.UTF_8)));
        } catch (java.nio.file.NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + f + ": " + e.getMessage(), e);
        }
    }

    /** @return every network's state, by name */
    static List<State> all() {
        List<State> out = new ArrayList<>();
        if (!Files.isDirectory(dir())) {
            return out;
        }
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir(), "*.net")) {
            for (Path p : ds) {
                String n = p.getFileName().toString();
                read(n.substring(0, n.length() - 4)).ifPresent(out::add);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + dir() + ": " + e.getMessage(), e);
        }
        out.sort(java.util.Comparator.comparing(State::name));
        return out;
    }

    /** @param s a network's state, written whole (a temporary file renamed over the old one) */
    static void write(State s) {
        Path f = dir().resolve(s.name() + ".net");
        Path tmp = dir().resolve(s.name() + ".net.tmp");
        try {
            Files.writeString(tmp, s.text(), StandardCharsets.UTF_8);
            Files.move(tmp, f, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + f + ": " + e.getMessage(), e);
        }
    }

    /** @param name a network whose state file and hosts files go */
    static void delete(String name) {
        try {
            Path hosts = hostsDir(name);
            if (Files.isDirectory(hosts)) {
                try (DirectoryStream<Path> ds = Files.newDirectoryStream(hosts)) {
                    for (Path p : ds) {
                        Files.deleteIfExists(p);
                    }
                }
                Files.deleteIfExists(hosts);
            }
            Files.deleteIfExists(dir().resolve(name + ".net"));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot remove the state of network " + name + ": " + e.getMessage(), e);
        }
    }

    /** @param name a network @return the directory of its containers' hosts files */
    static Path hostsDir(String name) {
        return dir().resolve(name + ".hosts");
    }

    /** @param pid a process @return its start time in clock ticks since boot, if it runs */
    static Optional<Long> startTime(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return Optional.of(Long.parseLong(f[19])); /* field 22; f[0] is field 3 */
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }
}
