/**
 * Linux namespaces for Corral: namespace sets, user-namespace ID maps, capabilities, seccomp,
 * rlimits, and the native launcher with its Java driver.
 *
 * <p>The launcher package is an implementation detail shared with the core module only.
 */
module dev.corral.namespaces {
    requires org.slf4j;
    requires org.jnrproject.ffi;
    // jnr-ffi is an automatic module, so it declares no requirements of its own: without this
    // line the module path never resolves ASM, and jnr-ffi fails at run time with
    // NoClassDefFoundError: org/objectweb/asm/ClassVisitor unless the user adds --add-modules.
    requires org.objectweb.asm;
    requires org.jnrproject.constants;
    requires com.fasterxml.jackson.core;

    exports dev.corral.namespaces;
    exports dev.corral.namespaces.seccomp;
    exports dev.corral.namespaces.launcher to dev.corral, org.jnrproject.ffi;
    // the JSON tree reader the image store shares with the seccomp reader
    exports dev.corral.namespaces.json to dev.corral;
    // libc bindings: jnr-ffi implements them in a class loader of its own (an unnamed module)
    opens dev.corral.namespaces.libc;
}
