package dev.corral.cgroups.internal;

import dev.corral.cgroups.libc.CgroupLibC;
import dev.corral.cgroups.Cgroup;
import dev.corral.cgroups.CgroupException;
import dev.corral.cgroups.CgroupUsage;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import jnr.ffi.LastError;
import jnr.ffi.LibraryLoader;
import jnr.ffi.annotations.In;
import jnr.ffi.annotations.SaveError;

/**
 * A cgroup held for the containers that use it one after the other, with every file a launcher
 * needs of it opened once ({@code open(2)}, {@code O_CLOEXEC}) and kept until the lease is
 * closed: the launcher gets them as descriptors ({@code SCM_RIGHTS}) with each plan and never
 * sees a path. Opening a cgroup file walks its directories in kernfs and costs about as much as
 * a join, so a cgroup reused for many containers is opened once, not once per container.
 *
 * <ul>
 * <li>{@link #joinDescriptors()}: files a single-threaded process writes {@code "0"} to, to move
 *     itself in (each cgroup v1 hierarchy's {@code tasks} file);</li>
 * <li>{@link #directoryDescriptor()} and {@link #procsDescriptor()}: on v2, the directory to
 *     clone into ({@code clone3} {@code CLONE_INTO_CGROUP}) and its {@code cgroup.procs} for
 *     where the kernel cannot;</li>
 * <li>{@link #counterDescriptors()}: the counters to read once no process is left, whose
 *     contents {@link #usage(List)} and {@link #isResetForReuse} judge;</li>
 * <li>{@link #counterResetDescriptors()}: the files that set the counters back when written
 *     {@code "0"} right after they were read (v1 only).</li>
 * </ul>
 *
 * <pre>{@code
 * CgroupLease lease = CgroupLease.open(cgroups.create("c1", limits));
 * plan.writeZero(plan.descriptor(lease.joinDescriptors().get(0)));     // ... and the others
 * ... the launcher reads the counters at the reap: List<Optional<String>> read ...
 * CgroupUsage used = lease.usage(read);
 * lease.close();                                                       // closes the files, removes the cgroup
 * }</pre>
 */
public final class CgroupLease implements AutoCloseable, SparePolicy.Spare {
    private static final int O_RDONLY = 0;
    private static final int O_WRONLY = 1;
    private static final int O_CLOEXEC = 0x80000;
    private static final int O_PATH = 0x200000;
    private static final int ENOENT = 2;


    private static final CgroupLibC LIBC = LibraryLoader.create(CgroupLibC.class).load(LibraryLoader.DEFAULT_LIBRARY);
    private static final jnr.ffi.Runtime RUNTIME = jnr.ffi.Runtime.getRuntime(LIBC);

    private final AbstractCgroup cgroup;
    private final List<Integer> join = new ArrayList<>();
    private OptionalInt directory = OptionalInt.empty();
    private OptionalInt procs = OptionalInt.empty();
    private final List<Path> counterPaths = new ArrayList<>();
    private final List<Integer> counters = new ArrayList<>();
    private final Map<Path, Optional<String>> absent = new HashMap<>();
    private final List<Integer> resets = new ArrayList<>();
    private final List<Integer> opened = new ArrayList<>(); /* every descriptor above, closed with the lease */
    private boolean closed;

    private CgroupLease(AbstractCgroup cgroup) {
        this.cgroup = cgroup;
    }

    /**
     * Opens the files of a cgroup. Counter files this kernel does not have are noted as absent.
     *
     * @param c a cgroup made by {@link dev.corral.cgroups.Cgroups#create}, with no process in it yet
     * @return its lease
     * @throws CgroupException naming the file that cannot be opened (the cgroup is left as it is)
     */
    public static CgroupLease open(Cgroup c) {
        if (!(c instanceof AbstractCgroup cgroup)) {
            throw new IllegalArgumentException("not a cgroup Cgroups made: " + c);
        }
        CgroupLease lease = new CgroupLease(cgroup);
        try {
            Optional<Path> v2 = cgroup.unifiedDirectory();
            if (v2.isPresent()) {
                lease.directory = OptionalInt.of(lease.open(v2.get(), O_PATH, false));
                lease.procs = OptionalInt.of(lease.open(v2.get().resolve("cgroup.procs"), O_WRONLY, false));
            }
            for (Path f : cgroup.selfJoinFiles()) {
                if (v2.isEmpty() || !f.getParent().equals(v2.get())) {
                    lease.join.add(lease.open(f, O_WRONLY, false));
                }
            }
            for (Path f : cgroup.counterFiles()) {
                int fd = lease.open(f, O_RDONLY, true);
                if (fd < 0) {
                    lease.absent.put(f, Optional.empty());
                } else {
                    lease.counterPaths.add(f);
                    lease.counters.add(fd);
                }
            }
            for (Path f : cgroup.counterResetFiles()) {
                lease.resets.add(lease.open(f, O_WRONLY, false));
            }
            return lease;
        } catch (CgroupException e) {
            lease.closeFiles();
            throw e;
        }
    }

    /** Opens a file; -1 if it does not exist and that may be; the descriptor is this lease's. */
    private int open(Path file, int flags, boolean mayBeAbsent) {
        int fd = LIBC.open(file.toString().getBytes(StandardCharsets.UTF_8), flags | O_CLOEXEC, 0);
        if (fd < 0) {
            int errno = LastError.getLastError(RUNTIME);
            if (mayBeAbsent && errno == ENOENT) {
                return -1;
            }
            throw new CgroupException("cannot open " + file + ": errno " + errno);
        }
        opened.add(fd);
        return fd;
    }

    /** @return the cgroup */
    public Cgroup cgroup() {
        return cgroup;
    }

    /** @return descriptors a process with a single thread writes "0" to, to move itself in (v1 tasks files) */
    public List<Integer> joinDescriptors() {
        return List.copyOf(join);
    }

    /** @return the cgroup v2 directory, opened {@code O_PATH}, to clone into; empty on v1 */
    public OptionalInt directoryDescriptor() {
        return directory;
    }

    /** @return the cgroup v2 {@code cgroup.procs}, for where the kernel cannot clone into the directory; empty on v1 */
    public OptionalInt procsDescriptor() {
        return procs;
    }

    /** @return the counter files that were opened, in the order of {@link #counterDescriptors()} */
    public List<Path> counterFiles() {
        return List.copyOf(counterPaths);
    }

    /** @return the counter files to read once no process is left, in the order {@link #usage(List)} takes them */
    public List<Integer> counterDescriptors() {
        return List.copyOf(counters);
    }

    /** @return the files that set the counters back when written "0" right after they were read (none on v2) */
    public List<Integer> counterResetDescriptors() {
        return List.copyOf(resets);
    }

    /**
     * @param read the {@link #counterDescriptors()}' contents as read, in their order; empty for
     *     one that could not be read whole (read now, by path)
     * @return the path-keyed view the cgroup's usage and reuse rules take
     */
    private Map<Path, Optional<String>> byPath(List<Optional<String>> read) {
        if (read.size() != counterPaths.size()) {
            throw new IllegalArgumentException(read.size() + " counters read, of " + counterPaths.size());
        }
        Map<Path, Optional<String>> m = new HashMap<>(absent);
        for (int i = 0; i < read.size(); i++) {
            if (read.get(i).isPresent()) {
                m.put(counterPaths.get(i), read.get(i));
            }
        }
        return m;
    }

    /**
     * @param read the {@link #counterDescriptors()}' contents as read (empty: not read whole)
     * @return the usage they report
     */
    public CgroupUsage usage(List<Optional<String>> read) {
        return cgroup.usage(byPath(read));
    }

    /**
     * @param read         the counters as read right before the {@link #counterResetDescriptors()}
     *                     were written "0", no process being left
     * @param processFloor the fewest processes the next user of this cgroup holds at once
     * @return whether the cgroup is ready for reuse (see {@link #resetForReuse})
     */
    public boolean isResetForReuse(List<Optional<String>> read, int processFloor) {
        return cgroup.isResetForReuse(byPath(read), processFloor);
    }

    /**
     * Readies the cgroup, once no process is in it any more, for new processes: its counters as
     * a new cgroup's, its limits as they are (a process able to write them could write every
     * cgroup's: the files are root's). Cheaper than removing it and making a new one, which on
     * cgroup v1 make and remove a directory in every hierarchy. Only where every counter can be
     * set back exactly: on cgroup v2 never, as {@code cpu.stat} and {@code memory.peak} only
     * grow; on v1 when no OOM kill happened, the freezer is thawed, what is left charged to the
     * memory cgroup is within the kernel's per-CPU charge batches plus an exited process's kernel
     * objects awaiting their RCU grace period, and {@code pids.peak}, which cannot be written, is
     * at most {@code processFloor}.
     *
     * @param processFloor the fewest processes the next user of this cgroup holds at once
     * @return whether the cgroup was set back for reuse; false: remove it
     */
    public boolean resetForReuse(int processFloor) {
        return cgroup.resetForReuse(processFloor);
    }

    private synchronized void closeFiles() {
        if (!closed) {
            closed = true;
            opened.forEach(LIBC::close);
        }
    }

    /** Closes the files and removes the cgroup (killing what is left in it). */
    @Override
    public void close() {
        closeFiles();
        cgroup.remove();
    }

    @Override
    public String toString() {
        return "CgroupLease[" + cgroup + "]";
    }
}
