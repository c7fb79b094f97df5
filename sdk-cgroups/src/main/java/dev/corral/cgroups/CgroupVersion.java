package dev.corral.cgroups;

/**
 * The cgroup version a {@link Cgroup} handle drives.
 *
 * <pre>{@code
 * if (cgroup.version() == CgroupVersion.V2) {
 *     Path dir = cgroup.unifiedDirectory().orElseThrow();   // for clone3(CLONE_INTO_CGROUP)
 * }
 * }</pre>
 */
public enum CgroupVersion {
    /** One directory per controller hierarchy. */
    V1,
    /** One directory in the unified hierarchy. */
    V2
}
