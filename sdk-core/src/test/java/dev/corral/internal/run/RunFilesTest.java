package dev.corral.internal.run;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.corral.Container;
import dev.corral.ContainerResult;
import dev.corral.ContainerSpec;
import dev.corral.Rootfs;
import dev.corral.ScratchDirectory;
import dev.corral.Termination;
import dev.corral.internal.files.ScratchBox;
import dev.corral.internal.image.PreparedRootfs;
import dev.corral.namespaces.launcher.ExitReport;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a run's files add to its result, and where that work is done: nothing to add is no work
 * and no thread; a scratch directory is copied out and removed on the cleanup executor; a failed
 * start takes it away. A directory root and a scratch directory on the host; no container.
 */
class RunFilesTest {
    @TempDir
    Path root;

    private final List<Runnable> cleanup = new ArrayList<>();

    private final ContainerSpec spec = Container.builder().rootfs(Rootfs.directory(Path.of("/"))).privilegedRoot().build();

    private static ContainerResult exited() {
        ExitReport r = new ExitReport(false, 0, Duration.ZERO, Duration.ZERO, Duration.ZERO, 0, List.of(), false);
        return new ResultAssembly.Parts(r, Optional.empty()).result(new ResultAssembly.Seen(false, false, false, false, true),
                new byte[0], new byte[0]);
    }

    private void runCleanups() {
        List<Runnable> now = List.copyOf(cleanup);
        cleanup.clear();
        now.forEach(Runnable::run);
    }

    @Test
    void aDirectoryRootWithoutScratchCompletesAtOnceOnTheCallersThread() {
        RunFiles files = new RunFiles(PreparedRootfs.prepare(spec, List.of("/bin/true")), Optional.empty(), dev.corral.internal.network.ContainerNetworks.none(), 1);
        CompletableFuture<ContainerResult> result = new CompletableFuture<>();
        ContainerResult done = exited();
        files.complete(done, result, cleanup::add);
        assertTrue(result.isDone());
        assertSame(done, result.join());
        assertEquals(List.of(), cleanup);
    }

    @Test
    void theScratchDirectoryIsCopiedOutAndRemovedOffTheCallersThread() throws Exception {
        ScratchBox box = ScratchBox.create(ScratchDirectory.at("/work").copyOut("answer"));
        Files.writeString(box.directory().resolve("answer"), "42"); /* what the container wrote */
        RunFiles files = new RunFiles(PreparedRootfs.prepare(spec, List.of("/bin/true")), Optional.of(box), dev.corral.internal.network.ContainerNetworks.none(), 1);
        CompletableFuture<ContainerResult> result = new CompletableFuture<>();
        files.complete(exited(), result, cleanup::add);
        assertFalse(result.isDone(), "copying out waits for the cleanup executor");
        assertEquals(1, cleanup.size());
        runCleanups();
        ContainerResult r = result.join();
        assertEquals(Termination.EXITED, r.termination());
        assertArrayEquals("42".getBytes(StandardCharsets.UTF_8), r.files().orElseThrow().files().get("answer"));
        assertFalse(Files.exists(box.directory()), "removed once copied out");
    }

    @Test
    void aFailedStartRemovesTheScratchDirectorySoon() throws Exception {
        ScratchBox box = ScratchBox.create(ScratchDirectory.at("/work").copyOut("answer"));
        RunFiles files = new RunFiles(PreparedRootfs.prepare(spec, List.of("/bin/true")), Optional.of(box), dev.corral.internal.network.ContainerNetworks.none(), 1);
        files.releaseAfterFailure(cleanup::add);
        assertTrue(Files.exists(box.directory()), "not on the I/O thread");
        runCleanups();
        assertFalse(Files.exists(box.directory()));
    }
}
