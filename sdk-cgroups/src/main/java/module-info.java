/**
 * Linux control groups for Corral: finding the hierarchy (v1, v2, hybrid), creating a cgroup,
 * applying limits, reading usage, freezing, killing and removing.
 *
 * <p>Usable on its own, without the rest of Corral.
 */
module dev.corral.cgroups {
    requires org.slf4j;

    exports dev.corral.cgroups;
    exports dev.corral.unit;
}
