package dev.corral.image;

import dev.corral.Output;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * Builds an image from a Dockerfile, without a daemon, like {@code docker build}: each
 * {@code RUN} is an ordinary Corral container on the layers built so far, whose writable layer
 * becomes the step's layer; {@code COPY} and {@code ADD} write their layer directly. Every step
 * is cached in the store, keyed on the step before it, the instruction and what it reads, so a
 * rebuild with no change runs nothing and a change reruns from the changed step on.
 *
 * <pre>{@code
 * ImageStore store = ImageStore.atDefaultLocation();
 * BuildResult r = ImageBuilder.of(store, Path.of("app"))       // the build context
 *         .buildArg("VERSION", "1.2")
 *         .tag("app:1.2")                                       // a name in the store
 *         .ociLayout(Path.of("out/app-oci"))                    // and/or an OCI layout, a docker save archive
 *         .push("localhost:5000/team/app:1.2")                  // and/or a registry
 *         .build();
 * Container.builder().rootfs(Rootfs.image(store, "app:1.2")).run();
 * }</pre>
 *
 * <p>Instructions: {@code FROM} (an image in the store, a registry reference the store lacks,
 * pulled; an OCI layout or docker save archive by path, {@code scratch}, or an earlier stage), {@code RUN} (shell and JSON form), {@code COPY}
 * and {@code ADD} (local files; {@code --chown}, {@code --chmod}, {@code COPY --from}; ADD unpacks
 * local tar archives), {@code ENV}, {@code ARG}, {@code WORKDIR}, {@code USER}, {@code LABEL},
 * {@code EXPOSE}, {@code CMD}, {@code ENTRYPOINT}, {@code SHELL}, multi-stage {@code FROM ... AS}.
 * Any other instruction, a URL source and a heredoc are errors that name their line.
 * {@code .dockerignore} is honoured. Differences from Docker: {@code /tmp} is a fresh tmpfs in
 * each {@code RUN} (what a step writes there is not kept), and RUN steps have no network unless
 * {@link #hostNetwork()} is asked for.
 */
public final class ImageBuilder {
    private final ImageStore store;
    private final Path context;
    private Path dockerfile;
    private final Map<String, String> buildArgs = new LinkedHashMap<>();
    private final List<String> tags = new ArrayList<>();
    private Optional<String> target = Optional.empty();
    private boolean hostNetwork;
    private boolean noCache;
    private Optional<Output> runOutput = Optional.empty();
    private Consumer<BuildStep> listener = s -> { };
    private final List<Path> ociLayouts = new ArrayList<>();
    private final List<Path> dockerArchives = new ArrayList<>();
    private final List<String> pushes = new ArrayList<>();
    private RegistryOptions registry = RegistryOptions.defaults();

    private ImageBuilder(ImageStore store, Path context) {
        this.store = store;
        this.context = context;
        this.dockerfile = context.resolve("Dockerfile");
    }

    /**
     * @param store   where the layers, the cache and the image go
     * @param context the build context: the directory COPY and ADD read from
     * @return a builder that reads {@code context/Dockerfile}
     */
    public static ImageBuilder of(ImageStore store, Path context) {
        Objects.requireNonNull(store, "store");
        return new ImageBuilder(store, Objects.requireNonNull(context, "context").toAbsolutePath().normalize());
    }

    /** @param file the Dockerfile, when not {@code context/Dockerfile} @return this */
    public ImageBuilder dockerfile(Path file) {
        this.dockerfile = Objects.requireNonNull(file, "file");
        return this;
    }

    /** @param name an {@code ARG} name @param value its value for this build @return this */
    public ImageBuilder buildArg(String name, String value) {
        buildArgs.put(Objects.requireNonNull(name, "name"), Objects.requireNonNull(value, "value"));
        return this;
    }

    /** @param name a name for the image in the store, e.g. {@code app:1} (several may be given) @return this */
    public ImageBuilder tag(String name) {
        tags.add(Objects.requireNonNull(name, "name"));
        return this;
    }

    /** @param stage the stage to build (and stop after), by its {@code AS} name @return this */
    public ImageBuilder target(String stage) {
        this.target = Optional.of(Objects.requireNonNull(stage, "stage"));
        return this;
    }

    /** RUN steps share the host's network (by default they have their own, with only loopback). @return this */
    public ImageBuilder hostNetwork() {
        this.hostNetwork = true;
        return this;
    }

    /** @param noCache run every step, taking nothing from the cache @return this */
    public ImageBuilder noCache(boolean noCache) {
        this.noCache = noCache;
        return this;
    }

    /**
     * @param output where RUN steps' stdout and stderr go (by default captured, and shown in the
     *               exception when a step fails)
     * @return this
     */
    public ImageBuilder runOutput(Output output) {
        this.runOutput = Optional.of(Objects.requireNonNull(output, "output"));
        return this;
    }

    /** @param listener told of each step as it is done, cached or run @return this */
    public ImageBuilder listener(Consumer<BuildStep> listener) {
        this.listener = Objects.requireNonNull(listener, "listener");
        return this;
    }

    /** @param dir also write the image as an OCI image layout there (created or added to) @return this */
    public ImageBuilder ociLayout(Path dir) {
        ociLayouts.add(Objects.requireNonNull(dir, "dir"));
        return this;
    }

    /** @param file also write the image as a {@code docker save} archive there @return this */
    public ImageBuilder dockerArchive(Path file) {
        dockerArchives.add(Objects.requireNonNull(file, "file"));
        return this;
    }

    /**
     * @param reference also push the image to a registry, e.g. {@code localhost:5000/app:1} (several
     *                  may be given), with the {@link #registryOptions}
     * @return this
     */
    public ImageBuilder push(String reference) {
        ImageRef.parse(Objects.requireNonNull(reference, "reference"));
        pushes.add(reference);
        return this;
    }

    /**
     * @param options how a {@code FROM} image the store lacks is pulled (a registry reference is
     *                pulled as {@code docker build} does, and named in the store as written), and
     *                how {@link #push} sends the result; by default {@link RegistryOptions#defaults()}
     * @return this
     */
    public ImageBuilder registryOptions(RegistryOptions options) {
        this.registry = Objects.requireNonNull(options, "options");
        return this;
    }

    /**
     * Builds.
     *
     * @return the image and its steps
     * @throws ImageBuildException if the Dockerfile is invalid or unsupported, a step fails, or an output cannot be written
     */
    public BuildResult build() {
        String text;
        try {
            text = Files.readString(dockerfile);
        } catch (IOException e) {
            throw new ImageBuildException("cannot read the Dockerfile " + dockerfile + ": " + e, Optional.empty(), e);
        }
        if (!Files.isDirectory(context)) {
            throw new ImageBuildException("the build context " + context + " is not a directory", Optional.empty(), null);
        }
        BuildDoor.Made out = BuildDoor.build(store, context, text, dockerfile.getFileName().toString(),
                Map.copyOf(buildArgs), target, hostNetwork, noCache, runOutput, listener, registry);
        for (String t : tags) {
            BuildDoor.tag(store, t, out.digest());
        }
        String name = tags.isEmpty() ? null : tags.get(0);
        try {
            for (Path p : ociLayouts) {
                BuildDoor.ociLayout(store, out.digest(), Optional.ofNullable(name), p);
            }
            for (Path p : dockerArchives) {
                BuildDoor.dockerArchive(store, out.digest(), Optional.ofNullable(name), p);
            }
        } catch (IOException e) {
            throw new ImageBuildException("cannot write the built image: " + e.getMessage(), Optional.empty(), e);
        }
        for (String ref : pushes) {
            BuildDoor.push(store, out.digest(), ref, registry);
        }
        return new BuildResult(out.digest(), Optional.ofNullable(name).map(BuildDoor::normalize), out.steps());
    }
}
