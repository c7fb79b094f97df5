package dev.corral;

import java.io.InputStream;
import java.io.OutputStream;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * A running container, as {@link Process} is a running process. Close it to kill whatever is
 * left of it and release everything; closing is idempotent and safe at any time.
 *
 * <pre>{@code
 * try (ContainerProcess p = Container.builder().stdout(Output.pipe()).start("sh", "-c", "echo hi; sleep 60")) {
 *     String first = new BufferedReader(new InputStreamReader(p.stdout())).readLine();   // "hi"
 * }   // the sleep is killed here
 * }</pre>
 */
public interface ContainerProcess extends AutoCloseable {

    /** @return the host PID of the container's first process (its init, or the command if it is PID 1) */
    long pid();

    /**
     * @return the command's standard input, when started with {@link Input#pipe()}; closing
     *     it gives the command end of file
     * @throws IllegalStateException if stdin is not a pipe
     */
    OutputStream stdin();

    /**
     * @return the command's standard output, when started with {@link Output#pipe()}
     * @throws IllegalStateException if stdout is not a pipe
     */
    InputStream stdout();

    /**
     * @return the command's standard error, when started with {@link Output#pipe()}
     * @throws IllegalStateException if stderr is not a pipe
     */
    InputStream stderr();

    /** @return completed with the result when the container has ended and its captured output is complete */
    CompletableFuture<ContainerResult> onExit();

    /**
     * Waits for the container to end.
     *
     * @return the result
     * @throws InterruptedException if interrupted while waiting
     */
    ContainerResult waitFor() throws InterruptedException;

    /**
     * Waits at most {@code timeout} for the container to end.
     *
     * @param timeout how long to wait
     * @return the result, or empty if it is still running
     * @throws InterruptedException if interrupted while waiting
     */
    Optional<ContainerResult> waitFor(Duration timeout) throws InterruptedException;

    /**
     * Freezes every process of the container (cgroup freezer): they stop using CPU until
     * {@link #resume()}. Needs a cgroup: a container with a resource limit has one.
     *
     * @throws IllegalStateException if the container has no cgroup or has ended
     */
    void pause();

    /**
     * Thaws what {@link #pause()} froze.
     *
     * @throws IllegalStateException if the container has no cgroup or has ended
     */
    void resume();

    /**
     * The container's usage so far, from its cgroup's counters, in the type of the result's
     * {@link ContainerResult#usage()}: the wall time since it started, the CPU time of all its
     * processes, its peak and current memory, OOM kills and peak process count.
     *
     * @return the container's usage so far
     * @throws IllegalStateException if the container has no cgroup or has ended
     */
    ResourceUsage stats();

    /** @return whether the container is still running */
    boolean isAlive();

    /**
     * Sends a signal to the command (through the container's init, which forwards it).
     *
     * @param signal a signal number, e.g. 15 for SIGTERM
     */
    void signal(int signal);

    /**
     * Changes the window size of the command's terminal; the command gets {@code SIGWINCH}.
     * Nothing happens once the container has ended.
     *
     * @param size the new size
     * @throws IllegalStateException if the spec gave no {@link ContainerSpec.Builder#terminal terminal}
     */
    void resizeTerminal(Terminal size);

    /**
     * Runs another command in this running container, as {@code docker exec} does: in its
     * namespaces (user, mount, PID, IPC, UTS, network, cgroup, time), in its cgroup (counted in
     * its limits), as its user, under its security policy (capabilities, {@code no_new_privs},
     * seccomp filter, rlimits), with the container's environment plus the options'. No mount or
     * root is made again. The command is a process of the container (its init adopts what it
     * leaves behind) and dies with it; killing or timing out the returned process kills the
     * command only. Its result's usage is the command's own (its rusage): the container's cgroup
     * counts it too.
     *
     * <pre>{@code
     * try (ContainerProcess c = Container.builder().start("sleep", "60")) {
     *     c.exec("hostname").waitFor().stdout();   // "corral\n"
     * }
     * }</pre>
     *
     * @param options the command's environment additions, working directory, stdio, terminal and timeout
     * @param command the command and its arguments
     * @return the command, running
     * @throws IllegalStateException if the container has ended (or never started)
     * @throws InvalidSpecException if an option or the command is not valid
     * @throws ContainerStartException if the command could not be started in the container
     */
    ContainerProcess exec(ExecSpec options, java.util.List<String> command);

    /**
     * Runs another command in this running container with {@link ExecSpec#defaults()}: see
     * {@link #exec(ExecSpec, java.util.List)}.
     *
     * <pre>{@code
     * ContainerResult r = container.exec("cat", "/etc/hostname").waitFor();
     * }</pre>
     *
     * @param command the command and its arguments
     * @return the command, running
     */
    default ContainerProcess exec(String... command) {
        java.util.Objects.requireNonNull(command, "command");
        return exec(ExecSpec.defaults(), java.util.Arrays.asList(command));
    }

    /**
     * The container's address on its network: on a {@link dev.corral.network.Network#bridge bridge},
     * the address leased to it there; on any other network, empty (a container joined to
     * another's network has that one's, when it has one).
     *
     * <pre>{@code
     * try (ContainerProcess db = Container.builder().network(Network.bridge("app")).start("/srv/db")) {
     *     db.address();   // Optional[/10.88.0.2]
     * }
     * }</pre>
     *
     * @return its address, if it has one of its own
     */
    default Optional<java.net.InetAddress> address() {
        return Optional.empty();
    }

    /** Kills every process of the container; the result says {@link Termination#KILLED}. */
    void kill();

    /** Kills what is left, waits for the end, and releases the streams. Idempotent. */
    @Override
    void close();
}
