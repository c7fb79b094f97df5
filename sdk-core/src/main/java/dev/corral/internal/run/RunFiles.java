package dev.corral.internal.run;

import dev.corral.ContainerException;
import dev.corral.ContainerResult;
import dev.corral.internal.files.ScratchBox;
import dev.corral.internal.image.PreparedRootfs;
import dev.corral.internal.network.ContainerNetworks;
import dev.corral.internal.network.NetworkAttachment;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A run's files on the host: its prepared root (an image's layers, with a writable layer that is
 * the run's own), its scratch directory and its network's host state ({@link NetworkAttachment}). When the start fails they are let go; when the
 * container ends, the writable layer (removed, or kept as asked) and the files copied out of the
 * scratch directory go into the result, off the launcher's I/O thread.
 *
 * <pre>{@code
 * RunFiles files = new RunFiles(prepared, Optional.of(scratch), id);
 * files.complete(result, future, RunThreads.cleanup());  // at the end
 * files.releaseAfterFailure(RunThreads.cleanup());        // or when the start failed
 * }</pre>
 */
final class RunFiles {
    private static final Logger log = LoggerFactory.getLogger(RunFiles.class);

    private final PreparedRootfs prepared; /* null: an exec, which has no files of its own */
    private final Optional<ScratchBox> scratch;
    private final NetworkAttachment network;
    private final long id;

    /**
     * @param prepared the run's prepared root
     * @param scratch  its scratch directory, if the spec has one
     * @param network  its network, released before the result is handed out
     * @param id       the container's id, for the log
     */
    RunFiles(PreparedRootfs prepared, Optional<ScratchBox> scratch, NetworkAttachment network, long id) {
        this.prepared = prepared;
        this.scratch = scratch;
        this.network = network;
        this.id = id;
    }

    /** @return the run's network */
    NetworkAttachment network() {
        return network;
    }

    /** @param id the exec's id, for the log @return the files of an exec: none of its own */
    static RunFiles ofExec(long id) {
        return new RunFiles(null, Optional.empty(), ContainerNetworks.none(), id);
    }

    /** @return the directories whose etc/passwd the container sees, topmost first; none for an exec */
    java.util.List<java.nio.file.Path> passwdRoots() {
        return prepared == null ? java.util.List.of() : prepared.passwdRoots();
    }

    /**
     * The container did not start, or its launcher died: the writable layer goes now, the
     * scratch directory and the network soon.
     */
    void releaseAfterFailure(Executor cleanup) {
        releaseAfterFailure(cleanup, () -> { });
    }

    /**
     * As {@link #releaseAfterFailure(Executor)}, then {@code then} once the network is released
     * (a failed start is reported with nothing of its network left: pasta, its files, a lease).
     */
    void releaseAfterFailure(Executor cleanup, Runnable then) {
        if (prepared != null) {
            prepared.release();
        }
        if (network.holdsHostState()) {
            cleanup.execute(() -> {
                try {
                    network.release();
                } finally {
                    then.run();
                }
            });
        } else {
            then.run();
        }
        scratch.ifPresent(s -> cleanup.execute(() -> {
            try {
                s.remove();
            } catch (RuntimeException e) {
                log.warn("container {}: cannot remove its scratch directory: {}", id, e.getMessage());
            }
        }));
    }

    /**
     * Completes {@code result} with {@code done} and what the files add to it: at once if there
     * is nothing to add, else on {@code cleanup} (removing a layer and copying files out wait on
     * the disk).
     */
    void complete(ContainerResult done, CompletableFuture<ContainerResult> result, Executor cleanup) {
        if ((prepared == null || !prepared.hasWritableLayer()) && scratch.isEmpty() && !network.holdsHostState()) {
            result.complete(done);
            return;
        }
        CompletableFuture.runAsync(() -> {
            try {
                result.complete(finish(done));
            } catch (RuntimeException e) {
                result.completeExceptionally(new ContainerException("the container ended, but its files could not "
                        + "be copied out or removed: " + e.getMessage(), e));
            }
        }, cleanup);
    }

    private ContainerResult finish(ContainerResult done) {
        ContainerResult d = done;
        network.release(); /* never throws */
        if (prepared != null && prepared.hasWritableLayer()) {
            d = d.withWritableLayer(prepared.release());
        }
        if (scratch.isPresent()) {
            try {
                d = d.withFiles(Optional.of(scratch.get().copyOut()));
            } finally {
                scratch.get().remove();
            }
        }
        return d;
    }
}
