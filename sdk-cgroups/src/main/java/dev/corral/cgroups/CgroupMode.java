package dev.corral.cgroups;

/**
 * How a machine's cgroups are laid out, as read from {@code /proc/self/mountinfo}.
 *
 * <pre>{@code
 * CgroupMode mode = CgroupHierarchy.detect().mode();
 * if (mode == CgroupMode.UNIFIED) { ... }   // pure cgroup v2, as on current distributions
 * }</pre>
 */
public enum CgroupMode {
    /** Pure cgroup v2: one {@code cgroup2} mount holds every controller. */
    UNIFIED,
    /** Pure cgroup v1: one {@code cgroup} mount per controller (or per group of controllers). */
    LEGACY,
    /**
     * v1 hierarchies for the controllers plus a {@code cgroup2} mount (usually
     * {@code /sys/fs/cgroup/unified}) that holds few or none; Corral uses the v1 driver.
     */
    HYBRID
}
