package dev.corral.cgroups.internal;

import dev.corral.cgroups.CgroupLimits;
import dev.corral.cgroups.Controller;
import java.nio.file.Path;
import java.util.List;

/** One controller of one cgroup version: writes its limits, reads its counters. */
interface ControllerUnit {

    /** @return the controller */
    Controller controller();

    /** Writes this controller's part of {@code limits} into the cgroup directory {@code dir}. */
    void apply(Path dir, CgroupLimits limits);

    /** Adds this controller's counters from {@code dir} to {@code usage}. */
    void readUsage(Path dir, UsageBuilder usage);

    /**
     * Whether this controller's counters in {@code dir}, a cgroup no process is in any more, can
     * be set back exactly to what a new cgroup would show its next user, by writing "0" to its
     * {@link #counterResetFiles}. A controller that reports no counters has none to set back.
     *
     * @param processFloor the fewest processes the cgroup's next user holds at once
     * @param counters     the files to judge by, as they are now or as read before a reset
     * @return false if a counter cannot be: the cgroup must then not be reused
     */
    default boolean canResetCounters(Path dir, int processFloor, UsageBuilder counters) {
        return true;
    }

    /** @return the files that set this controller's counters back when "0" is written to each */
    default List<Path> counterResetFiles(Path dir) {
        return List.of();
    }
}
