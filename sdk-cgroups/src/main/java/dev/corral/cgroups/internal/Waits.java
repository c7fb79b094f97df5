package dev.corral.cgroups.internal;

import java.time.Duration;

/** Polling with a growing sleep, for kernel state that has no cheap notification. */
public final class Waits {

    /** How long a kill, freeze or removal may take before it is reported as stuck. */
    public static final Duration REMOVE_TIMEOUT = Duration.ofSeconds(30);

    private Waits() {
    }

    /** @return a backoff that sleeps 1 ms, then longer, up to 50 ms, until {@code timeout} */
    public static Backoff backoff(Duration timeout) {
        return new Backoff(System.nanoTime() + timeout.toNanos());
    }

    /** Sleeps between polls. */
    public static final class Backoff {
        private final long deadline;
        private long sleepMicros = 1000;

        private Backoff(long deadline) {
            this.deadline = deadline;
        }

        /** @return false once the time is up; true after a sleep */
        public boolean sleep() {
            if (System.nanoTime() > deadline) {
                return false;
            }
            try {
                Thread.sleep(sleepMicros / 1000, (int) (sleepMicros % 1000) * 1000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
            sleepMicros = Math.min(50_000, sleepMicros * 2);
            return true;
        }
    }
}
