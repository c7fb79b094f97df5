package dev.corral;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.corral.cgroups.CgroupLimits;
import dev.corral.cgroups.Controller;
import dev.corral.unit.DataSize;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Limits as an unprivileged user on a host that delegates no cgroup to it (the hybrid v1
 * development machines): run by .ci/rootless-tests.sh as such a user, excluded from the root run.
 */
@Tag("unprivileged")
class UnprivilegedLimitsTest {

    @Test
    void runsAsAnUnprivilegedUser() throws Exception {
        String status = Files.readString(Path.of("/proc/self/status"));
        assertTrue(status.lines().anyMatch(l -> l.startsWith("Uid:") && !l.contains("\t0\t")), "not root: " + status);
    }

    @Test
    void aMemoryLimitWithoutADelegatedCgroupIsAClearError() {
        ContainerStartException e = assertThrows(ContainerStartException.class,
                () -> Container.builder().memory(DataSize.ofMebibytes(64)).run("/bin/true"));
        assertTrue(e.getMessage().contains("cgroup") && (e.getMessage().contains("delegat") || e.getMessage().contains("memory")),
                e.getMessage());
    }

    @Test
    void limitsExplicitlyAllowedToGoUnenforcedRun() {
        ContainerResult r = Container.builder()
                .limits(CgroupLimits.builder().memory(DataSize.ofMebibytes(64)).pids(32)
                        .allowUnenforced(Controller.MEMORY, Controller.PIDS).build())
                .run("/bin/sh", "-c", "echo ran");
        assertEquals(Termination.EXITED, r.termination());
        assertEquals("ran\n", r.stdout());
        assertNotEquals(ResourceUsage.PeakMemorySource.CGROUP_MEMORY_PEAK, r.usage().peakMemorySource());
    }
}
