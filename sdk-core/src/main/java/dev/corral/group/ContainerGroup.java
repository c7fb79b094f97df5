package dev.corral.group;

import dev.corral.ContainerException;
import dev.corral.ContainerProcess;
import dev.corral.ContainerResult;
import dev.corral.ContainerSpec;
import dev.corral.Output;
import dev.corral.network.Network;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Containers that start and stop together, as a Compose project or a pod: named
 * {@link GroupMember members}, started in dependency order, each restarted by its
 * {@link RestartPolicy}, each with a log file holding its standard output and error in the order
 * written, and stopped together as {@code docker stop} does: {@code SIGTERM}, then
 * {@code SIGKILL} after a grace period, the members that depend on others first.
 *
 * <pre>{@code
 * try (ContainerGroup g = ContainerGroup.builder()
 *         .member(GroupMember.builder("db", dbSpec).command("mysqld").restart(RestartPolicy.always()).build())
 *         .member(GroupMember.builder("web", webSpec).dependsOn("db").build())
 *         .logDirectory(Path.of("logs"))                 // logs/db.log, logs/web.log
 *         .start()) {
 *     g.status("db").state();                            // RUNNING
 *     g.onEnded().get();                                 // until every member has ended for good
 * }                                                      // stops whatever still runs
 * }</pre>
 *
 * <p>A group holds one thread of its own, whatever its size: the members' ends arrive as their
 * {@link ContainerProcess#onExit()} completes, and the group's thread applies restart policies
 * and back-offs. A restarted member is a new container from the same spec (for an image root: a
 * fresh writable layer; keep data in volumes).
 */
public final class ContainerGroup implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ContainerGroup.class);
    /** As Docker: a member that ran this long has its back-off start again from the initial delay. */
    private static final Duration BACKOFF_RESET = Duration.ofSeconds(10);

    private final List<Slot> slots;   /* in start order */
    private final Map<String, Slot> byName = new HashMap<>();
    private final Path logDirectory;
    private final boolean ownLogDirectory;
    private final Duration grace;
    private final Duration backoffInitial;
    private final Duration backoffMax;
    private final Consumer<MemberStatus> listener;
    private final ScheduledThreadPoolExecutor thread;
    private final CompletableFuture<List<MemberStatus>> ended = new CompletableFuture<>();
    private final Object stopLock = new Object();
    /* written and read on the group's thread only */
    private boolean stopping;
    private volatile boolean closed;

    /** A member and what the group's thread knows of it. */
    private static final class Slot {
        final GroupMember member;
        final ContainerSpec spec;   /* the member's, its output to its log */
        final Path log;
        final int depth;            /* 0: depends on nothing; else 1 + its deepest dependency's */
        volatile MemberStatus status;
        volatile ContainerProcess process;
        /* completed on the group's thread once the current process's end has been applied */
        volatile CompletableFuture<Void> endApplied = CompletableFuture.completedFuture(null);
        int backoffSteps;
        ScheduledFuture<?> pending;
        ContainerException startFailure;
        boolean rejoin;   /* killed because the member whose namespaces it shares restarted */

        Slot(GroupMember member, ContainerSpec spec, Path log, int depth) {
            this.member = member;
            this.spec = spec;
            this.log = log;
            this.depth = depth;
            this.status = new MemberStatus(member.name(), MemberStatus.State.CREATED, OptionalLong.empty(),
                    Optional.empty(), 0, Optional.empty(), Optional.empty(), Optional.empty());
        }
    }

    private ContainerGroup(Builder b, List<GroupMember> ordered, Map<String, Integer> depths) {
        this.grace = b.grace;
        this.backoffInitial = b.backoffInitial;
        this.backoffMax = b.backoffMax;
        this.listener = b.listener;
        try {
            if (b.logDirectory != null) {
                this.logDirectory = Files.createDirectories(b.logDirectory.toAbsolutePath());
                this.ownLogDirectory = false;
            } else {
                this.logDirectory = Files.createTempDirectory("corral-group-");
                this.ownLogDirectory = true;
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot make the group's log directory: " + e.getMessage(), e);
        }
        List<Slot> list = new ArrayList<>();
        for (GroupMember m : ordered) {
            Path file = logDirectory.resolve(m.name() + ".log");
            ContainerSpec spec = m.spec().toBuilder().stdout(Output.appendToFile(file)).stderr(Output.toStdout()).build();
            Slot s = new Slot(m, spec, file, depths.get(m.name()));
            list.add(s);
            byName.put(m.name(), s);
        }
        this.slots = List.copyOf(list);
        this.thread = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, "corral-group");
            t.setDaemon(true);
            return t;
        });
        thread.setRemoveOnCancelPolicy(true);
    }

    /** @return a builder of a group with no member yet */
    public static Builder builder() {
        return new Builder();
    }

    /** @return each member's status, in start order */
    public List<MemberStatus> status() {
        return slots.stream().map(s -> s.status).toList();
    }

    /**
     * @param member a member's name
     * @return its status
     * @throws IllegalArgumentException if the group has no such member
     */
    public MemberStatus status(String member) {
        return slot(member).status;
    }

    /**
     * @param member a member's name
     * @return its log: its standard output and error, in the order written, across restarts
     */
    public Path logFile(String member) {
        return slot(member).log;
    }

    /** @return the directory of the members' logs ({@code NAME.log}) */
    public Path logDirectory() {
        return logDirectory;
    }

    /**
     * The member's container while it runs, e.g. to {@link ContainerProcess#exec exec} in it.
     * Killing it counts as its end: its restart policy decides what follows.
     *
     * @param member a member's name
     * @return its container, or empty when it does not run
     */
    public Optional<ContainerProcess> process(String member) {
        Slot s = slot(member);
        ContainerProcess p = s.process;
        return s.status.state() == MemberStatus.State.RUNNING && p != null ? Optional.of(p) : Optional.empty();
    }

    /**
     * @return completed with every member's status once each has ended for good (exited with no
     *     restart to come, stopped or failed), as {@code docker compose up} returns when every
     *     container has exited
     */
    public CompletableFuture<List<MemberStatus>> onEnded() {
        return ended.copy();
    }

    /**
     * Stops every member, the ones that depend on others first, as {@code docker stop} does:
     * {@code SIGTERM}, then after the grace period {@code SIGKILL}. No member restarts after it.
     * Returns when every container has ended. Idempotent.
     */
    public void stop() {
        synchronized (stopLock) {
            onThread(() -> {
                stopping = true;
                for (Slot s : slots) {
                    if (s.pending != null) {
                        s.pending.cancel(false);
                        s.pending = null;
                    }
                    if (s.status.state() == MemberStatus.State.CREATED || s.status.state() == MemberStatus.State.RESTARTING) {
                        update(s, s.status.with(MemberStatus.State.STOPPED));
                    }
                }
                return null;
            });
            int deepest = slots.stream().mapToInt(s -> s.depth).max().orElse(0);
            List<CompletableFuture<Void>> applied = new ArrayList<>();
            for (int depth = deepest; depth >= 0; depth--) {
                List<ContainerProcess> level = new ArrayList<>();
                for (Slot s : slots) {
                    ContainerProcess p = s.process;
                    if (s.depth == depth && p != null) { /* an ended one too: its end may not be applied yet */
                        level.add(p);
                        applied.add(s.endApplied);
                    }
                }
                level.forEach(p -> p.signal(15));
                long deadline = System.nanoTime() + grace.toNanos();
                for (ContainerProcess p : level) {
                    if (!awaitEnd(p, deadline)) {
                        log.debug("group member pid {} still runs after {}: killed", p.pid(), grace);
                        p.kill();
                        awaitEnd(p, System.nanoTime() + TimeUnit.SECONDS.toNanos(30));
                    }
                }
            }
            /* the launcher's thread hands each end to the group's thread after onExit completes:
               wait until the group's thread has applied them, so the statuses say STOPPED */
            for (CompletableFuture<Void> f : applied) {
                try {
                    f.get(30, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    break;
                } catch (ExecutionException | TimeoutException e) {
                    log.debug("a member's end was not applied: {}", e.toString());
                }
            }
            onThread(() -> null);
        }
    }

    /** Stops every member (see {@link #stop()}) and releases the group; a log directory it made itself is removed. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        try {
            stop();
        } finally {
            closed = true;
            thread.shutdownNow();
            if (ownLogDirectory) {
                deleteTree(logDirectory);
            }
        }
    }

    /* ---- the group's thread ---- */

    private void startAll() {
        try {
            onThread(() -> {
                for (Slot s : slots) {
                    if (!launch(s)) {
                        throw new ContainerException("group member '" + s.member.name() + "' could not be started: "
                                + s.status.failure().orElse("?"), s.startFailure);
                    }
                }
                return null;
            });
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    /** Starts a member's container; on the group's thread. @return whether it started */
    private boolean launch(Slot s) {
        MemberStatus st = s.status;
        ContainerProcess p;
        try {
            ContainerSpec spec = s.spec;
            if (s.member.networkOf().isPresent() || s.member.ipcOf().isPresent()) {
                ContainerSpec.Builder b = spec.toBuilder();
                s.member.networkOf().ifPresent(o -> b.network(Network.container(owner(s, o))));
                s.member.ipcOf().ifPresent(o -> b.ipcFrom(owner(s, o)));
                spec = b.build();
            }
            p = s.member.command().isEmpty() ? spec.start() : spec.start(s.member.command());
        } catch (ContainerException e) {
            s.startFailure = e;
            update(s, new MemberStatus(st.name(), MemberStatus.State.FAILED, OptionalLong.empty(), st.startedAt(),
                    st.restarts(), st.lastResult(), Optional.of(e.getMessage()), Optional.empty()));
            return false;
        }
        s.process = p;
        CompletableFuture<Void> applied = new CompletableFuture<>();
        s.endApplied = applied;
        update(s, new MemberStatus(st.name(), MemberStatus.State.RUNNING, OptionalLong.of(p.pid()),
                Optional.of(Instant.now()), st.restarts(), st.lastResult(), Optional.empty(), p.address()));
        /* the launcher's I/O thread completes onExit: hand the end to the group's thread at once */
        p.onExit().whenComplete((r, e) -> {
            try {
                thread.execute(() -> {
                    try {
                        ended(s, p, r, e);
                    } finally {
                        applied.complete(null);
                    }
                });
            } catch (java.util.concurrent.RejectedExecutionException closedAlready) {
                p.close();
                applied.complete(null);
            }
        });
        return true;
    }

    private void ended(Slot s, ContainerProcess p, ContainerResult r, Throwable e) {
        p.close();
        if (s.process != p) {
            return;
        }
        MemberStatus st = s.status;
        if (e != null) {
            update(s, new MemberStatus(st.name(), MemberStatus.State.FAILED, OptionalLong.empty(), st.startedAt(),
                    st.restarts(), st.lastResult(), Optional.of(String.valueOf(e.getMessage())), Optional.empty()));
        } else if (s.rejoin && !stopping) {
            s.rejoin = false;
            update(s, new MemberStatus(st.name(), MemberStatus.State.RESTARTING, OptionalLong.empty(), st.startedAt(),
                    st.restarts(), Optional.of(r), Optional.empty(), Optional.empty()));
            restart(s);
        } else if (stopping) {
            update(s, new MemberStatus(st.name(), MemberStatus.State.STOPPED, OptionalLong.empty(), st.startedAt(),
                    st.restarts(), Optional.of(r), Optional.empty(), Optional.empty()));
        } else if (s.member.restart().restarts(r, st.restarts())) {
            Duration delay = backoff(s, st);
            update(s, new MemberStatus(st.name(), MemberStatus.State.RESTARTING, OptionalLong.empty(), st.startedAt(),
                    st.restarts(), Optional.of(r), Optional.empty(), Optional.empty()));
            s.pending = thread.schedule(() -> restart(s), delay.toNanos(), TimeUnit.NANOSECONDS);
        } else {
            update(s, new MemberStatus(st.name(), MemberStatus.State.EXITED, OptionalLong.empty(), st.startedAt(),
                    st.restarts(), Optional.of(r), Optional.empty(), Optional.empty()));
        }
    }

    private void restart(Slot s) {
        s.pending = null;
        if (stopping) {
            return;
        }
        for (String o : owners(s)) {
            if (byName.get(o).status.state() != MemberStatus.State.RUNNING) {
                /* its pod's owner is not back yet: wait another back-off */
                s.pending = thread.schedule(() -> restart(s), backoffInitial.toNanos(), TimeUnit.NANOSECONDS);
                return;
            }
        }
        MemberStatus st = s.status;
        s.status = new MemberStatus(st.name(), st.state(), st.pid(), st.startedAt(), st.restarts() + 1,
                st.lastResult(), st.failure(), st.address());
        if (launch(s)) {
            /* the members in its namespaces are in the old ones: start them again in the new */
            for (Slot x : slots) {
                ContainerProcess xp = x.process;
                if (owners(x).contains(s.member.name()) && x.status.state() == MemberStatus.State.RUNNING && xp != null) {
                    x.rejoin = true;
                    xp.kill();
                }
            }
        }
    }

    private static List<String> owners(Slot s) {
        List<String> o = new ArrayList<>();
        s.member.networkOf().ifPresent(o::add);
        s.member.ipcOf().filter(x -> !o.contains(x)).ifPresent(o::add);
        return o;
    }

    /** The running container of the member whose namespaces {@code s} joins. */
    private ContainerProcess owner(Slot s, String owner) {
        Slot o = byName.get(owner);
        ContainerProcess p = o.process;
        if (o.status.state() != MemberStatus.State.RUNNING || p == null) {
            throw new ContainerException("member '" + s.member.name() + "' shares the namespaces of '" + owner
                    + "', which does not run", null);
        }
        return p;
    }

    /** Docker's back-off: the initial delay, doubled after each restart up to the maximum; reset after a long run. */
    private Duration backoff(Slot s, MemberStatus st) {
        if (st.startedAt().isPresent() && Duration.between(st.startedAt().get(), Instant.now()).compareTo(BACKOFF_RESET) >= 0) {
            s.backoffSteps = 0;
        }
        Duration d = backoffInitial;
        for (int i = 0; i < s.backoffSteps && d.compareTo(backoffMax) < 0; i++) {
            d = d.multipliedBy(2);
        }
        s.backoffSteps++;
        return d.compareTo(backoffMax) > 0 ? backoffMax : d;
    }

    private void update(Slot s, MemberStatus status) {
        s.status = status;
        if (status.state() != MemberStatus.State.RUNNING) {
            s.process = status.state() == MemberStatus.State.RESTARTING ? s.process : null;
        }
        try {
            listener.accept(status);
        } catch (RuntimeException e) {
            log.warn("the group's status listener failed on {}: {}", status, e.toString());
        }
        if (slots.stream().allMatch(x -> x.status.ended())) {
            ended.complete(status());
        }
    }

    /** Runs a task on the group's thread and waits for it. */
    private <T> T onThread(java.util.concurrent.Callable<T> task) {
        if (thread.isShutdown()) {
            return null;
        }
        try {
            return thread.submit(task).get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ContainerException("interrupted while waiting for the group's thread", e);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException re) {
                throw re;
            }
            throw new ContainerException("the group's thread failed: " + e.getCause(), e.getCause());
        }
    }

    private static boolean awaitEnd(ContainerProcess p, long deadlineNanos) {
        try {
            p.onExit().get(Math.max(0, deadlineNanos - System.nanoTime()), TimeUnit.NANOSECONDS);
            return true;
        } catch (TimeoutException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        } catch (ExecutionException e) {
            return true; /* it ended, badly */
        }
    }

    private Slot slot(String member) {
        Slot s = byName.get(Objects.requireNonNull(member, "member"));
        if (s == null) {
            throw new IllegalArgumentException("the group has no member '" + member + "'");
        }
        return s;
    }

    private static void deleteTree(Path dir) {
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            log.warn("cannot remove the group's log directory {}: {}", dir, e.toString());
        }
    }

    /**
     * Builds and starts a {@link ContainerGroup}; obtained from {@link ContainerGroup#builder()}.
     *
     * <pre>{@code
     * ContainerGroup g = ContainerGroup.builder()
     *         .member(GroupMember.builder("a", spec).command("sleep", "60").build())
     *         .stopGracePeriod(Duration.ofSeconds(2))
     *         .restartBackoff(Duration.ofMillis(100), Duration.ofSeconds(10))
     *         .listener(s -> System.err.println(s.name() + " " + s.describe()))
     *         .start();
     * }</pre>
     */
    public static final class Builder {
        private final Map<String, GroupMember> members = new LinkedHashMap<>();
        private Path logDirectory;
        private Duration grace = Duration.ofSeconds(10);
        private Duration backoffInitial = Duration.ofMillis(100);
        private Duration backoffMax = Duration.ofMinutes(1);
        private Consumer<MemberStatus> listener = s -> { };

        private Builder() {}

        /** @param member a member; names must differ @return this */
        public Builder member(GroupMember member) {
            Objects.requireNonNull(member, "member");
            if (members.putIfAbsent(member.name(), member) != null) {
                throw new IllegalArgumentException("the group has two members named '" + member.name() + "'");
            }
            return this;
        }

        /**
         * @param dir where the members' logs go, {@code NAME.log}, each emptied at start (default:
         *            a temporary directory, removed when the group is closed)
         * @return this
         */
        public Builder logDirectory(Path dir) {
            this.logDirectory = Objects.requireNonNull(dir, "dir");
            return this;
        }

        /** @param grace how long a stop waits after {@code SIGTERM} before {@code SIGKILL} (default 10 s, as Docker) @return this */
        public Builder stopGracePeriod(Duration grace) {
            if (grace.isNegative()) {
                throw new IllegalArgumentException("stopGracePeriod must be 0 or more, not " + grace);
            }
            this.grace = grace;
            return this;
        }

        /**
         * @param initial the wait before a first restart (default 100 ms, as Docker), doubled for
         *                each restart after it; back to this after a run of 10 s or more
         * @param max     the longest wait (default 1 minute)
         * @return this
         */
        public Builder restartBackoff(Duration initial, Duration max) {
            if (initial.isNegative() || initial.isZero() || max.compareTo(initial) < 0) {
                throw new IllegalArgumentException("restartBackoff: initial must be positive and max at least initial, not "
                        + initial + " and " + max);
            }
            this.backoffInitial = initial;
            this.backoffMax = max;
            return this;
        }

        /**
         * @param listener told of each member's new status, on the group's thread (keep it short)
         * @return this
         */
        public Builder listener(Consumer<MemberStatus> listener) {
            this.listener = Objects.requireNonNull(listener, "listener");
            return this;
        }

        /**
         * Checks the members (each dependency a member, no cycle), then starts them in dependency
         * order and returns once each has started. If one cannot be started, those already
         * started are stopped and the failure is thrown.
         *
         * @return the running group
         * @throws IllegalArgumentException if a dependency is missing or the dependencies make a cycle
         * @throws ContainerException if a member could not be started; its cause is the member's
         *     {@link dev.corral.ContainerStartException} or {@link dev.corral.InvalidSpecException}
         */
        public ContainerGroup start() {
            if (members.isEmpty()) {
                throw new IllegalArgumentException("the group has no member");
            }
            Map<String, Integer> depths = new HashMap<>();
            List<GroupMember> ordered = new ArrayList<>();
            for (GroupMember m : members.values()) {
                visit(m, new ArrayList<>(), depths, ordered);
            }
            ContainerGroup g = new ContainerGroup(this, ordered, depths);
            try {
                for (Slot s : g.slots) {
                    Files.deleteIfExists(s.log);
                }
            } catch (IOException e) {
                g.close();
                throw new UncheckedIOException("cannot empty a member's log: " + e.getMessage(), e);
            }
            g.startAll();
            return g;
        }

        /** Depth-first: a member comes after what it depends on; a cycle is named. */
        private int visit(GroupMember m, List<String> path, Map<String, Integer> depths, List<GroupMember> ordered) {
            Integer known = depths.get(m.name());
            if (known != null) {
                return known;
            }
            if (path.contains(m.name())) {
                path.add(m.name());
                throw new IllegalArgumentException("the members' dependencies make a cycle: "
                        + String.join(" -> ", path.subList(path.indexOf(m.name()), path.size())));
            }
            path.add(m.name());
            int depth = 0;
            for (String dep : m.dependsOn()) {
                GroupMember d = members.get(dep);
                if (d == null) {
                    throw new IllegalArgumentException("member '" + m.name() + "' depends on '" + dep
                            + "', which is not a member of the group");
                }
                depth = Math.max(depth, 1 + visit(d, path, depths, ordered));
            }
            path.remove(path.size() - 1);
            depths.put(m.name(), depth);
            ordered.add(m);
            return depth;
        }
    }
}
