/**
 * Linux control groups for Corral: finding the hierarchy (v1, v2, hybrid), creating a cgroup,
 * applying limits, reading usage, freezing, killing and removing.
 *
 * <p>Usable on its own, without the rest of Corral.
 */
module dev.corral.cgroups {
    requires org.slf4j;
    requires org.jnrproject.ffi;
    // jnr-ffi is an automatic module that declares no requirements: see dev.corral.namespaces
    requires org.objectweb.asm;

    exports dev.corral.cgroups;
    exports dev.corral.unit;
    // the cgroup lease, with the descriptors it keeps for Corral's launcher
    exports dev.corral.cgroups.internal to dev.corral;
    // libc bindings: jnr-ffi implements them in a class loader of its own (an unnamed module)
    opens dev.corral.cgroups.libc;
}
