package dev.corral.cgroups;

import dev.corral.cgroups.internal.CgroupFs;
import dev.corral.cgroups.internal.OwnerTag;
import dev.corral.cgroups.internal.ProcInfo;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Starts an ordinary process that waits until it has been put into a cgroup, then runs. */
final class Workload {

    private static final ProcInfo PROC = new ProcInfo(Path.of("/proc"));
    /** A test parent's name: its test JVM's owner record, then a number unique in that JVM. */
    private static final Pattern TEST_PARENT = Pattern.compile("test-(jvm-[0-9]+-[0-9]+-[0-9]+)-[0-9a-f]+");
    private static boolean swept;

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

    /**
     * A test parent that no other test or developer uses. It is named after this JVM's owner
     * record, so that when this JVM is killed before it closes the parent, the next test JVM
     * removes it ({@link #removeStaleTestParents}): Corral's own stale cleanup looks only inside
     * the parent it is given, and no later run is given this one.
     */
    static synchronized String testParent() {
        if (!swept) {
            swept = true;
            removeStaleTestParents();
        }
        return testParentOf(OwnerTag.current(PROC));
    }

    /** @return a new test parent named after {@code owner} */
    static String testParentOf(OwnerTag owner) {
        return "corral/test-" + owner.directoryName() + "-" + Long.toHexString(System.nanoTime());
    }

    /**
     * Removes the test parents of test JVMs that died without closing them: Corral's stale
     * cleanup, opened on each, kills what still runs in the dead owner's cgroups and removes
     * them; then the emptied parent goes. A parent still in use (a process of a live owner in it)
     * stays.
     *
     * @return the names of the stale test parents found
     */
    static Set<String> removeStaleTestParents() {
        Set<String> stale = new TreeSet<>();
        try (Cgroups top = Cgroups.builder().removeStaleOnOpen(false).build()) {
            for (Path corral : top.parentDirectories()) {
                stale.addAll(staleTestParentsIn(corral));
            }
        }
        for (String name : stale) {
            try (Cgroups parent = Cgroups.builder().parent("corral/" + name).build()) {
                parent.parentDirectories().forEach(CgroupFs::rmdirIfUnused);
            }
        }
        return stale;
    }

    private static Set<String> staleTestParentsIn(Path corral) {
        Set<String> stale = new TreeSet<>();
        try (DirectoryStream<Path> children = Files.newDirectoryStream(corral, Files::isDirectory)) {
            for (Path child : children) {
                Matcher m = TEST_PARENT.matcher(child.getFileName().toString());
                if (m.matches() && OwnerTag.parse(m.group(1)).map(o -> o.isDead(PROC)).orElse(false)) {
                    stale.add(child.getFileName().toString());
                }
            }
        } catch (NoSuchFileException e) {
            // no corral/ in this hierarchy yet
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return stale;
    }
}
