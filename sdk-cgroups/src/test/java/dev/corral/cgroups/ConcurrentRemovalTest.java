package dev.corral.cgroups;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Handles removed on one thread while their {@link Cgroups} closes on another, as a JVM's
 * shutdown hook closes the placement while a container's cgroup is still being removed; and
 * nothing made after the close.
 */
@Tag("cgroup-v2")
class ConcurrentRemovalTest {

    @Test
    void closeWhileHandlesAreRemovedElsewhereNeitherDeadlocksNorLeaves() throws Exception {
        for (int round = 0; round < 40; round++) {
            Cgroups cgroups = Cgroups.builder().parent(Workload.testParent()).build();
            List<Cgroup> handles = new ArrayList<>();
            for (int i = 0; i < 6; i++) {
                handles.add(cgroups.create("c" + i, CgroupLimits.none()));
            }
            List<Path> parents = cgroups.parentDirectories();
            CountDownLatch go = new CountDownLatch(1);
            Thread remover = new Thread(() -> {
                try {
                    go.await();
                } catch (InterruptedException e) {
                    return;
                }
                handles.forEach(Cgroup::remove);
            }, "remover");
            remover.setDaemon(true);
            remover.start();
            Thread closer = new Thread(cgroups::close, "closer");
            closer.setDaemon(true);
            go.countDown();
            closer.start();
            remover.join(TimeUnit.SECONDS.toMillis(20));
            closer.join(TimeUnit.SECONDS.toMillis(20));
            assertFalse(remover.isAlive() || closer.isAlive(), "round " + round + ": removal and close deadlocked");
            for (Cgroup c : handles) {
                assertTrue(c.processes().isEmpty());
            }
            cgroups.close(); /* the parents, if close() ran before the last removal */
            /* a spare made on another thread just after the JVM's shutdown hook closed the
               placement would outlive it: refused */
            assertThrows(CgroupException.class, () -> cgroups.create("late", CgroupLimits.none()));
            for (Path parent : parents) {
                assertFalse(Files.exists(parent), parent + " was left behind");
            }
        }
    }
}
