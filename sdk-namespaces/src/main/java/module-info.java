/**
 * Linux namespaces for Corral: namespace sets, user-namespace ID maps, capabilities, seccomp,
 * rlimits, and the native launcher with its Java driver.
 *
 * <p>The launcher package is an implementation detail shared with the core module only.
 */
module dev.corral.namespaces {
    requires org.slf4j;
    // jffi: the few libc calls of the launcher's start (NativeCalls)
    requires org.jnrproject.jffi;
    requires org.jnrproject.constants;
    requires com.fasterxml.jackson.core;

    exports dev.corral.namespaces;
    exports dev.corral.namespaces.seccomp;
    exports dev.corral.namespaces.launcher to dev.corral;
    // the JSON tree reader the image store shares with the seccomp reader
    exports dev.corral.namespaces.json to dev.corral;
}
