package dev.corral.cgroups;

import dev.corral.unit.DataSize;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * A handle to one cgroup that Corral created, with its limits applied: put processes in it,
 * read what they used, freeze or kill them all, remove it. Created by {@link Cgroups#create}.
 *
 * <p>On cgroup v2 the handle is one directory; on v1 (and hybrid) it is one directory per
 * hierarchy in use (memory, cpuacct, pids, freezer, and cpu, cpuset, blkio when limited).
 * Thread-safe.
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

    /**
     * The files a process with a single thread writes {@code "0"} to, to move itself in: each v1
     * hierarchy's {@code tasks} file, or the v2 {@code cgroup.procs}. On v1 this moves only the
     * writing thread, and spares the kernel the machine-wide lock it takes to move a whole
     * process through {@code cgroup.procs} (several times the cost); so it is for a process
     * that is sure to have no other thread, such as one just cloned:
     * <pre>{@code
     * for (Path f : cgroup.selfJoinFiles()) fds.add(open(f, O_WRONLY)); // then, in the new child:
     * for (int fd : fds) write(fd, "0");
     * }</pre>
     *
     * @return one file per v1 hierarchy in use, or the single one on v2
     */
    List<Path> selfJoinFiles();

    /** @return the cgroup v2 directory (for {@code clone3} with {@code CLONE_INTO_CGROUP}), empty on v1 */
    Optional<Path> unifiedDirectory();

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
     * @return the files {@link #usage()} reads (on a kernel that has them all), and those that
     *     decide whether the cgroup can be reset for reuse, for a caller that reads them itself
     *     at a better moment: Corral's launcher reads them right after a container's first
     *     process is reaped, and hands them to {@link #usage(Map)} and {@link #isResetForReuse}
     */
    List<Path> counterFiles();

    /**
     * The usage from counter files the caller read itself.
     *
     * <pre>{@code
     * Map<Path, Optional<String>> read = new HashMap<>();
     * for (Path f : cg.counterFiles()) {
     *     read.put(f, Files.exists(f) ? Optional.of(Files.readString(f)) : Optional.empty());
     * }
     * CgroupUsage used = cg.usage(read);
     * }</pre>
     *
     * @param counterFiles the contents of {@link #counterFiles()} entries as read, an empty
     *     {@code Optional} for a file that did not exist; a file not in the map is read now
     * @return the usage they report
     * @throws CgroupException if a file holds what the kernel never writes there
     */
    CgroupUsage usage(Map<Path, Optional<String>> counterFiles);

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
     * Readies this cgroup, once no process is in it any more, for new processes: its counters
     * as a new cgroup's, its limits as they are (a process able to write them could write every
     * cgroup's: the files are root's). Cheaper than {@link #remove()} and a new
     * {@link Cgroups#create}, which on cgroup v1 make and remove a directory in every hierarchy.
     * Only where every counter {@link #usage()} reads can be set back exactly:
     * <ul>
     * <li>cgroup v2: never, as {@code cpu.stat} and {@code memory.peak} only grow;</li>
     * <li>cgroup v1: when no OOM kill happened, the freezer is thawed, what is left charged to
     *     the memory cgroup is within the kernel's per-CPU charge batches (by which a new
     *     cgroup's first charges overstate too) plus an exited process's kernel objects awaiting
     *     their RCU grace period, and {@code pids.peak}, which cannot be written, is at most
     *     {@code processFloor}.
     *     The CPU times and the memory peak start again.</li>
     * </ul>
     *
     * <pre>{@code
     * p.waitFor();                         // its last process is gone
     * CgroupUsage used = cg.usage();
     * if (!cg.resetForReuse(1)) {          // the next one runs at least 1 process
     *     cg.remove();
     * }
     * }</pre>
     *
     * @param processFloor the fewest processes the next user of this cgroup holds at once
     * @return true if it is ready for reuse; false if it is not (processes are left, a counter
     *     cannot be set back, it was removed): remove it then
     */
    boolean resetForReuse(int processFloor);

    /**
     * The files that set this cgroup's counters back when {@code "0"} is written to each (v1:
     * {@code memory.max_usage_in_bytes} and {@code cpuacct.usage}; none on v2), for a caller
     * that, once no process is left, reads the {@link #counterFiles()} and at once writes these,
     * as Corral's launcher does at a container's end. {@link #isResetForReuse} then tells from
     * what was read whether the cgroup is ready for reuse, without {@link #resetForReuse}'s own
     * reads and writes.
     *
     * <pre>{@code
     * Map<Path, Optional<String>> read = readEach(cg.counterFiles());  // its last process is gone
     * cg.counterResetFiles().forEach(f -> write(f, "0"));
     * if (!cg.isResetForReuse(read, 1)) {
     *     cg.remove();
     * }
     * }</pre>
     *
     * @return the files, in no particular order
     */
    List<Path> counterResetFiles();

    /**
     * Whether this cgroup is ready for reuse, as after {@link #resetForReuse}, when every
     * {@link #counterResetFiles()} entry was written {@code "0"} right after the
     * {@link #counterFiles()} were read as {@code countersBeforeReset}, no process being left:
     * the same conditions, judged from those values. Writes nothing.
     *
     * @param countersBeforeReset the counter files as read (empty: did not exist); a file not
     *     in the map is read now
     * @param processFloor the fewest processes the next user of this cgroup holds at once
     * @return true if it is ready for reuse; false if not (remove it, or try {@link #resetForReuse})
     */
    boolean isResetForReuse(Map<Path, Optional<String>> countersBeforeReset, int processFloor);

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
