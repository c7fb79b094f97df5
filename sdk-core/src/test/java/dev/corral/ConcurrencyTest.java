package dev.corral;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/** Many containers at once from one JVM, each streaming, without a thread per container. */
class ConcurrencyTest {

    @Test
    void fiftyContainersStreamAtOnceOnAFixedNumberOfThreads() throws Exception {
        int n = 50;
        Container.builder().run("/bin/true"); /* the launcher and its I/O thread are up */
        ExecutorService readers = Executors.newFixedThreadPool(4);
        try {
            readers.submit(() -> null).get(); /* the pool's threads exist before we count */
            int threadsBefore = Thread.getAllStackTraces().size();
            ContainerSpec spec = Container.builder().stdout(Output.pipe()).stdin(Input.pipe()).build();
            List<ContainerProcess> running = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                /* each prints, then waits for its stdin to close: all n are alive at once */
                running.add(spec.start("/bin/sh", "-c", "for j in 1 2 3; do echo $0-$j; done; cat > /dev/null; echo $0-end",
                        "c" + i));
            }
            for (ContainerProcess p : running) {
                assertTrue(p.isAlive());
            }
            int threadsDuring = Thread.getAllStackTraces().size();
            List<Future<String>> outputs = new ArrayList<>();
            for (ContainerProcess p : running) {
                p.stdin().close();
                outputs.add(readers.submit(() -> new String(p.stdout().readAllBytes(), StandardCharsets.UTF_8)));
            }
            for (int i = 0; i < n; i++) {
                String c = "c" + i;
                assertEquals(c + "-1\n" + c + "-2\n" + c + "-3\n" + c + "-end\n", outputs.get(i).get());
                assertEquals(0, running.get(i).waitFor().exitCode().getAsInt());
                running.get(i).close();
            }
            assertTrue(threadsDuring - threadsBefore <= 2,
                    "threads grew from " + threadsBefore + " to " + threadsDuring + " with " + n + " containers");
        } finally {
            readers.shutdownNow();
        }
    }

    /**
     * 200 runs held at once through {@link ContainerSpec#runAsync}: the JVM gains a few threads,
     * not 200; cancelling a run's future kills its container; and runs that end complete their
     * futures with their results.
     */
    @Test
    void twoHundredAsyncRunsAtOnceOnAFewThreads(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        int n = 200;
        java.nio.file.Path marks = java.nio.file.Files.createDirectory(dir.resolve("marks"));
        TestRootfs.openUp(marks, "rwxrwxrwx");
        ContainerSpec spec = Container.builder().mount(Mount.bindReadWrite(marks, "/w"))
                .timeout(java.time.Duration.ofMinutes(5)).build();
        assertEquals(0, spec.runAsync("/bin/true").get().exitCode().getAsInt()); /* launcher, I/O and timer threads up */
        int threadsBefore = Thread.getAllStackTraces().size();
        List<java.util.concurrent.CompletableFuture<ContainerResult>> runs = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            runs.add(spec.runAsync("/bin/sh", "-c", "mktemp /w/started.XXXXXX > /dev/null && exec sleep 3607"));
        }
        for (int i = 0; i < 2400 && count(marks) < n && runs.stream().noneMatch(java.util.concurrent.CompletableFuture::isDone); i++) {
            Thread.sleep(50); /* until every command runs: a bound on waiting, not a claim about speed */
        }
        assertEquals(n, count(marks), () -> "containers whose command ran; ended early: " + runs.stream()
                .filter(java.util.concurrent.CompletableFuture::isDone).limit(3).map(f -> {
                    try {
                        ContainerResult r = f.get();
                        return r + " " + r.stderr();
                    } catch (Exception e) {
                        return e.toString();
                    }
                }).toList());
        int threadsDuring = Thread.getAllStackTraces().size();
        assertTrue(threadsDuring - threadsBefore <= 4,
                "threads grew from " + threadsBefore + " to " + threadsDuring + " with " + n + " runs held");
        assertEquals(n, sleepers(), "the containers' sleeps, seen from the host");
        for (java.util.concurrent.CompletableFuture<ContainerResult> r : runs) {
            assertTrue(r.cancel(false));
        }
        for (int i = 0; i < 1200 && sleepers() > 0; i++) {
            Thread.sleep(50);
        }
        assertEquals(0, sleepers(), "a cancelled run's container is killed");

        List<java.util.concurrent.CompletableFuture<ContainerResult>> quick = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            quick.add(spec.runAsync("/bin/sh", "-c", "exit $0", Integer.toString(i % 7)));
        }
        for (int i = 0; i < n; i++) {
            assertEquals(i % 7, quick.get(i).get().exitCode().getAsInt());
        }
    }

    private static long count(java.nio.file.Path dir) throws java.io.IOException {
        try (java.util.stream.Stream<java.nio.file.Path> s = java.nio.file.Files.list(dir)) {
            return s.count();
        }
    }

    private static long sleepers() {
        return ProcessHandle.allProcesses().filter(p -> p.info().arguments()
                .map(a -> a.length == 1 && a[0].equals("3607")).orElse(false)).count();
    }
}
