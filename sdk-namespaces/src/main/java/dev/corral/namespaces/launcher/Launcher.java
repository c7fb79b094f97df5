package dev.corral.namespaces.launcher;

import static dev.corral.namespaces.launcher.Wire.MSG_EXITED;
import static dev.corral.namespaces.launcher.Wire.MSG_FAILED;
import static dev.corral.namespaces.launcher.Wire.MSG_HELLO;
import static dev.corral.namespaces.launcher.Wire.MSG_GATED;
import static dev.corral.namespaces.launcher.Wire.MSG_NAMESPACES_FAILED;
import static dev.corral.namespaces.launcher.Wire.MSG_NAMESPACES_MADE;
import static dev.corral.namespaces.launcher.Wire.MSG_RUN;
import static dev.corral.namespaces.launcher.Wire.MSG_SIGNAL;
import static dev.corral.namespaces.launcher.Wire.MSG_STARTED;

import dev.corral.namespaces.HostSecurity;
import dev.corral.namespaces.LaunchStep;
import dev.corral.namespaces.launcher.LaunchPlan.StdioOp;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Queue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The JVM's one launcher process and the single I/O thread that talks to it.
 *
 * <p>Started on first use and reused for every container: the JVM never forks. The launcher
 * connects to a Unix socket this class listens on (a 0700 directory, deleted as soon as the
 * launcher holds the socket by fd), proves itself with a random token, and from then on
 * receives plans and sends events on that connection; each relayed stdio stream arrives as a
 * further connection. One thread, {@code corral-io}, serves all of it with a selector,
 * whatever the number of containers. If the launcher dies, every running container is reported
 * lost and the next {@link #shared()} starts a new launcher.
 *
 * <p>With a privileged launcher, this class keeps a small pool of fresh namespaces
 * ({@link NamespacePool}), made ahead by a second launcher process that this class starts for them,
 * each set joined by one container only: network (loopback up), IPC and UTS, and for containers
 * with a user namespace that namespace too, with the ID maps of the last such container already
 * written and owning the other three. The system property {@code corral.namespacePool=false}
 * turns it off, e.g. to measure what it saves.
 *
 * <pre>{@code
 * Launcher launcher = Launcher.shared();
 * long id = launcher.launch(plan, listener);
 * launcher.signal(id, 9);
 * }</pre>
 */
public final class Launcher {
    private static final Logger log = LoggerFactory.getLogger(Launcher.class);

    private static final int TOKEN_BYTES = Wire.TOKEN_BYTES;
    private static final int CONTROL_STREAM = Wire.CONTROL_STREAM;
    private static final Duration START_TIMEOUT = Duration.ofSeconds(20);
    /** Namespace sets the launcher keeps ready (system property {@code corral.namespacePool=false}: none). */
    private static final int POOL_READY = 2;

    private static LauncherBinary binary;
    private static Launcher shared;

    private final Process process;
    private final Selector selector;
    private final ServerSocketChannel listener;
    private final SocketChannel control;
    private final DescriptorChannel descriptors;
    private final byte[] token;
    private final Map<Long, LaunchListener> sessions = new ConcurrentHashMap<>();
    /* the masters of running containers' terminals, by container id: the JVM's copies, for resize */
    private final Map<Long, Integer> terminals = new ConcurrentHashMap<>();
    private final AtomicLong ids = new AtomicLong();
    private final Queue<ByteBuffer> outbox = new ArrayDeque<>();
    private final Queue<Runnable> tasks = new ConcurrentLinkedQueue<>();
    private final Thread ioThread;
    private final long launcherPid;
    private ByteBuffer inbox = ByteBuffer.allocate(1 << 16).order(ByteOrder.LITTLE_ENDIAN);
    private volatile IOException lost;
    private volatile boolean shuttingDown;
    /* Its namespace pool; for the launcher that makes sets ahead, the pool of the launcher it serves. */
    private final NamespacePool pool;
    private final List<LaunchFailure> poolFailures;
    /* The second launcher that makes the sets kept ahead, in parallel with this one's containers
       (started on the first request for one); refused: none is started any more. */
    private final Object aheadLock = new Object();
    private Launcher ahead;
    private boolean aheadRefused;

    /**
     * @return the JVM's launcher, started now if there is none or the last one died
     * @throws LauncherUnavailableException if it cannot be started
     */
    public static synchronized Launcher shared() {
        if (shared == null || shared.lost != null) {
            if (binary == null) {
                binary = LauncherBinary.packed();
            }
            shared = start(binary, null);
        }
        return shared;
    }

    /** @param serves the launcher whose pool this one makes sets ahead for, or null for a JVM's launcher */
    private static Launcher start(LauncherBinary binary, Launcher serves) {
        Path dir = null;
        try {
            dir = KernelRandom.privateDirectory(socketBase(), "corral-");
            Path socket = dir.resolve("s");
            ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
            server.bind(UnixDomainSocketAddress.of(socket), 4096);
            DescriptorChannel descriptors;
            try {
                descriptors = DescriptorChannel.listen(dir.resolve("d"));
            } catch (IOException e) {
                server.close();
                throw e;
            }
            byte[] token = HexFormat.of().formatHex(KernelRandom.bytes(TOKEN_BYTES / 2)).getBytes(StandardCharsets.US_ASCII);
            Process process;
            try {
                process = exec(binary, socket, dir.resolve("d"), token);
            } catch (IOException | RuntimeException e) {
                descriptors.close();
                server.close();
                throw e;
            }
            try {
                return new Launcher(process, server, descriptors, token, serves);
            } catch (IOException | RuntimeException e) {
                process.destroyForcibly();
                server.close();
                descriptors.close();
                throw e;
            }
        } catch (IOException e) {
            throw new LauncherUnavailableException("cannot start the Corral launcher: " + e.getMessage(), e);
        } finally {
            if (dir != null) { /* the launcher holds the socket by an O_PATH fd: delete the path now */
                try {
                    Files.deleteIfExists(dir.resolve("s"));
                    Files.deleteIfExists(dir.resolve("d"));
                    Files.deleteIfExists(dir);
                } catch (IOException e) {
                    log.warn("cannot remove the launcher socket directory {}: {}", dir, e.toString());
                }
            }
        }
    }

    private static Path socketBase() {
        String runtime = System.getenv("XDG_RUNTIME_DIR");
        if (runtime != null && !runtime.isEmpty() && Files.isDirectory(Path.of(runtime))
                && Files.isWritable(Path.of(runtime))) {
            return Path.of(runtime);
        }
        return Path.of(System.getProperty("java.io.tmpdir"));
    }

    private static Process exec(LauncherBinary binary, Path socket, Path descriptors, byte[] token) throws IOException {
        String hex = new String(token, StandardCharsets.US_ASCII);
        IOException memfdFailure;
        try {
            return execAt(binary.memfdPath(), socket, descriptors, hex);
        } catch (IOException | RuntimeException e) {
            memfdFailure = e instanceof IOException io ? io : new IOException(e.getMessage(), e);
            log.debug("cannot run the launcher from a memfd ({}); using the verified cache file", e.toString());
        }
        try {
            return execAt(binary.verifiedCacheFile().toString(), socket, descriptors, hex);
        } catch (IOException | UncheckedIOException e) {
            IOException failure = new IOException("neither from a memfd (" + memfdFailure.getMessage()
                    + ") nor from a cache file (" + e.getMessage() + ")", e);
            failure.addSuppressed(memfdFailure);
            throw failure;
        }
    }

    private static Process execAt(String executable, Path socket, Path descriptors, String hexToken) throws IOException {
        ProcessBuilder pb = new ProcessBuilder(executable, socket.toString(), descriptors.toString());
        pb.environment().clear(); /* nothing of the JVM's environment reaches the launcher */
        pb.environment().put("CORRAL_LAUNCHER_TOKEN", hexToken);
        pb.redirectInput(ProcessBuilder.Redirect.INHERIT);
        pb.redirectOutput(ProcessBuilder.Redirect.INHERIT);
        pb.redirectError(ProcessBuilder.Redirect.INHERIT);
        return pb.start();
    }

    private Launcher(Process process, ServerSocketChannel server, DescriptorChannel descriptors, byte[] token,
                     Launcher serves) throws IOException {
        if (serves == null) {
            this.pool = new NamespacePool(NamespacePool.launcherOwnsPidNamespaces(HostSecurity.probe()),
                    Boolean.parseBoolean(System.getProperty("corral.namespacePool", "true")) ? POOL_READY : 0,
                    this::sendPoolRequest);
            this.poolFailures = new java.util.concurrent.CopyOnWriteArrayList<>();
        } else {
            this.pool = serves.pool;
            this.poolFailures = serves.poolFailures;
        }
        this.process = process;
        this.listener = server;
        this.descriptors = descriptors;
        this.token = token;
        this.selector = Selector.open();
        this.control = acceptControl();
        descriptors.accept(token); /* connected before the control connection: waiting now */
        this.launcherPid = readHello();
        control.configureBlocking(false);
        listener.configureBlocking(false);
        control.register(selector, SelectionKey.OP_READ);
        listener.register(selector, SelectionKey.OP_ACCEPT);
        this.ioThread = new Thread(this::loop, "corral-io");
        ioThread.setDaemon(true);
        ioThread.start();
        /* At exit, end the I/O loop: the JVM otherwise waits for a thread blocked in epoll_wait
           (about 300 ms on JDK 17). The launcher sees its connection close and takes every
           container with it, as it does when the JVM dies. */
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            shuttingDown = true;
            selector.wakeup();
            try {
                ioThread.join(1000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "corral-io-shutdown"));
        log.debug("launcher started, pid {}", launcherPid);
    }

    private SocketChannel acceptControl() throws IOException {
        listener.configureBlocking(false);
        long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
        try (Selector s = Selector.open()) {
            listener.register(s, SelectionKey.OP_ACCEPT);
            while (System.nanoTime() < deadline) {
                if (!process.isAlive()) {
                    throw new IOException("the launcher exited at once with status " + process.exitValue()
                            + " (its message, if any, is on this process's stderr)");
                }
                s.select(100);
                SocketChannel c = listener.accept();
                if (c != null) {
                    c.configureBlocking(true);
                    long id = readStreamHeader(c);
                    if (id != -1) {
                        throw new IOException("the launcher's first connection is not its control connection");
                    }
                    return c;
                }
            }
        }
        throw new IOException("the launcher did not connect within " + START_TIMEOUT.toSeconds() + " s");
    }

    /** Reads token, id and stream; returns -1 for the control connection, else id*4+stream. */
    private long readStreamHeader(SocketChannel c) throws IOException {
        ByteBuffer head = ByteBuffer.allocate(TOKEN_BYTES + 12).order(ByteOrder.LITTLE_ENDIAN);
        while (head.hasRemaining()) {
            if (c.read(head) < 0) {
                throw new IOException("a launcher connection closed before its header");
            }
        }
        head.flip();
        byte[] got = new byte[TOKEN_BYTES];
        head.get(got);
        if (!MessageDigest.isEqual(got, token)) {
            throw new IOException("a connection to the launcher socket did not carry the launcher's token");
        }
        long id = head.getLong();
        int stream = head.getInt();
        if (stream == CONTROL_STREAM) {
            return -1;
        }
        if (stream < 0 || stream > 2) {
            throw new IOException("bad stream number " + stream);
        }
        return id * 4 + stream;
    }

    private long readHello() throws IOException {
        ByteBuffer head = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN);
        while (head.hasRemaining()) {
            if (control.read(head) < 0) {
                throw new IOException("the launcher closed its connection before saying hello");
            }
        }
        head.flip();
        int len = head.getInt(), type = head.getInt(), version = head.getInt(), pid = head.getInt();
        if (len != 12 || type != MSG_HELLO || version != PlanCodec.VERSION) {
            throw new IOException("the launcher speaks protocol " + version + ", this library " + PlanCodec.VERSION);
        }
        return pid;
    }

    /** @return the launcher's process ID */
    public long pid() {
        return launcherPid;
    }

    /** @return whether this launcher is still running and connected */
    public boolean isAlive() {
        return lost == null;
    }

    /**
     * Asks the launcher to start a container. Events arrive on the listener, on the I/O thread.
     *
     * @param plan     the plan
     * @param listener its events
     * @return the container's id, for {@link #signal}
     * @throws LauncherUnavailableException if this launcher is gone
     */
    public long launch(LaunchPlan plan, LaunchListener listener) {
        long id = reserveId();
        launch(id, plan, listener);
        return id;
    }

    /** @return a fresh container id, for {@link #launch(long, LaunchPlan, LaunchListener)} */
    public long reserveId() {
        return ids.incrementAndGet();
    }

    /**
     * Asks the launcher to start a container under an id reserved beforehand, so the listener
     * knows its id before the first event.
     *
     * @param id       from {@link #reserveId()}
     * @param plan     the plan
     * @param listener its events
     * @throws LauncherUnavailableException if this launcher is gone
     */
    public void launch(long id, LaunchPlan plan, LaunchListener listener) {
        Objects.requireNonNull(listener, "listener");
        Optional<List<Integer>> set = Optional.empty();
        sessions.put(id, listener);
        try {
            Optional<byte[]> profile = pool.profileOf(plan);
            set = profile.isEmpty() ? set : pool.take(profile.get(), !onIoThread());
            sendRun(id, set.map(s -> NamespacePool.join(plan, s)).orElse(plan), listener);
        } finally {
            set.ifPresent(DescriptorChannel::closeAll); /* the launcher has its own copies once sent */
        }
    }

    /**
     * Sends a plan, with its terminal opened here if it has one (the launcher then fails the
     * container at TTY_OPEN where it cannot be, as for any step of its own).
     */
    private void sendRun(long id, LaunchPlan plan, LaunchListener listener) {
        Optional<Terminals.Pair> tty = Optional.empty();
        try {
            LaunchPlan run = plan;
            if (plan.wantsTerminal()) {
                StdioOp s = plan.stdio().get(0);
                try {
                    tty = Optional.of(Terminals.open(s.mode() >>> 16, s.mode() & 0xffff));
                } catch (Terminals.OpenException e) {
                    sessions.remove(id);
                    execute(() -> notify(id, () -> listener.failed(e.failure())));
                    return;
                }
                run = plan.withTerminal(tty.get().master(), tty.get().slave());
                terminals.put(id, tty.get().master()); /* for resize, until the container ends */
            }
            byte[] wire = PlanCodec.encode(run);
            send(runMessage(MSG_RUN, id, run.descriptors().size(), wire), run.descriptors());
        } catch (LauncherUnavailableException | IllegalArgumentException e) {
            sessions.remove(id);
            closeTerminal(id);
            throw e;
        } finally {
            tty.ifPresent(t -> Terminals.close(t.slave())); /* the launcher's and the container's now */
        }
    }

    private void closeTerminal(long id) {
        Integer master = terminals.remove(id);
        if (master != null) {
            Terminals.close(master);
        }
    }

    /**
     * Has the launcher make a namespace set for a plan now (network with its loopback up, IPC,
     * UTS, and with a user namespace, one with the plan's ID maps written that owns them), for
     * the JVM to configure before the container joins it with
     * {@link #launch(long, LaunchPlan, NamespacesAhead, LaunchListener)}. Waits for it; never
     * call it on the I/O thread.
     *
     * @param plan the container's plan
     * @return the set; empty if this plan's namespaces cannot be made ahead (a launcher that is
     *         not root in the host's user namespace, ID maps written by newuidmap, namespaces it
     *         shares or joins) or the launcher could not make them ({@link #namespacePoolFailures()})
     * @throws IllegalStateException on the I/O thread
     */
    public Optional<NamespacesAhead> makeNamespaces(LaunchPlan plan) {
        if (onIoThread()) {
            throw new IllegalStateException("makeNamespaces waits for the launcher: not on its I/O thread");
        }
        return pool.profileOfAny(plan).flatMap(pool::makeNow).map(NamespacesAhead::new);
    }

    /**
     * A user namespace with these ID maps, made now (for an owner-mapped bind's idmap). Waits for
     * it; never call it on the I/O thread.
     *
     * @param uidMap its uid_map
     * @param gidMap its gid_map
     * @return its descriptor, the caller's to close; empty if the launcher could not make it
     */
    Optional<Integer> userNamespace(String uidMap, String gidMap) {
        java.io.ByteArrayOutputStream profile = new java.io.ByteArrayOutputStream();
        profile.writeBytes(("u0" + uidMap + "\0" + gidMap + "\0").getBytes(java.nio.charset.StandardCharsets.UTF_8));
        return pool.makeNow(profile.toByteArray()).flatMap(set -> {
            if (set.size() != 4) { /* net, ipc, uts, user */
                DescriptorChannel.closeAll(set);
                return Optional.empty();
            }
            DescriptorChannel.closeAll(set.subList(0, 3));
            return Optional.of(set.get(3));
        });
    }

    /**
     * Asks the launcher to start a container that joins a set made for it by
     * {@link #makeNamespaces} instead of creating those namespaces. The set stays the caller's
     * to close (the launcher has its own copies once this returns).
     *
     * @param id       from {@link #reserveId()}
     * @param plan     the plan the set was made for
     * @param set      the set
     * @param listener its events
     * @throws LauncherUnavailableException if this launcher is gone
     */
    public void launch(long id, LaunchPlan plan, NamespacesAhead set, LaunchListener listener) {
        Objects.requireNonNull(listener, "listener");
        sessions.put(id, listener);
        sendRun(id, NamespacePool.join(plan, set.descriptors()), listener);
    }

    private static ByteBuffer runMessage(int type, long id, int descriptors, byte[] wire) {
        ByteBuffer m = ByteBuffer.allocate(20 + wire.length).order(ByteOrder.LITTLE_ENDIAN);
        return m.putInt(16 + wire.length).putInt(type).putLong(id).putInt(descriptors).put(wire).flip();
    }

    /**
     * @return what the launcher reported it could not do for its namespace pool, oldest first:
     *         each failure made the JVM stop asking for sets of that profile
     */
    public List<LaunchFailure> namespacePoolFailures() {
        return List.copyOf(poolFailures);
    }

    /**
     * Sends a signal to a container's first process (its init, which forwards it, or the
     * command when it is PID 1). {@code SIGKILL} (9) ends the whole container.
     *
     * @param id     the container's id
     * @param signal the signal number
     */
    public void signal(long id, int signal) {
        if (!sessions.containsKey(id)) {
            return;
        }
        ByteBuffer m = ByteBuffer.allocate(20).order(ByteOrder.LITTLE_ENDIAN);
        m.putInt(16).putInt(MSG_SIGNAL).putLong(id).putInt(signal).flip();
        send(m, List.of());
    }

    /**
     * Sets the window size of a running container's terminal ({@link LaunchPlan.StdioOp#tty});
     * the kernel sends its foreground process group {@code SIGWINCH}. Nothing for a container
     * that has ended or has no terminal.
     *
     * @param id      the container's id
     * @param rows    rows, 1 to 65535
     * @param columns columns, 1 to 65535
     */
    public void resize(long id, int rows, int columns) {
        if (rows < 1 || rows > 0xffff || columns < 1 || columns > 0xffff) {
            throw new IllegalArgumentException("a terminal of " + columns + "x" + rows + " characters");
        }
        /* atomic with the master's removal at the container's end: never a closed, reused fd */
        terminals.computeIfPresent(id, (k, master) -> {
            Terminals.resize(master, rows, columns);
            return master;
        });
    }

    /**
     * Runs a task on the I/O thread, e.g. to register a channel with {@link #selector()}.
     *
     * @param task the task
     */
    public void execute(Runnable task) {
        tasks.add(task);
        selector.wakeup();
    }

    /**
     * @return the I/O thread's selector; register channels only from the I/O thread (from a
     *     listener callback or an {@link #execute} task) with a {@link ChannelHandler} attached
     */
    public Selector selector() {
        return selector;
    }

    /** @return whether the caller is the I/O thread */
    public boolean onIoThread() {
        return Thread.currentThread() == ioThread;
    }

    /** A handler for a channel the I/O thread watches; called on the I/O thread. */
    public interface ChannelHandler {
        /**
         * @param key the key that is ready
         * @throws IOException if the channel failed; the key is then cancelled and the channel closed
         */
        void ready(SelectionKey key) throws IOException;
    }

    /**
     * A namespace pool's request: one the caller waits for to this launcher; one kept ahead to
     * the second launcher, which makes it in parallel with this one's containers, started on
     * the first such request (and again if it died). Where it cannot be, the request is
     * answered as refused.
     */
    private void sendPoolRequest(ByteBuffer m) {
        if (m.getInt(16) != 0) {
            send(m, List.of());
            return;
        }
        synchronized (aheadLock) {
            if ((ahead == null || ahead.lost != null) && !aheadRefused && lost == null) {
                try {
                    ahead = start(binary, this);
                } catch (LauncherUnavailableException e) {
                    aheadRefused = true;
                    log.info("cannot start a launcher to make namespaces ahead ({}); containers create their own",
                            e.getMessage());
                }
            }
            try {
                if (ahead != null) {
                    ahead.send(m, List.of());
                    return;
                }
            } catch (LauncherUnavailableException e) {
                log.debug("the launcher that makes namespaces ahead is gone: {}", e.getMessage());
            }
        }
        long request = m.getLong(8);
        execute(() -> pool.failed(request)); /* off the pool's lock, which the caller holds */
    }

    /** Sends fds (if any) on the descriptor connection, then queues the message that says how many. */
    private void send(ByteBuffer message, List<Integer> fds) {
        if (lost != null) {
            throw new LauncherUnavailableException("the Corral launcher is gone: " + lost.getMessage(), lost);
        }
        synchronized (outbox) {
            if (!fds.isEmpty()) {
                try {
                    descriptors.send(fds);
                } catch (IOException e) {
                    throw new LauncherUnavailableException("cannot hand a plan's descriptors to the Corral launcher: "
                            + e.getMessage(), e);
                }
            }
            outbox.add(message);
            try {
                flushOutbox();
            } catch (IOException e) {
                /* the I/O thread sees the same failure on its next read */
                log.debug("writing to the launcher failed: {}", e.toString());
            }
            if (!outbox.isEmpty()) {
                execute(() -> watchControl(true));
            }
        }
    }

    private void flushOutbox() throws IOException {
        while (!outbox.isEmpty()) {
            ByteBuffer head = outbox.peek();
            control.write(head);
            if (head.hasRemaining()) {
                return;
            }
            outbox.remove();
        }
    }

    private void watchControl(boolean writes) {
        SelectionKey key = control.keyFor(selector);
        if (key != null && key.isValid()) {
            key.interestOps(SelectionKey.OP_READ | (writes ? SelectionKey.OP_WRITE : 0));
        }
    }

    private void loop() {
        try {
            while (lost == null && !shuttingDown) {
                selector.select();
                Runnable task;
                while ((task = tasks.poll()) != null) {
                    task.run();
                }
                for (SelectionKey key : selector.selectedKeys()) {
                    if (!key.isValid()) {
                        continue;
                    }
                    if (key.channel() == control) {
                        if (key.isWritable()) {
                            synchronized (outbox) {
                                flushOutbox();
                                if (outbox.isEmpty()) {
                                    watchControl(false);
                                }
                            }
                        }
                        if (key.isReadable()) {
                            readControl();
                        }
                    } else if (key.channel() == listener) {
                        acceptStream();
                    } else if (key.attachment() instanceof ChannelHandler h) {
                        try {
                            h.ready(key);
                        } catch (IOException | RuntimeException e) {
                            log.debug("stream handler failed: {}", e.toString());
                            key.cancel();
                            key.channel().close();
                        }
                    }
                }
                selector.selectedKeys().clear();
            }
            if (shuttingDown) { /* the JVM exits: so do the launcher and its containers */
                declareLost(new ClosedChannelException());
            }
        } catch (IOException | RuntimeException e) {
            declareLost(e instanceof IOException io ? io : new IOException(e.toString(), e));
        }
    }

    private void acceptStream() throws IOException {
        SocketChannel c;
        while ((c = listener.accept()) != null) {
            long key;
            try {
                c.configureBlocking(true); /* the header is written with the connect */
                key = readStreamHeader(c);
                c.configureBlocking(false);
            } catch (IOException e) {
                log.warn("refused a connection to the launcher socket: {}", e.getMessage());
                c.close();
                continue;
            }
            LaunchListener l = key < 0 ? null : sessions.get(key / 4);
            if (l == null) {
                c.close();
                continue;
            }
            long streamKey = key;
            SocketChannel stream = c;
            notify(streamKey / 4, () -> l.streamConnected((int) (streamKey % 4), stream));
        }
    }

    private void readControl() throws IOException {
        /* The launcher connects a container's stdio streams before it clones it, so they are
           queued before any event of that container can be read here: accept them first, or an
           EXITED read in the same round would end the session and the late stream be refused. */
        acceptStream();
        int n = control.read(inbox);
        if (n < 0) {
            throw new IOException("the launcher closed its connection" + exitStatus());
        }
        inbox.flip();
        while (inbox.remaining() >= 8) {
            int len = inbox.getInt(inbox.position());
            if (len < 4 || len > (64 << 20)) {
                throw new IOException("bad message length " + len + " from the launcher");
            }
            if (inbox.remaining() < 4 + len) {
                if (inbox.capacity() < 4 + len) {
                    inbox = ByteBuffer.allocate(4 + len).order(ByteOrder.LITTLE_ENDIAN).put(inbox);
                    inbox.flip();
                }
                break;
            }
            inbox.getInt();
            int type = inbox.getInt();
            ByteBuffer payload = inbox.slice(inbox.position(), len - 4).order(ByteOrder.LITTLE_ENDIAN);
            inbox.position(inbox.position() + len - 4);
            dispatch(type, payload);
        }
        inbox.compact();
    }

    private void dispatch(int type, ByteBuffer p) throws IOException {
        long id = p.getLong();
        switch (type) {
            case MSG_STARTED -> {
                LaunchListener l = sessions.get(id);
                int pid = p.getInt();
                if (l != null) {
                    notify(id, () -> l.started(pid));
                }
            }
            case MSG_GATED -> {
                LaunchListener l = sessions.get(id);
                int pid = p.getInt();
                if (l != null) {
                    notify(id, () -> l.gated(pid));
                }
            }
            case MSG_FAILED -> {
                LaunchListener l = sessions.remove(id);
                closeTerminal(id);
                int step = p.getInt(), errno = p.getInt(), index = p.getInt();
                if (l != null) {
                    notify(id, () -> l.failed(new LaunchFailure(LaunchStep.fromOrdinal(step), errno, index)));
                }
            }
            case MSG_EXITED -> {
                LaunchListener l = sessions.remove(id);
                closeTerminal(id);
                int how = p.getInt(), value = p.getInt();
                long wall = p.getLong(), user = p.getLong(), sys = p.getLong(), rss = p.getLong();
                List<ExitReport.CounterFile> counters = counterFiles(p);
                boolean reset = p.getInt() == 1;
                if (l != null) {
                    notify(id, () -> l.exited(new ExitReport(how == Wire.EXIT_HOW_SIGNALED, value, Duration.ofNanos(wall * 1000),
                            Duration.ofNanos(user * 1000), Duration.ofNanos(sys * 1000), rss, counters, reset)));
                }
            }
            case MSG_NAMESPACES_MADE -> pool.made(id, descriptors.receive(p.getInt()));
            case MSG_NAMESPACES_FAILED -> {
                LaunchFailure f = new LaunchFailure(LaunchStep.fromOrdinal(p.getInt()), p.getInt(), p.getInt());
                if (pool.failed(id)) {
                    poolFailures.add(f);
                    log.info("the launcher cannot prepare namespaces ahead ({}); containers create their own", f);
                }
            }
            default -> throw new IOException("unknown message type " + type + " from the launcher");
        }
    }

    /** EXITED's tail: a count, then per file an i32 length (-1 absent, -2 unread) and its bytes. */
    private static List<ExitReport.CounterFile> counterFiles(ByteBuffer p) throws IOException {
        int n = p.getInt();
        if (n < 0 || n > LaunchPlan.MAX_COUNTER_FILES) {
            throw new IOException("the launcher sent " + n + " counter files");
        }
        List<ExitReport.CounterFile> files = new java.util.ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            int len = p.getInt();
            if (len == -1) {
                files.add(ExitReport.CounterFile.absent());
            } else if (len == -2) {
                files.add(ExitReport.CounterFile.unread());
            } else if (len < 0 || len > p.remaining()) {
                throw new IOException("the launcher sent a counter file of " + len + " bytes");
            } else {
                byte[] b = new byte[len];
                p.get(b);
                files.add(new ExitReport.CounterFile(true,
                        Optional.of(new String(b, java.nio.charset.StandardCharsets.UTF_8).strip())));
            }
        }
        return files;
    }

    /** A listener's failure is its container's problem: it must not end the loop every container needs. */
    private static void notify(long id, Runnable event) {
        try {
            event.run();
        } catch (RuntimeException e) {
            log.error("container {}: its listener failed on a launcher event", id, e);
        }
    }

    private String exitStatus() {
        try {
            if (process.waitFor(200, java.util.concurrent.TimeUnit.MILLISECONDS)) {
                return " (it exited with status " + process.exitValue() + ")";
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return "";
    }

    private void declareLost(IOException cause) {
        if (!(cause instanceof ClosedChannelException)) {
            log.warn("the Corral launcher is gone: {}", cause.getMessage());
        }
        lost = cause;
        process.destroyForcibly();
        Launcher helper;
        synchronized (aheadLock) {
            helper = ahead;
            ahead = null;
            aheadRefused = true;
        }
        if (helper != null) {
            helper.process.destroyForcibly(); /* it makes sets for this launcher only */
        }
        try {
            selector.close();
            control.close();
            listener.close();
            descriptors.close();
        } catch (IOException e) {
            log.debug("closing after the launcher died: {}", e.toString());
        }
        terminals.keySet().forEach(this::closeTerminal);
        for (Long id : sessions.keySet()) {
            LaunchListener l = sessions.remove(id);
            if (l != null) {
                try {
                    l.launcherLost(cause);
                } catch (RuntimeException e) {
                    log.warn("a listener failed on launcher loss", e);
                }
            }
        }
    }

    /**
     * Stops this launcher (its containers die with it). For tests that check a launcher's
     * death is survived; applications never need this.
     *
     * @return the cause recorded for the running containers
     */
    public Optional<IOException> killForTest() {
        process.destroyForcibly();
        return Optional.ofNullable(lost);
    }
}
