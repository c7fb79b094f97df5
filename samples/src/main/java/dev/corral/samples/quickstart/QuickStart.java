package dev.corral.samples.quickstart;

import dev.corral.Container;
import dev.corral.ContainerResult;
import dev.corral.Rootfs;
import dev.corral.unit.DataSize;
import java.time.Duration;

/** The README's quick start: one container, limited, timed, its result read. */
public final class QuickStart {
    public static void main(String[] args) {
        ContainerResult r = Container.builder()
                .rootfs(Rootfs.hostReadOnly())          // the host's /usr, /bin, /lib*, /etc, read-only
                .hostname("quickstart")
                .memory(DataSize.ofMebibytes(256)).pids(64)
                .timeout(Duration.ofSeconds(2))         // kills the whole container
                .run("/bin/sh", "-c", "echo hello from $(hostname)");
        System.out.println(r.termination() + " " + r.exitCode() + " " + r.stdout().strip());
    }
}
