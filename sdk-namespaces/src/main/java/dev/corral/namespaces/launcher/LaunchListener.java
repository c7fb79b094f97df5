package dev.corral.namespaces.launcher;

import java.io.IOException;
import java.nio.channels.SocketChannel;

/**
 * What happens to one launched container, called on the launcher's I/O thread: return
 * quickly and never block there.
 *
 * <pre>{@code
 * launcher.launch(plan, new LaunchListener() {
 *     public void started(long pid) { ... }
 *     public void failed(LaunchFailure failure) { ... }
 *     public void exited(ExitReport report) { ... }
 *     public void streamConnected(int fd, SocketChannel channel) { ... }
 *     public void launcherLost(IOException cause) { ... }
 * });
 * }</pre>
 */
public interface LaunchListener {
    /** @param pid the host PID of the container's first process */
    void started(long pid);

    /**
     * A plan with a gate ({@link LaunchPlan#gate()}) was let go on: its first process, this PID,
     * is on its way to the gate, where it waits, dumpable, until the gate's pipe is read. Before
     * {@link #started}, which follows only once the command runs.
     *
     * @param pid the host PID of the container's first process
     */
    default void gated(long pid) {
        /* no gate */
    }

    /** @param failure the step that failed; nothing more follows */
    void failed(LaunchFailure failure);

    /** @param report how the command ended; the last event */
    void exited(ExitReport report);

    /**
     * A relayed stdio stream arrived, before {@link #started}. The channel is non-blocking and
     * not registered anywhere; the listener owns it.
     *
     * @param fd      0, 1 or 2
     * @param channel the stream: read it for fds 1 and 2, write it for fd 0
     */
    void streamConnected(int fd, SocketChannel channel);

    /** @param cause why the launcher is gone; its containers are dead or dying */
    void launcherLost(IOException cause);
}
