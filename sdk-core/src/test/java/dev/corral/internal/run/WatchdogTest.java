package dev.corral.internal.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** A run's timeout and CPU-time watch: when each kills, how often, and that both stop; no kernel, no container. */
class WatchdogTest {
    private final AtomicInteger kills = new AtomicInteger();
    private final Watchdog watchdog = new Watchdog(kills::incrementAndGet);
    private static final Duration LIMIT = Duration.ofMillis(500);

    @Test
    void theCpuLimitKillsOnceWhenReachedAndNotBefore() {
        watchdog.checkCpu(LIMIT, Optional.of(Duration.ofMillis(499)));
        assertEquals(0, kills.get());
        assertFalse(watchdog.cpuTimeExceeded());
        watchdog.checkCpu(LIMIT, Optional.of(LIMIT));
        assertEquals(1, kills.get(), "reaching the limit is enough");
        assertTrue(watchdog.cpuTimeExceeded());
        watchdog.checkCpu(LIMIT, Optional.of(Duration.ofSeconds(3)));
        assertEquals(1, kills.get(), "killed once, however long the kill takes to land");
        assertFalse(watchdog.timedOut());
    }

    @Test
    void aCgroupThatCannotTellOrIsNoLongerTheContainersKillsNothing() {
        watchdog.checkCpu(LIMIT, Optional.empty());
        assertEquals(0, kills.get());
        assertFalse(watchdog.cpuTimeExceeded());
    }

    @Test
    void theTimeoutKillsAndSaysSo() {
        watchdog.timeoutReached();
        assertEquals(1, kills.get());
        assertTrue(watchdog.timedOut());
        assertFalse(watchdog.cpuTimeExceeded());
    }

    @Test
    void onlyTheClocksTheSpecAsksForAreStartedAndStopCancelsThem() {
        ScheduledThreadPoolExecutor timers = new ScheduledThreadPoolExecutor(1);
        timers.setRemoveOnCancelPolicy(true);
        try {
            watchdog.start(timers, Optional.empty(), Optional.empty(), Optional::empty);
            assertEquals(0, timers.getQueue().size(), "no limit: no clock");
            watchdog.start(timers, Optional.of(Duration.ofHours(1)), Optional.of(Duration.ofHours(1)), Optional::empty);
            assertEquals(2, timers.getQueue().size(), "a timeout and a CPU watch");
            watchdog.stop();
            assertEquals(0, timers.getQueue().size(), "both cancelled");
            watchdog.stop(); /* again: nothing to do */
            assertEquals(0, kills.get());
        } finally {
            timers.shutdownNow();
        }
    }

    @Test
    void theCpuWatchReadsTheCgroupOnItsOwnAndKillsThere() throws Exception {
        ScheduledThreadPoolExecutor timers = new ScheduledThreadPoolExecutor(1);
        AtomicInteger reads = new AtomicInteger();
        try {
            watchdog.start(timers, Optional.empty(), Optional.of(LIMIT), () -> {
                reads.incrementAndGet();
                return Optional.of(LIMIT.plusMillis(1));
            });
            while (kills.get() == 0) {
                Thread.sleep(1);
            }
            assertTrue(watchdog.cpuTimeExceeded());
            assertTrue(reads.get() >= 1);
            watchdog.stop();
        } finally {
            timers.shutdownNow();
        }
    }
}
