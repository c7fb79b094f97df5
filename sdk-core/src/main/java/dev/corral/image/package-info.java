/**
 * Images, layers, writable layers and volumes on disk: the {@link dev.corral.image.ImageStore}.
 *
 * <pre>{@code
 * ImageStore store = ImageStore.atDefaultLocation();            // ~/.cache/corral
 * store.importImage(Path.of("busybox-oci"), "busybox:1.36");    // an OCI layout or a docker save archive
 * ContainerResult r = Container.builder()
 *         .rootfs(Rootfs.image(store, "busybox:1.36"))           // layers shared, one writable layer per run
 *         .mount(Mount.volume(store, "cache", "/cache"))         // persists across runs
 *         .run("sh", "-c", "echo hi > /cache/greeting");
 * }</pre>
 */
package dev.corral.image;
