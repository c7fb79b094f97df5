package dev.corral.cgroups;

import dev.corral.unit.DataSize;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;

/**
 * A handle to one cgroup that Corral created, with its limits applied: put processes in it,
 * read what they used, freeze or kill them all, remove it. Created by {@link Cgroups#create}.
 *
 * <p>On cgroup v2 the handle is one directory; on v1 (and hybrid) it is one directory per
 * hierarchy in use (memory, cpuacct, pids, freezer, and cpu, cpuset, blkio when limited).
 * Thread-safe. Corral's own containers hold their cgroups through a lease (internal to Corral),
 * which opens the files its launcher needs once and judges whether a cgroup can serve again.
 *
 * <pre>{@code
 * try (Cgroups cgroups = Cgroups.open();
 *      Cgroup cg = cgroups.create("job-1", CgroupLimits.builder().memory(DataSize.ofMebibytes(64)).build())) {
 *     Process p = new ProcessBuilder("sh", "-c", "read go; exec my-program").start();
 *     cg.addProcess(p.pid());                 // or write the PID into every procsFiles() entry
 *     p.getOutputStream().close();            // let it run
 *     p.waitFor();
 *     CgroupUsage usage = cg.usage();
 * }                                           // close(): kill what is left, wait, remove
 * }</pre>
 */
public interface Cgroup extends AutoCloseable {

    /** @return the name given to {@link Cgroups#create} */
    String name();

    /** @return which driver this handle uses */
    CgroupVersion version();

    /**
     * @return every {@code cgroup.procs} file a process must be written to so that it is fully in
     *     this cgroup: one per v1 hierarchy in use, or the single one on v2
     */
    List<Path> procsFiles();

    /** @return the limits this cgroup was created with */
    CgroupLimits limits();

    /**
     * @return controllers whose limits were asked for but are not applied, because they are
     *     unavailable and the limits allowed that ({@link CgroupLimits.Builder#allowUnenforced})
     */
    Set<Controller> unenforced();

    /**
     * Moves a process (all its threads) into this cgroup by writing it to every
     * {@link #procsFiles()} entry. Its later children are born inside.
     *
     * @param pid the process
     * @throws CgroupException naming the file, if the kernel refuses
     */
    void addProcess(long pid);

    /** @return the processes in this cgroup and below it, in no particular order */
    List<Long> processes();

    /** @return what the processes used so far, including those that have exited */
    CgroupUsage usage();

    /**
     * Stops every process in the cgroup and returns once they are all frozen.
     *
     * @throws ControllerUnavailableException on v1 without a freezer hierarchy
     */
    void freeze();

    /** Lets frozen processes run again. */
    void thaw();

    /**
     * Kills every process in the cgroup with SIGKILL ({@code cgroup.kill} where the kernel has
     * it, else freeze, kill each, thaw) and returns once the cgroup is empty.
     */
    void kill();

    /**
     * Kills what is left, waits until the cgroup is empty and removes its directories, the
     * deepest first. Removing a removed cgroup does nothing.
     */
    void remove();

    /** Same as {@link #remove()}. */
    @Override
    default void close() {
        remove();
    }
}
