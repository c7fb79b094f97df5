package dev.corral.internal.network;

import dev.corral.network.NetworkSettings;
import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The text of a container's {@code /etc/hosts} and {@code /etc/resolv.conf}.
 *
 * <pre>{@code
 * String hosts = EtcFiles.hosts(EtcFiles.LOCALHOST, List.of(new HostEntry("db", addr)));
 * String resolv = EtcFiles.resolvConf(EtcFiles.hostResolvConf(), List.of(), true).orElseThrow();
 * }</pre>
 */
public final class EtcFiles {
    /** The loopback lines every container's hosts file starts with. */
    public static final String LOCALHOST = "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n";

    private EtcFiles() {}

    /**
     * @param base  the lines to start with (ends with a newline, or is empty)
     * @param extra the caller's lines
     * @return the hosts file
     */
    public static String hosts(String base, List<NetworkSettings.HostEntry> extra) {
        StringBuilder s = new StringBuilder(base);
        if (!base.isEmpty() && !base.endsWith("\n")) {
            s.append('\n');
        }
        for (NetworkSettings.HostEntry e : extra) {
            s.append(e.address().getHostAddress()).append('\t').append(e.name()).append('\n');
        }
        return s.toString();
    }

    /** @return the host's {@code /etc/resolv.conf}, or empty text if it cannot be read */
    public static String hostResolvConf() {
        return read(Path.of("/etc/resolv.conf"));
    }

    /** @return the host's {@code /etc/hosts}, or the loopback lines if it cannot be read */
    public static String hostHosts() {
        String s = read(Path.of("/etc/hosts"));
        return s.isEmpty() ? LOCALHOST : s;
    }

    private static String read(Path p) {
        try {
            return Files.readString(p, StandardCharsets.UTF_8);
        } catch (IOException | java.io.UncheckedIOException e) {
            return "";
        }
    }

    /**
     * A resolv.conf from the host's: its {@code search} and {@code options} lines kept, its name
     * servers replaced by {@code servers} when there are any, else its own kept, the loopback
     * ones (127.0.0.0/8, ::1: the host's local resolver, which a container in a network
     * namespace of its own cannot reach) left out when {@code dropLoopback}.
     *
     * @param host         the host's resolv.conf
     * @param servers      the caller's name servers, or none
     * @param dropLoopback whether the container has a network namespace of its own
     * @return the file, or empty when there is nothing to change (no servers given, and none dropped)
     */
    public static Optional<String> resolvConf(String host, List<InetAddress> servers, boolean dropLoopback) {
        List<String> kept = new ArrayList<>();
        List<String> hostServers = new ArrayList<>();
        boolean dropped = false;
        for (String line : host.split("\n")) {
            String t = line.trim();
            if (t.startsWith("nameserver")) {
                String[] w = t.split("\\s+");
                if (w.length < 2) {
                    continue;
                }
                if (dropLoopback && (w[1].startsWith("127.") || w[1].equals("::1"))) {
                    dropped = true;
                } else {
                    hostServers.add(w[1]);
                }
            } else if (t.startsWith("search") || t.startsWith("domain") || t.startsWith("options")) {
                kept.add(t);
            }
        }
        if (servers.isEmpty() && !dropped) {
            return Optional.empty();
        }
        StringBuilder s = new StringBuilder();
        kept.forEach(l -> s.append(l).append('\n'));
        if (servers.isEmpty()) {
            hostServers.forEach(a -> s.append("nameserver ").append(a).append('\n'));
        } else {
            servers.forEach(a -> s.append("nameserver ").append(address(a)).append('\n'));
        }
        return Optional.of(s.toString());
    }

    private static String address(InetAddress a) {
        return a instanceof Inet4Address ? a.getHostAddress() : a.getHostAddress().replaceAll("%.*$", "");
    }
}
