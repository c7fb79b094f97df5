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
}
