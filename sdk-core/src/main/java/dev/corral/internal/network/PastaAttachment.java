package dev.corral.internal.network;

import dev.corral.ContainerStartException;
import dev.corral.namespaces.launcher.GatePipe;
import dev.corral.network.NetworkSettings;
import dev.corral.network.PortMapping;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code Network.pasta()}: the container makes its own network namespace (loopback up, as for
 * {@code none}), and its plan has a gate ({@link GatePipe}): its first process waits there,
 * after its mounts and before its command, still dumpable. Told its PID ({@link #gated}), this
 * JVM starts {@code pasta --config-net PID} on it, which joins
 * the container's user and network namespaces, copies the host's addresses and routes onto a tap
 * interface there, and forwards the published ports (TCP {@code -t}, UDP {@code -u}) from the
 * host to the container. The host's loopback is reachable from inside at the default gateway's
 * address (pasta's default gateway mapping); the container's own loopback stays its own ({@code
 * -T none -U none}). The container's {@code /etc/resolv.conf} is the host's without loopback name
 * servers (or the spec's {@code dns}). Once pasta has written its PID file (its interface
 * configured), the gate is opened and the command runs: its first look sees the interface, its
 * address and default route. If pasta fails or takes too long, the gate is closed instead: the
 * container fails at it, with pasta's reason ({@link #startFailure()}).
 *
 * <p>pasta runs in the foreground ({@code -f -q}) as this JVM's child and is stopped when the
 * container ends. It does not end by itself when the container's namespace goes away (it holds
 * it), so its PID file {@code corral-pasta-JVMPID-ID.pid} in {@code /dev/shm} lets the next JVM
 * stop a killed JVM's pasta ({@link #sweepStale()}).
 *
 * <p>Rootless only: pasta run as root changes to {@code nobody} and cannot open the container's
 * namespaces, so as root {@link #attach} refuses with the reason.
 *
 * <pre>{@code
 * NetworkAttachment net = PastaAttachment.attach(spec.network(), id, etcFiles);
 * plan.gate(plan.descriptor(net.gate().getAsInt()));
 * net.planSent();       // this process's write end closed
 * net.gated(pid);       // pasta starts; once ready, the gate opens and the command runs
 * net.release();        // pasta stopped, the gate closed
 * }</pre>
 */
final class PastaAttachment implements NetworkAttachment {
    private static final Logger log = LoggerFactory.getLogger(PastaAttachment.class);
    private static final String PREFIX = "corral-pasta-";
    private static final Duration READY = Duration.ofSeconds(10);
    private static final AtomicBoolean SWEPT = new AtomicBoolean();

    private final Path binary;
    private final List<PortMapping> ports;
    private final Optional<RunEtcDirectory> files;
    private final Path pidFile;
    private final Path logFile;
    private static final Duration AT_GATE = Duration.ofSeconds(60);

    private final GatePipe gate;
    private final long id;
    private boolean released; /* guarded by this, with pasta */
    private Process pasta;
    private volatile ContainerStartException failure;

    private PastaAttachment(Path binary, List<PortMapping> ports, Optional<RunEtcDirectory> files, long id, GatePipe gate) {
        this.gate = gate;
        this.id = id;
        this.binary = binary;
        this.ports = ports;
        this.files = files;
        String name = PREFIX + ProcessHandle.current().pid() + "-" + id;
        this.pidFile = RunEtcDirectory.base().resolve(name + ".pid");
        this.logFile = RunEtcDirectory.base().resolve(name + ".log");
    }

    /**
     * @param n     the spec's network settings (its network is pasta)
     * @param id    the run's id
     * @param files the run's {@code /etc} files, if it has any (the caller's until this returns)
     * @return the attachment, pasta not started yet
     * @throws ContainerStartException if pasta is missing, this process is root, or
     *                                 {@code /dev/net/tun} cannot be opened by this user
     */
    static PastaAttachment attach(NetworkSettings n, long id, java.util.function.Supplier<Optional<RunEtcDirectory>> files) {
        Path binary = find().orElseThrow(() -> refused(
                "pasta is not installed: install the Debian package passt (apt-get install passt)"));
        if (dev.corral.namespaces.HostSecurity.probe().uid() == 0) {
            throw refused("Network.pasta() is for rootless containers: pasta run as root changes to the user nobody and "
                    + "cannot join the container's namespaces; as root, use Network.host() (or a bridge)");
        }
        Path tun = Path.of("/dev/net/tun");
        if (!Files.isReadable(tun) || !Files.isWritable(tun)) {
            throw refused("pasta needs /dev/net/tun readable and writable by this user (Debian's udev makes it mode 0666; "
                    + "here it is not: chmod 0666 /dev/net/tun as root)");
        }
        sweepOnce();
        GatePipe gate;
        try {
            gate = GatePipe.create();
        } catch (java.io.IOException e) {
            throw refused("cannot make the container's gate (a pipe kept full): " + e.getMessage());
        }
        try {
            return new PastaAttachment(binary, n.ports(), files.get(), id, gate);
        } catch (RuntimeException e) {
            gate.close();
            throw e;
        }
    }

    private static ContainerStartException refused(String why) {
        return new ContainerStartException("start the container's pasta network", Optional.empty(), OptionalInt.empty(),
                Optional.empty(), why, null);
    }

    /** @return pasta on this process's PATH, or in /usr/bin or /usr/sbin */
    static Optional<Path> find() {
        List<String> dirs = new ArrayList<>(List.of(System.getenv().getOrDefault("PATH", "").split(":")));
        dirs.addAll(List.of("/usr/bin", "/usr/sbin", "/bin", "/sbin"));
        for (String d : dirs) {
            if (!d.isEmpty()) {
                Path p = Path.of(d, "pasta");
                if (Files.isRegularFile(p) && Files.isExecutable(p)) {
                    return Optional.of(p);
                }
            }
        }
        return Optional.empty();
    }

    /**
     * @param pid the container's first process
     * @return pasta's command line for it
     */
    List<String> command(long pid) {
        List<String> c = new ArrayList<>(List.of(binary.toString(), "--config-net", "-f", "-q", "-P", pidFile.toString()));
        c.addAll(List.of("-T", "none", "-U", "none"));
        for (PortMapping.Protocol proto : PortMapping.Protocol.values()) {
            List<String> specs = new ArrayList<>();
            for (PortMapping p : ports) {
                if (p.protocol() == proto) {
                    specs.add(p.hostAddress().map(a -> a.getHostAddress() + "/").orElse("") + p.hostPort() + ":" + p.containerPort());
                }
            }
            String flag = proto == PortMapping.Protocol.TCP ? "-t" : "-u";
            if (specs.isEmpty()) {
                c.addAll(List.of(flag, "none"));
            } else {
                specs.forEach(s -> c.addAll(List.of(flag, s)));
            }
        }
        c.add(Long.toString(pid));
        return c;
    }

    @Override
    public int sharedNamespaces() {
        return 0;
    }

    @Override
    public List<Join> joins() {
        return List.of();
    }

    @Override
    public boolean loopback() {
        return true;
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
    public OptionalInt gate() {
        int fd = gate.writeEnd();
        return fd < 0 ? OptionalInt.empty() : OptionalInt.of(fd);
    }

    @Override
    public void planSent() {
        gate.closeWriteEnd();
    }

    /**
     * Starts pasta on the container's first process, waiting at its gate, and opens the gate
     * once pasta is ready, on a thread of its own (the launcher's I/O thread must not wait).
     * The first process is the launcher's clone, dumpable until it has passed the gate, in the
     * container's user and network namespaces, which this user owns: pasta may open them.
     */
    @Override
    public void gated(long pid) {
        Thread t = new Thread(() -> configureThenOpen(pid), "corral-pasta-" + id);
        t.setDaemon(true);
        t.start();
    }

    private void configureThenOpen(long pid) {
        Process p;
        synchronized (this) {
            if (released) {
                return;
            }
            try {
                p = new ProcessBuilder(command(pid)).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                        .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                        .redirectError(ProcessBuilder.Redirect.to(logFile.toFile())).start();
            } catch (IOException e) {
                fail("cannot run " + binary + ": " + e.getMessage(), null);
                return;
            }
            pasta = p;
        }
        long deadline = System.nanoTime() + READY.toNanos();
        try {
            while (!ready()) {
                if (!p.isAlive()) {
                    fail("pasta exited with status " + p.exitValue() + ": " + logText(), p);
                    return;
                }
                if (System.nanoTime() > deadline) {
                    fail("pasta did not configure the container's network within " + READY.toSeconds() + " s: " + logText(), p);
                    return;
                }
                p.waitFor(5, TimeUnit.MILLISECONDS);
            }
            if (!gate.open(AT_GATE)) {
                /* the container died before its gate, or was released: its own failure says why;
                   or it never came: it fails at the closed gate */
                gate.close();
            }
        } catch (InterruptedException e) {
            fail("interrupted while waiting for pasta", p);
        } catch (IOException e) {
            fail("cannot open the container's gate: " + e.getMessage(), p);
        }
    }

    /** The reason first, then the gate closed: the container fails at it with this reason. */
    private void fail(String why, Process p) {
        failure = refused(why);
        if (p != null) {
            p.destroyForcibly();
        }
        gate.close();
    }

    @Override
    public Optional<ContainerStartException> startFailure() {
        return Optional.ofNullable(failure);
    }

    /** Pasta starts when the container's first process waits at its gate ({@link #gated}), not here. */
    @Override
    public void started(long pid) {
        /* the command runs: the gate was opened */
    }

    private boolean ready() {
        try {
            return Files.size(pidFile) > 0;
        } catch (IOException e) {
            return false;
        }
    }

    private String logText() {
        try {
            String s = Files.readString(logFile, StandardCharsets.UTF_8).strip();
            return s.isEmpty() ? "(nothing on its standard error)" : s;
        } catch (IOException e) {
            return "(no log)";
        }
    }

    @Override
    public boolean holdsHostState() {
        return true;
    }

    @Override
    public void release() {
        Process p;
        synchronized (this) {
            if (released) {
                return;
            }
            released = true;
            p = pasta;
        }
        gate.close();
        if (p != null) {
            /* SIGKILL: pasta has nothing to save, and takes a second or more to act on SIGTERM
               (seen here), which would delay every container's result */
            p.destroyForcibly();
            try {
                p.waitFor(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                p.destroyForcibly();
                Thread.currentThread().interrupt();
            }
        }
        try {
            Files.deleteIfExists(pidFile);
            Files.deleteIfExists(logFile);
        } catch (IOException e) {
            log.warn("cannot remove pasta's files {}: {}", pidFile, e.getMessage());
        }
        files.ifPresent(f -> {
            try {
                f.remove();
            } catch (RuntimeException e) {
                log.warn("cannot remove a container's network files: {}", e.getMessage());
            }
        });
    }

    private static void sweepOnce() {
        if (SWEPT.compareAndSet(false, true)) {
            int n = sweepStale();
            if (n > 0) {
                log.debug("stopped {} pasta processes of JVMs no longer running", n);
            }
        }
    }

    /**
     * Stops the pasta processes of JVMs no longer running (by their PID files, each checked to
     * name a pasta process still) and removes their files.
     *
     * @return how many PID files were swept
     */
    static int sweepStale() {
        int swept = 0;
        long self = ProcessHandle.current().pid();
        try (var list = Files.newDirectoryStream(RunEtcDirectory.base(), PREFIX + "*")) {
            for (Path f : list) {
                String rest = f.getFileName().toString().substring(PREFIX.length());
                int dash = rest.indexOf('-');
                long jvm;
                try {
                    jvm = Long.parseLong(dash < 0 ? rest : rest.substring(0, dash));
                } catch (NumberFormatException e) {
                    continue;
                }
                if (jvm == self || ProcessHandle.of(jvm).isPresent()) {
                    continue;
                }
                if (f.toString().endsWith(".pid")) {
                    try {
                        long pid = Long.parseLong(Files.readString(f).strip());
                        String comm = Files.readString(Path.of("/proc/" + pid + "/comm")).strip();
                        /* pasta is passt's binary under another name, which execs its CPU's build
                           (passt.avx2): either name */
                        if (comm.startsWith("pasta") || comm.startsWith("passt")) {
                            ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
                        }
                    } catch (IOException | NumberFormatException e) {
                        /* gone already, or not a PID */
                    }
                }
                try {
                    Files.deleteIfExists(f);
                    swept++;
                } catch (IOException e) {
                    /* someone else's: theirs to sweep */
                }
            }
        } catch (IOException e) {
            /* no base directory */
        }
        return swept;
    }
}
