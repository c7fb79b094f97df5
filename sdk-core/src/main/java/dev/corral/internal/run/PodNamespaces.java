package dev.corral.internal.run;

import dev.corral.ContainerProcess;
import dev.corral.ContainerSpec;
import dev.corral.ContainerStartException;
import dev.corral.internal.network.NetworkAttachment;
import dev.corral.namespaces.HostSecurity;
import dev.corral.namespaces.Namespace;
import dev.corral.network.Network;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A container that joins another running container's network namespace
 * ({@link Network#container}) or IPC namespace ({@code ipcFrom}), as the members of a pod do:
 * with the user namespace that owns them (a pod shares one), opened as descriptors from the
 * other's {@code /proc/PID/ns} and joined by {@code SETNS}, with its UTS namespace (its hostname) (as host root the user namespace
 * last, unprivileged first: {@link ExecNamespaces} explains why). The joined network's
 * {@code /etc/hosts} and {@code /etc/resolv.conf} are the other's, and so is its address.
 *
 * <pre>{@code
 * NetworkAttachment net = PodNamespaces.attach(spec);   // spec joins a running container
 * }</pre>
 */
final class PodNamespaces implements NetworkAttachment {
    private final List<Join> joins;
    private final int shared;
    private final boolean network;
    private final Optional<ContainerProcess> netOf;
    private final List<FileBind> files;
    private final AtomicBoolean closed = new AtomicBoolean();

    private PodNamespaces(List<Join> joins, int shared, Optional<ContainerProcess> netOf, List<FileBind> files) {
        this.joins = joins;
        this.shared = shared;
        this.network = netOf.isPresent();
        this.netOf = netOf;
        this.files = files;
    }

    /** @param spec a spec @return whether it joins another container's namespaces */
    static boolean joins(ContainerSpec spec) {
        return spec.network().network() instanceof Network.Shared || spec.ipcFrom().isPresent();
    }

    /**
     * @param spec a spec that {@link #joins}
     * @return its attachment, the namespaces opened
     * @throws ContainerStartException if the other container has ended, or the two cannot share
     */
    static NetworkAttachment attach(ContainerSpec spec) {
        Optional<ContainerProcess> netOf = spec.network().network() instanceof Network.Shared s
                ? Optional.of(s.other()) : Optional.empty();
        Optional<ContainerProcess> ipcOf = spec.ipcFrom();
        List<int[]> opened = new ArrayList<>();
        try {
            long netSource = netOf.map(PodNamespaces::source).orElse(-1L);
            long ipcSource = ipcOf.map(PodNamespaces::source).orElse(-1L);
            long userSource = netSource >= 0 ? netSource : ipcSource;
            Object user = key(userSource, "user");
            if (ipcSource >= 0 && !Objects.equals(key(ipcSource, "user"), user)) {
                throw fail("the network and IPC namespaces joined belong to different user namespaces: a pod shares one");
            }
            boolean joinUser = !Objects.equals(user, key(ProcessHandle.current().pid(), "user"));
            if (joinUser && !spec.security().namespaces().contains(Namespace.USER)) {
                throw fail("the other container has a user namespace, which a container without one (privilegedRoot) "
                        + "cannot join");
            }
            int shared = 0;
            if (netSource >= 0) {
                opened.add(new int[] {open(netSource, "net"), Namespace.NETWORK.cloneFlag()});
                shared |= Namespace.NETWORK.cloneFlag();
            }
            if (ipcSource >= 0) {
                opened.add(new int[] {open(ipcSource, "ipc"), Namespace.IPC.cloneFlag()});
                shared |= Namespace.IPC.cloneFlag();
            }
            if (joinUser) {
                /* the pod's hostname too: a UTS namespace of this container's own would belong to the
                   launcher's user namespace, where it may not set a hostname once it joined the pod's */
                opened.add(new int[] {open(userSource, "uts"), Namespace.UTS.cloneFlag()});
                shared |= Namespace.UTS.cloneFlag();
                HostSecurity host = HostSecurity.probe();
                boolean hostRoot = host.uid() == 0 && host.privileged() && !host.nested();
                opened.add(hostRoot ? opened.size() : 0, new int[] {open(userSource, "user"), Namespace.USER.cloneFlag()});
                shared |= Namespace.USER.cloneFlag();
            }
            List<FileBind> files = netOf.filter(o -> o instanceof ContainerRun).map(o -> ((ContainerRun) o).networkFiles())
                    .orElse(List.of());
            return new PodNamespaces(opened.stream().map(o -> new Join(o[0], o[1])).toList(), shared, netOf, files);
        } catch (RuntimeException e) {
            opened.forEach(o -> ExecNamespaces.closeFile(o[0]));
            throw e;
        }
    }

    private static ContainerStartException fail(String message) {
        return new ContainerStartException("join another container's namespaces", Optional.empty(), OptionalInt.empty(),
                Optional.empty(), message, null);
    }

    private static long source(ContainerProcess other) {
        if (!other.isAlive()) {
            throw fail("the container to join (" + other + ") has ended");
        }
        return ExecNamespaces.namespaceSource(other.pid(), () -> fail("the container to join (" + other + ") has ended"));
    }

    private static Object key(long pid, String ns) {
        try {
            return Files.readAttributes(Path.of("/proc", Long.toString(pid), "ns", ns), BasicFileAttributes.class).fileKey();
        } catch (IOException e) {
            throw fail("cannot read the " + ns + " namespace of PID " + pid + ": " + e.getMessage());
        }
    }

    private static int open(long pid, String ns) {
        int fd = ExecNamespaces.openFile(Path.of("/proc", Long.toString(pid), "ns", ns));
        if (fd < 0) {
            throw fail("cannot open the " + ns + " namespace of PID " + pid + ": the container ended");
        }
        return fd;
    }

    @Override
    public int sharedNamespaces() {
        return shared;
    }

    @Override
    public List<Join> joins() {
        return joins;
    }

    @Override
    public boolean loopback() {
        return !network;
    }

    @Override
    public List<FileBind> files() {
        return files;
    }

    @Override
    public Optional<InetAddress> address() {
        return netOf.flatMap(ContainerProcess::address);
    }

    @Override
    public void planSent() {
        if (closed.compareAndSet(false, true)) {
            joins.forEach(j -> ExecNamespaces.closeFile(j.descriptor()));
        }
    }

    @Override
    public void started(long pid) {
        /* nothing of its own */
    }

    @Override
    public boolean holdsHostState() {
        return false;
    }

    @Override
    public void release() {
        planSent();
    }
}
