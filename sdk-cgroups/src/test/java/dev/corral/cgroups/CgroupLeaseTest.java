package dev.corral.cgroups;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.corral.cgroups.internal.CgroupLease;
import dev.corral.unit.DataSize;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * A lease opens its cgroup's files itself, once, and keeps them: what it hands out are this
 * process's descriptors of exactly the files the cgroup's usage and reuse rules read; closing it
 * closes them all and removes the cgroup.
 */
@Tag("cgroup-v2")
class CgroupLeaseTest {

    /** @return the file this process's descriptor fd names */
    private static Path fileOf(int fd) throws IOException {
        return Files.readSymbolicLink(Path.of("/proc/self/fd/" + fd));
    }

    @Test
    void opensTheFilesALauncherNeedsOnceAndClosesThemWithTheCgroup() throws Exception {
        List<Integer> all = new ArrayList<>();
        Path dir;
        try (Cgroups cgroups = Cgroups.builder().parent(Workload.testParent()).build();
             CgroupLease lease = CgroupLease.open(cgroups.create("lease",
                     CgroupLimits.builder().memory(DataSize.ofMebibytes(64)).pids(16).build()))) {
            Cgroup cg = lease.cgroup();
            dir = cg.procsFiles().get(0).getParent();
            if (cg.version() == CgroupVersion.V2) {
                assertEquals(dir, fileOf(lease.directoryDescriptor().getAsInt()));
                assertEquals(dir.resolve("cgroup.procs"), fileOf(lease.procsDescriptor().getAsInt()));
                assertEquals(List.of(), lease.joinDescriptors(), "v2 is joined by clone3, or by cgroup.procs");
                assertEquals(List.of(), lease.counterResetDescriptors(), "v2 counters cannot be set back");
            } else {
                assertEquals(cg.procsFiles().stream().map(f -> f.resolveSibling("tasks")).toList(),
                        lease.joinDescriptors().stream().map(CgroupLeaseTest::unchecked).toList(), "v1 tasks files");
                assertTrue(lease.directoryDescriptor().isEmpty() && lease.procsDescriptor().isEmpty());
                assertEquals(java.util.Set.of("memory.max_usage_in_bytes", "cpuacct.usage"),
                        java.util.Set.copyOf(lease.counterResetDescriptors().stream()
                                .map(fd -> unchecked(fd).getFileName().toString()).toList()), "what v1 can set back");
            }
            List<Path> counters = lease.counterDescriptors().stream().map(CgroupLeaseTest::unchecked).toList();
            assertFalse(counters.isEmpty());
            assertEquals(lease.counterFiles(), counters);

            /* nothing read by the launcher: the lease reads the files itself, as they are */
            List<Optional<String>> unread = counters.stream().map(c -> Optional.<String>empty()).toList();
            assertEquals(cg.usage(), lease.usage(unread));

            lease.directoryDescriptor().ifPresent(all::add);
            lease.procsDescriptor().ifPresent(all::add);
            all.addAll(lease.joinDescriptors());
            all.addAll(lease.counterDescriptors());
            all.addAll(lease.counterResetDescriptors());
        }
        for (int fd : all) {
            assertFalse(Files.exists(Path.of("/proc/self/fd/" + fd)) && unchecked(fd).startsWith(dir),
                    "descriptor " + fd + " still open");
        }
        assertFalse(Files.exists(dir), dir + " left behind");
    }

    private static Path unchecked(int fd) {
        try {
            return fileOf(fd);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
