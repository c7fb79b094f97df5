package dev.corral.image;

import dev.corral.Output;
import dev.corral.internal.build.BuildEngine;
import dev.corral.internal.build.ImageExport;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;

/** The package-private way from {@link ImageBuilder} to the build engine, which public types may not name. */
final class BuildDoor {
    private BuildDoor() {}

    /** What the engine made: the image's digest and its steps. */
    record Made(String digest, List<BuildStep> steps) {}

    static Made build(ImageStore store, Path context, String dockerfile, String fileName, Map<String, String> buildArgs,
                      Optional<String> target, boolean hostNetwork, boolean noCache, Optional<Output> runOutput,
                      Consumer<BuildStep> listener, RegistryOptions registry) {
        /* a FROM image the store lacks is pulled when it is a registry reference, named as written */
        BuildEngine.Outcome out = BuildEngine.build(new BuildEngine.Options(store, context, dockerfile, fileName,
                buildArgs, target, hostNetwork, noCache, runOutput, listener,
                image -> ImageRef.tryParse(image).map(ref -> store.pull(image, registry).digest())));
        return new Made(out.digest(), out.steps());
    }

    static String push(ImageStore store, String digest, String reference, RegistryOptions registry) {
        return store.pushManifest(digest, reference, registry);
    }

    static void tag(ImageStore store, String name, String digest) {
        ImageExport.tag(store, name, digest);
    }

    static String normalize(String name) {
        return ImageExport.normalize(name);
    }

    static void ociLayout(ImageStore store, String digest, Optional<String> name, Path dir) throws IOException {
        ImageExport.ociLayout(store, digest, name, dir);
    }

    static void dockerArchive(ImageStore store, String digest, Optional<String> name, Path file) throws IOException {
        ImageExport.dockerArchive(store, digest, name, file);
    }
}
