package dev.corral.cgroups.internal;

import dev.corral.cgroups.Cgroup;
import dev.corral.cgroups.CgroupException;
import dev.corral.cgroups.CgroupLimits;
import dev.corral.cgroups.CgroupUsage;
import dev.corral.cgroups.Controller;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** What the v1 and v2 drivers share: identity, the kill loop, removal bookkeeping. */
abstract class AbstractCgroup implements Cgroup {

    static final Logger LOG = LoggerFactory.getLogger("dev.corral.cgroups");

    private final String name;
    private final CgroupLimits limits;
    private final Set<Controller> unenforced;
    private final Consumer<Cgroup> onRemoved;
    private boolean removed;

    AbstractCgroup(String name, CgroupLimits limits, Set<Controller> unenforced, Consumer<Cgroup> onRemoved) {
        this.name = name;
        this.limits = limits;
        this.unenforced = Collections.unmodifiableSet(unenforced.isEmpty()
                ? EnumSet.noneOf(Controller.class) : EnumSet.copyOf(unenforced));
        this.onRemoved = onRemoved;
    }

    @Override
    public final String name() {
        return name;
    }

    @Override
    public final CgroupLimits limits() {
        return limits;
    }

    @Override
    public final Set<Controller> unenforced() {
        return unenforced;
    }

    @Override
    public void addProcess(long pid) {
        for (Path procs : procsFiles()) {
            CgroupFs.write(procs, Long.toString(pid));
        }
    }

    private volatile List<Path> counterFiles; /* computed on first use */

    /** Adds every controller's counters to {@code usage}, which reads the files. */
    abstract void readUsage(UsageBuilder usage);

    @Override
    public final CgroupUsage usage() {
        UsageBuilder usage = UsageBuilder.live();
        readUsage(usage);
        return usage.build();
    }

    /**
     * @param counterFiles counter files as a caller read them (empty: did not exist); a file not
     *     in the map is read now
     * @return the usage they report
     */
    final CgroupUsage usage(Map<Path, Optional<String>> counterFiles) {
        UsageBuilder usage = UsageBuilder.of(counterFiles);
        readUsage(usage);
        return usage.build();
    }

    /** The usage's files, then those that decide whether the cgroup can be reset for reuse. */
    final List<Path> counterFiles() {
        List<Path> files = counterFiles;
        if (files == null) {
            files = UsageBuilder.filesRead(b -> {
                readUsage(b);
                canResetCounters(1, b);
            });
            counterFiles = files;
        }
        return files;
    }

    /** @return the files a process with one thread writes "0" to, to move itself in (v1 tasks; v2 cgroup.procs) */
    abstract List<Path> selfJoinFiles();

    /** @return the cgroup v2 directory, for clone3 CLONE_INTO_CGROUP; empty on v1 */
    abstract Optional<Path> unifiedDirectory();

    /** @return the files that set the counters back when written "0" (none on v2) */
    abstract List<Path> counterResetFiles();

    /** @return the directories of this cgroup, one per hierarchy */
    abstract List<Path> directories();

    @Override
    public List<Long> processes() {
        List<Long> pids = new ArrayList<>();
        for (Path dir : directories()) {
            for (long pid : CgroupFs.pidsBelow(dir)) {
                if (!pids.contains(pid)) {
                    pids.add(pid);
                }
            }
        }
        return pids;
    }

    /** Whether any process is left in the cgroup or below it. */
    boolean populated() {
        return !processes().isEmpty();
    }

    /**
     * Kills by signal: with a freezer, freeze so that nothing forks meanwhile, SIGKILL each
     * process, thaw so that the kills take effect; repeat until the cgroup is empty.
     */
    final void killEach(boolean canFreeze) {
        Waits.Backoff backoff = Waits.backoff(Waits.REMOVE_TIMEOUT);
        List<Long> pids = processes();
        while (!pids.isEmpty()) {
            if (canFreeze) {
                freeze();
            }
            Signals.kill(pids);
            if (canFreeze) {
                thaw();
            }
            if (!backoff.sleep()) {
                throw new CgroupException("processes " + processes() + " in cgroup " + directories()
                        + " survived SIGKILL for " + Waits.REMOVE_TIMEOUT.toSeconds() + " s");
            }
            pids = processes();
        }
    }

    /** Waits until no process is left. */
    final void awaitEmpty() {
        Waits.Backoff backoff = Waits.backoff(Waits.REMOVE_TIMEOUT);
        while (populated()) {
            if (!backoff.sleep()) {
                throw new CgroupException("cgroup " + directories() + " still holds processes " + processes()
                        + " " + Waits.REMOVE_TIMEOUT.toSeconds() + " s after they were killed");
            }
        }
    }

    /**
     * Readies this cgroup, once no process is in it any more, for new processes: its counters
     * as a new cgroup's, its limits as they are. Only where every counter {@link #usage()} reads
     * can be set back exactly: on v2 never ({@code cpu.stat} and {@code memory.peak} only grow);
     * on v1 when no OOM kill happened, the freezer is thawed, what is left charged to the memory
     * cgroup is within the kernel's per-CPU charge batches plus an exited process's kernel
     * objects awaiting their RCU grace period, and {@code pids.peak}, which cannot be written, is
     * at most {@code processFloor}.
     *
     * @return whether it is ready for reuse
     */
    final boolean resetForReuse(int processFloor) {
        return readyForReuse(processFloor, UsageBuilder.live(), true);
    }

    /** As {@link #resetForReuse}, judged from counters read right before the reset files were written "0". */
    final boolean isResetForReuse(Map<Path, Optional<String>> countersBeforeReset, int processFloor) {
        return readyForReuse(processFloor, UsageBuilder.of(countersBeforeReset), false);
    }

    /** Whether the cgroup, not removed, can be reset by what {@code counters} show; if so, and {@code setBack}, it is. */
    private synchronized boolean readyForReuse(int processFloor, UsageBuilder counters, boolean setBack) {
        if (removed) {
            return false;
        }
        try {
            if (!canResetCounters(processFloor, counters)) {
                return false;
            }
            if (setBack) {
                for (Path file : counterResetFiles()) {
                    CgroupFs.write(file, "0");
                }
            }
            return true;
        } catch (CgroupException e) {
            LOG.debug("cgroup {} is not reused: {}", name, e.getMessage());
            return false;
        }
    }

    /**
     * @param counters the counter files as they are now, or as read right before a reset
     * @return whether no process is left and every counter can be set back exactly
     * @see #resetForReuse
     */
    abstract boolean canResetCounters(int processFloor, UsageBuilder counters);

    @Override
    public final void remove() {
        synchronized (this) {
            if (removed) {
                return;
            }
            if (directories().stream().anyMatch(java.nio.file.Files::isDirectory) && !removeIfUnused()) {
                kill();
                for (Path dir : directories()) {
                    CgroupFs.removeTree(dir);
                }
            }
            removed = true;
        }
        LOG.debug("removed cgroup {} ({})", name, directories());
        /* outside this handle's lock: Cgroups.close() holds its own lock while it removes each
           handle, so taking it here, under this one, could deadlock against it */
        onRemoved.accept(this);
    }

    /**
     * The common case, an ended container's cgroup: rmdir succeeds in every hierarchy, as the
     * kernel refuses it while a process or a child cgroup is left. Cheaper than looking for
     * them first, which lists and stats every control file of every hierarchy.
     *
     * @return whether no directory is left
     */
    private boolean removeIfUnused() {
        boolean all = true;
        for (Path dir : directories()) {
            all &= CgroupFs.rmdirIfUnused(dir);
        }
        return all;
    }

    @Override
    public String toString() {
        return getClass().getSimpleName() + "[" + name + " " + directories() + "]";
    }
}
