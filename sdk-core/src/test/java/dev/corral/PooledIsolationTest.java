package dev.corral;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.corral.unit.DataSize;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Pooled isolation, as root (with a cgroup per run) and rootless (.ci/rootless-tests.sh, without
 * one): run k leaves everything a run can leave behind, and run k+1 sees none of it.
 */
class PooledIsolationTest {
    private static final boolean ROOT = "root".equals(System.getProperty("user.name"));

    /** What run k leaves: files, a double-forked daemon holding a lock, SysV shm and a semaphore set, a POSIX queue, a /dev/shm file. */
    private static final String LEAVE = """
            echo left > /tmp/left; echo left > /dev/shm/left; echo left > /box/left
            export LEFT=1; echo 'LEFT=1' >> /tmp/env
            ipcmk -M 4096 >/dev/null && ipcmk -S 1 >/dev/null || exit 11
            python3 -c 'import ctypes, os
            rt = ctypes.CDLL("librt.so.1", use_errno=True)
            if rt.mq_open(b"/left", os.O_CREAT | os.O_RDWR, 0o600, None) < 0: raise SystemExit(12)' || exit 12
            (setsid flock /tmp/lock sleep 3604 > /dev/null 2>&1 &) &
            sleep 0.2; [ -n "$(ipcs -m | grep -v -e '^-' -e key -e '^$')" ] || exit 13
            echo ok
            """;

    /** What run k+1 checks: none of it is there, and the lock is free. */
    private static final String CHECK = """
            for f in /tmp/left /dev/shm/left /box/left /tmp/env; do [ -e "$f" ] && echo "found $f"; done
            [ -n "$LEFT" ] && echo "found LEFT in the environment"
            ipcs -m | grep -v -e '^-' -e key -e '^$' | sed 's/^/found shm /'
            ipcs -s | grep -v -e '^-' -e key -e '^$' | sed 's/^/found sem /'
            python3 -c 'import ctypes, os
            rt = ctypes.CDLL("librt.so.1", use_errno=True)
            if rt.mq_open(b"/left", os.O_RDWR) >= 0: print("found mqueue /left")'
            for p in /proc/[0-9]*; do tr '\\0' ' ' < $p/cmdline 2>/dev/null | grep -q '^sleep 36''04' && echo "found the daemon $p"; done
            flock -n /tmp/lock true || echo "found the lock held"
            echo checked
            """;

    @Test
    void aPooledRunSeesNothingAnEarlierRunLeftBehind() {
        ContainerSpec.Builder b = Container.builder().timeout(Duration.ofSeconds(120)).scratch(ScratchDirectory.at("/box"));
        if (ROOT) { /* a cgroup of its own, made ahead or set back: rootless on a v1 host there is none */
            b.memory(DataSize.ofMebibytes(128)).pids(32);
        }
        ContainerSpec spec = b.build();
        try (ContainerPool pool = ContainerPool.of(spec, 1)) {
            for (int k = 0; k < 3; k++) {
                ContainerResult left = pool.run("/bin/sh", "-c", LEAVE);
                assertEquals("ok\n", left.stdout(), left + left.stderr());
                ContainerResult next = pool.run("/bin/sh", "-c", CHECK);
                assertEquals("checked\n", next.stdout(), "run " + (2 * k + 1) + " saw: " + next.stdout() + next.stderr());
            }
        }
        assertEquals(0, processesWith("3604"), "the daemons died with their runs");
    }

    private static long processesWith(String marker) {
        return ProcessHandle.allProcesses().filter(p -> p.info().arguments()
                .map(a -> List.of(a).contains(marker)).orElse(false)).count();
    }
}
