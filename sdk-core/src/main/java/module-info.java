/**
 * Corral: run a command in an isolated, limited, measured Linux container.
 *
 * <pre>{@code
 * ContainerResult r = Container.builder()
 *         .rootfs(Rootfs.hostReadOnly())
 *         .timeout(Duration.ofSeconds(2))
 *         .run("/bin/sh", "-c", "echo hello");
 * }</pre>
 */
module dev.corral {
    requires transitive dev.corral.cgroups;
    requires transitive dev.corral.namespaces;
    requires org.slf4j;
    requires org.jnrproject.ffi;
    requires org.apache.commons.compress;
    requires org.tukaani.xz;
    // zstd-compressed layers (zstd-jni: the reference C decoder, a named module)
    requires com.github.luben.zstd_jni;

    exports dev.corral;
    exports dev.corral.image;
    exports dev.corral.group;
    exports dev.corral.network;
}
