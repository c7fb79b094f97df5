package dev.corral.cgroups;

/**
 * The cgroup version a {@link Cgroup} handle drives.
 *
 * <pre>{@code
 * if (cgroup.version() == CgroupVersion.V2) {
 *     Path dir = cgroup.procsFiles().get(0).getParent();   // its one directory
 * }
 * }</pre>
 */
public enum CgroupVersion {
    /** One directory per controller hierarchy. */
    V1,
    /** One directory in the unified hierarchy. */
    V2
}
