package dev.corral.cgroups.internal;

import dev.corral.cgroups.CgroupLimits;
import dev.corral.cgroups.Controller;
import java.nio.file.Path;

/** One controller of one cgroup version: writes its limits, reads its counters. */
interface ControllerUnit {

    /** @return the controller */
    Controller controller();

    /** Writes this controller's part of {@code limits} into the cgroup directory {@code dir}. */
    void apply(Path dir, CgroupLimits limits);

    /** Adds this controller's counters from {@code dir} to {@code usage}. */
    void readUsage(Path dir, UsageBuilder usage);
}
