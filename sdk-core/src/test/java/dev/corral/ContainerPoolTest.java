package dev.corral;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.corral.unit.DataSize;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Pooled runs: each run's usage is its own; the pool runs at most its size at once, holds no
 * thread per run, and closing it ends every run. What a run leaves behind: {@link PooledIsolationTest}.
 */
class ContainerPoolTest {

    @Test
    void eachPooledRunsUsageIsItsOwn() {
        ContainerSpec spec = Container.builder().memory(DataSize.ofMebibytes(256)).pids(32).build();
        try (ContainerPool pool = ContainerPool.of(spec, 1)) {
            for (int i = 0; i < 4; i++) {
                ContainerResult heavy = pool.run("/bin/sh", "-c", "exec dd if=/dev/zero of=/dev/null bs=60M count=20");
                ContainerResult light = pool.run("/bin/true");
                assertEquals(2, light.usage().pidsPeak().orElseThrow(), light.usage().toString());
                assertTrue(light.usage().peakMemory().bytes() < DataSize.ofMebibytes(8).bytes(), light.usage().toString());
                assertTrue(light.usage().cpuTime().compareTo(heavy.usage().cpuTime()) < 0,
                        light.usage() + " after " + heavy.usage());
            }
        }
    }

    @Test
    void atMostSizeRunAtOnceAndTheRestWaitWithoutAThreadEach(@TempDir Path dir) throws Exception {
        Path w = Files.createDirectory(dir.resolve("w"));
        TestRootfs.openUp(w, "rwxrwxrwx");
        ContainerSpec spec = Container.builder().mount(Mount.bindReadWrite(w, "/w")).timeout(Duration.ofSeconds(120)).build();
        try (ContainerPool pool = ContainerPool.of(spec, 2)) {
            pool.run("/bin/true"); /* launcher, I/O, timer and pool threads up */
            int threadsBefore = Thread.getAllStackTraces().size();
            List<CompletableFuture<ContainerResult>> runs = new ArrayList<>();
            for (int i = 0; i < 60; i++) {
                /* each counts the runs active with it, under a lock, then stays a while */
                runs.add(pool.runAsync(List.of("/bin/sh", "-c",
                        "flock /w/lock sh -c 'touch /w/active.$0; ls /w | grep -c active >> /w/seen' $0; sleep 0.2; "
                                + "flock /w/lock rm /w/active.$0", "r" + i), Input.empty()));
            }
            assertTrue(pool.waiting() >= 50, "waiting: " + pool.waiting());
            int threadsDuring = Thread.getAllStackTraces().size();
            for (CompletableFuture<ContainerResult> r : runs) {
                assertTrue(r.get().succeeded(), () -> r.join() + r.join().stderr());
            }
            List<Integer> seen = Files.readAllLines(w.resolve("seen")).stream().map(Integer::parseInt).toList();
            assertEquals(60, seen.size());
            assertEquals(2, seen.stream().mapToInt(Integer::intValue).max().orElseThrow(),
                    "at most two at once, and two did run together: " + seen);
            assertTrue(threadsDuring - threadsBefore <= 2, "threads grew from " + threadsBefore + " to " + threadsDuring);
        }
    }

    @Test
    void closingThePoolEndsWaitingAndRunningRuns() throws Exception {
        ContainerPool pool = ContainerPool.of(Container.builder().timeout(Duration.ofSeconds(120)).build(), 1);
        List<CompletableFuture<ContainerResult>> runs = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            runs.add(pool.runAsync(List.of("/bin/sh", "-c", "exec sleep 3605"), Input.empty()));
        }
        for (int i = 0; i < 200 && processesWith("3605") == 0; i++) {
            Thread.sleep(50);
        }
        assertEquals(1, processesWith("3605"), "one runs, two wait");
        pool.close();
        for (CompletableFuture<ContainerResult> r : runs) {
            assertTrue(r.isDone());
            assertThrows(java.util.concurrent.CancellationException.class, () -> {
                try {
                    r.get();
                } catch (ExecutionException e) {
                    throw e.getCause();
                }
            });
        }
        for (int i = 0; i < 200 && processesWith("3605") > 0; i++) {
            Thread.sleep(50);
        }
        assertEquals(0, processesWith("3605"), "the running one was killed");
        assertThrows(IllegalStateException.class, () -> pool.run("/bin/true"));
    }

    @Test
    void aPoolNeedsASizeAndResultsItCanRead() {
        ContainerSpec spec = Container.builder().build();
        assertThrows(InvalidSpecException.class, () -> ContainerPool.of(spec, 0));
        assertThrows(InvalidSpecException.class, () -> ContainerPool.of(spec.toBuilder().stdout(Output.pipe()).build(), 1));
        try (ContainerPool pool = ContainerPool.of(spec, 1)) {
            assertThrows(InvalidSpecException.class, () -> pool.runAsync(List.of("/bin/true"), Input.pipe()));
            assertEquals("7\n", pool.run(List.of("/bin/sh", "-c", "read a b; echo $((a + b))"), Input.string("3 4\n")).stdout());
        }
    }

    private static long processesWith(String marker) {
        return ProcessHandle.allProcesses().filter(p -> p.info().arguments()
                .map(a -> List.of(a).contains(marker)).orElse(false)).count();
    }
}
