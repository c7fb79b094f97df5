package dev.corral.cgroups.internal;

import java.util.Collection;

/** Sends SIGKILL to processes by PID (ProcessHandle checks the start time, so no reused PID is hit). */
public final class Signals {

    private Signals() {
    }

    /** Sends SIGKILL to each process that still exists, except this JVM. */
    public static void kill(Collection<Long> pids) {
        long self = ProcessHandle.current().pid();
        for (long pid : pids) {
            if (pid != self) {
                ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
            }
        }
    }
}
