package dev.corral.internal.run;

import java.util.concurrent.Executor;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * The engine's two shared pools, each made on first use, of daemon threads: one timer thread for
 * every run's timeout and CPU-time watch, and a small cleanup pool for what waits on the kernel
 * or the disk (a cgroup's removal, a writable layer, a scratch directory's copy-out), off the
 * launcher's I/O thread and off the timer thread, whose timeouts must not wait behind a large
 * deletion. A run holds no thread of its own.
 *
 * <pre>{@code
 * RunThreads.timers().schedule(kill, timeout.toNanos(), TimeUnit.NANOSECONDS);
 * RunThreads.cleanup().execute(() -> cgroup.release(true));
 * }</pre>
 */
final class RunThreads {
    private RunThreads() {}

    /** @return the one timer thread */
    static ScheduledExecutorService timers() {
        return Timers.POOL;
    }

    /**
     * @return the cleanup pool; its thread ends after 10 s idle. (With no core thread and an
     *     unbounded queue, a ThreadPoolExecutor never grows past one thread: the maximum of 4 is
     *     never reached, and cleanups run one after the other.)
     */
    static Executor cleanup() {
        return Cleanup.POOL;
    }

    /* holders: each pool is made when first asked for */
    private static final class Timers {
        static final ScheduledExecutorService POOL = timers();

        private static ScheduledExecutorService timers() {
            ScheduledThreadPoolExecutor t = new ScheduledThreadPoolExecutor(1, r -> daemon(r, "corral-timer"));
            t.setRemoveOnCancelPolicy(true);
            return t;
        }
    }

    private static final class Cleanup {
        static final Executor POOL = new ThreadPoolExecutor(0, 4, 10, TimeUnit.SECONDS, new LinkedBlockingQueue<>(),
                r -> daemon(r, "corral-cleanup"));
    }

    private static Thread daemon(Runnable r, String name) {
        Thread th = new Thread(r, name);
        th.setDaemon(true);
        return th;
    }
}
