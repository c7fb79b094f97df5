package dev.corral;

import dev.corral.image.ImageStore;
import java.nio.file.Path;

/** A second JVM that imports and unpacks an image into a shared store, for the concurrency test. */
public final class ImageChildJvm {
    private ImageChildJvm() {}

    /**
     * @param args the store directory, the layout (PATH:TAG) and the name
     * @throws Exception on failure
     */
    public static void main(String[] args) throws Exception {
        ImageStore store = ImageStore.open(Path.of(args[0]));
        store.importImage(Path.of(args[1]), args[2]);
        store.unpack(args[2], (layer, done, total) -> { });
        ContainerResult r = Container.builder().rootfs(Rootfs.image(store, args[2])).run("cat", "/etc/b");
        System.out.println("ran " + r.stdout().trim());
    }
}
