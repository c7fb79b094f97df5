package dev.corral.internal.network;

import dev.corral.ContainerSpec;
import dev.corral.ContainerStartException;
import dev.corral.namespaces.Namespace;
import dev.corral.network.Network;
import dev.corral.network.NetworkSettings;
import java.net.InetAddress;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Prepares each container's network before its plan is made: the one place that turns a
 * {@link Network} into a {@link NetworkAttachment}. {@code none} and {@code host} need no host
 * state but their {@code /etc} files when the spec adds hosts or name servers.
 *
 * <pre>{@code
 * NetworkAttachment net = ContainerNetworks.attach(spec, id);   // before the plan
 * }</pre>
 */
public final class ContainerNetworks {
    private static final Logger log = LoggerFactory.getLogger(ContainerNetworks.class);
    private static final AtomicBoolean SWEPT = new AtomicBoolean();

    /** loopback only, nothing on the host: the default's attachment */
    private static final NetworkAttachment NONE = new Local(false, Optional.empty());

    private ContainerNetworks() {}

    /**
     * Removes, once per JVM and off the caller's thread, what JVMs killed mid-run left of bridge
     * networks (leases, veths, nft tables, bridges Corral made) and of the runs' network files.
     *
     * @param executor where to do it
     */
    public static void sweepStaleSoon(java.util.concurrent.Executor executor) {
        StaleNetworks.sweepStaleSoon(executor);
    }

    /** @return the default's attachment: loopback only, nothing on the host */
    public static NetworkAttachment none() {
        return NONE;
    }

    /**
     * @param spec the container's spec, validated
     * @param id   the run's id
     * @return its network, prepared
     * @throws ContainerStartException if it cannot be
     * @throws UnsupportedOperationException for a network kind this build does not have yet
     */
    public static NetworkAttachment attach(ContainerSpec spec, long id) {
        NetworkSettings n = spec.network();
        if (n.network() instanceof Network.None) {
            if (n.extraHosts().isEmpty() && n.dns().isEmpty()) {
                return NONE;
            }
            return new Local(false, Optional.of(etc(id, EtcFiles.hosts(EtcFiles.LOCALHOST, n.extraHosts()),
                    EtcFiles.resolvConf("", n.dns(), true))));
        } else if (n.network() instanceof Network.Host) {
            Optional<RunEtcDirectory> files = n.extraHosts().isEmpty() && n.dns().isEmpty() ? Optional.empty()
                    : Optional.of(etc(id, n.extraHosts().isEmpty() ? null : EtcFiles.hosts(EtcFiles.hostHosts(), n.extraHosts()),
                            EtcFiles.resolvConf(EtcFiles.hostResolvConf(), n.dns(), false)));
            return new Local(true, files);
        } else if (n.network() instanceof Network.Bridge b) {
            return BridgeNetworks.attach(spec, id, b);
        } else if (n.network() instanceof Network.Pasta) {
            return PastaAttachment.attach(n, id, () -> n.extraHosts().isEmpty() && n.dns().isEmpty()
                    && EtcFiles.resolvConf(EtcFiles.hostResolvConf(), List.of(), true).isEmpty() ? Optional.empty()
                    : Optional.of(etc(id, EtcFiles.hosts(EtcFiles.LOCALHOST, n.extraHosts()),
                            EtcFiles.resolvConf(EtcFiles.hostResolvConf(), n.dns(), true))));
        }
        /* Network.container(...) is joined by the run itself (PodNamespaces): nothing else is left */
        throw new UnsupportedOperationException("Network." + n.network().getClass().getSimpleName().toLowerCase(java.util.Locale.ROOT)
                + "(...) is not in this build of Corral yet: use Network.none(), host(), bridge(...) or pasta()");
    }

    private static RunEtcDirectory etc(long id, String hosts, Optional<String> resolv) {
        sweepStaleOnce();
        Map<String, String> files = new LinkedHashMap<>();
        if (hosts != null) {
            files.put("hosts", hosts);
        }
        resolv.ifPresent(r -> files.put("resolv.conf", r));
        try {
            return RunEtcDirectory.write(id, files);
        } catch (java.io.UncheckedIOException e) {
            throw new ContainerStartException("write the container's /etc/hosts and /etc/resolv.conf", Optional.empty(),
                    OptionalInt.empty(), Optional.empty(), e.getMessage(), e);
        }
    }

    /** Once per JVM, before its first files: what killed JVMs left. */
    private static void sweepStaleOnce() {
        if (SWEPT.compareAndSet(false, true)) {
            int n = RunEtcDirectory.sweepStale();
            if (n > 0) {
                log.debug("removed {} network file directories of JVMs no longer running", n);
            }
        }
    }

    /** {@code none} (a namespace of the container's own, loopback up) or {@code host} (the host's namespace). */
    private static final class Local implements NetworkAttachment {
        private final boolean host;
        private final Optional<RunEtcDirectory> files;
        private final AtomicBoolean released = new AtomicBoolean();

        Local(boolean host, Optional<RunEtcDirectory> files) {
            this.host = host;
            this.files = files;
        }

        @Override
        public int sharedNamespaces() {
            return host ? Namespace.NETWORK.cloneFlag() : 0;
        }

        @Override
        public List<Join> joins() {
            return List.of();
        }

        @Override
        public boolean loopback() {
            return !host;
        }

        @Override
        public List<FileBind> files() {
            return files.map(RunEtcDirectory::files).orElse(List.of());
        }

        @Override
        public Optional<InetAddress> address() {
            return Optional.empty();
        }

        @Override
        public void planSent() {
            /* no descriptors */
        }

        @Override
        public void started(long pid) {
            /* nothing to do */
        }

        @Override
        public boolean holdsHostState() {
            return files.isPresent();
        }

        @Override
        public void release() {
            if (files.isPresent() && released.compareAndSet(false, true)) {
                try {
                    files.get().remove();
                } catch (RuntimeException e) {
                    log.warn("cannot remove a container's network files: {}", e.getMessage());
                }
            }
        }
    }
}
