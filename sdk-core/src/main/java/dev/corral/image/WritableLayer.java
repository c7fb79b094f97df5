package dev.corral.image;

import java.nio.file.Path;
import java.util.Objects;

/**
 * The writable layer a container of an image wrote to, kept after its run
 * ({@link dev.corral.ContainerSpec.Builder#keepWritableLayer(boolean)}). Commit it as a new
 * image with {@link ImageStore#commit}, or throw it away with {@link ImageStore#discard}.
 *
 * <pre>{@code
 * ContainerResult r = Container.builder().rootfs(Rootfs.image(store, "busybox:1.36"))
 *         .keepWritableLayer(true).run("sh", "-c", "echo x > /x");
 * store.commit(r.writableLayer().orElseThrow(), "mine:1");
 * }</pre>
 *
 * @param id        its name in the store
 * @param directory the overlay upper directory: what the container added, changed and deleted
 *                  (deletions as overlay whiteouts: character devices 0/0)
 * @param image     the store name of the image the container ran, or the rootfs archive's digest
 */
public record WritableLayer(String id, Path directory, String image) {
    /** Checks the fields. */
    public WritableLayer {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(directory, "directory");
        Objects.requireNonNull(image, "image");
    }
}
