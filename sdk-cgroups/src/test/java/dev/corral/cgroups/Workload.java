package dev.corral.cgroups;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;

/** Starts an ordinary process that waits until it has been put into a cgroup, then runs. */
final class Workload {

    private Workload() {
    }

    /** Starts {@code sh -c 'read go; exec COMMAND'}, moves it into {@code cgroup}, lets it go. */
    static Process start(Cgroup cgroup, String command) throws IOException {
        Process p = new ProcessBuilder("sh", "-c", "read go; exec " + command)
                .redirectError(ProcessBuilder.Redirect.DISCARD)
                .start();
        try {
            cgroup.addProcess(p.pid());
        } catch (RuntimeException e) {
            p.destroyForcibly();
            throw e;
        }
        try (OutputStream in = p.getOutputStream()) {
            in.write("go\n".getBytes(StandardCharsets.US_ASCII));
        }
        return p;
    }

    /** @return whether the process exists and is not a zombie (a killed orphan waits to be reaped) */
    static boolean isAlive(long pid) {
        try {
            String stat = java.nio.file.Files.readString(java.nio.file.Path.of("/proc/" + pid + "/stat"));
            char state = stat.substring(stat.lastIndexOf(')') + 1).trim().charAt(0);
            return state != 'Z' && state != 'X';
        } catch (IOException e) {
            return false;
        }
    }

    /** A test parent that no other test or developer uses. */
    static String testParent() {
        return "corral/test-" + Long.toHexString(System.nanoTime()) + "-" + ProcessHandle.current().pid();
    }
}
