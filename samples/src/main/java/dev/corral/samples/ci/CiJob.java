package dev.corral.samples.ci;

import dev.corral.image.ImageStore;
import dev.corral.network.Network;
import dev.corral.unit.DataSize;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalLong;

/**
 * One build: a workspace, a command, where it runs, its caches and its limits.
 *
 * <pre>{@code
 * CiJob job = CiJob.builder(Path.of("/srv/ci/checkout"), List.of("mvn", "-B", "-o", "verify"))
 *         .cacheDirectory(Path.of("/root/.m2"), "/root/.m2", true)   // 0750, read as its owner
 *         .timeout(Duration.ofMinutes(30)).build();
 * }</pre>
 *
 * @param workspace   the host directory with the sources, writable by the build as its owner
 * @param command     the build command, run in {@link #WORKSPACE}
 * @param image       an image of {@code store} to build on; empty: the host's read-only view
 * @param store       the image store, for an image and for cache volumes
 * @param caches      the caches, mounted in order
 * @param environment extra environment variables
 * @param memory      the memory limit, if any
 * @param cpus        the CPU limit, if any
 * @param pids        the process limit, if any
 * @param timeout     the wall-clock limit
 * @param outputLimit the most output kept and shown; past it the build is ended
 */
public record CiJob(Path workspace, List<String> command, Optional<String> image, Optional<ImageStore> store,
                    List<Cache> caches, Map<String, String> environment, Optional<DataSize> memory, OptionalDouble cpus,
                    OptionalLong pids, Duration timeout, DataSize outputLimit, Network network) {

    /** Where the workspace is inside the container, and the build's working directory. */
    public static final String WORKSPACE = "/workspace";

    /** Copies the lists and checks what the runner relies on. */
    public CiJob {
        Objects.requireNonNull(workspace, "workspace");
        command = List.copyOf(command);
        caches = List.copyOf(caches);
        Objects.requireNonNull(network, "network");
        environment = Map.copyOf(environment);
        if (command.isEmpty()) {
            throw new IllegalArgumentException("a build needs a command");
        }
        if ((image.isPresent() || caches.stream().anyMatch(c -> c instanceof Cache.Volume)) && store.isEmpty()) {
            throw new IllegalArgumentException("an image or a cache volume needs an image store");
        }
    }

    /**
     * A cache the build reads or fills.
     *
     * <pre>{@code
     * new CiJob.Cache.Volume("m2", "/cache/m2");                                  // persists in the store
     * new CiJob.Cache.Directory(Path.of("/root/.m2/repository"), "/seed", true); // the host's, read-only
     * }</pre>
     */
    public sealed interface Cache {
        /** @return where the build sees it */
        String target();

        /**
         * A named volume of the job's store: created empty on first use, kept between builds.
         *
         * @param name   the volume's name
         * @param target where the build sees it
         */
        record Volume(String name, String target) implements Cache {}

        /**
         * A host directory, bound with its owner as the build's user (an owner-mapped bind).
         *
         * @param source   the host directory
         * @param target   where the build sees it
         * @param readOnly whether the build may only read it
         */
        record Directory(Path source, String target, boolean readOnly) implements Cache {}
    }

    /**
     * @param workspace the sources
     * @param command   the build command
     * @return a builder: the host's read-only view, no cache, 30 minutes, 16 MiB of output
     */
    public static Builder builder(Path workspace, List<String> command) {
        return new Builder(workspace, command);
    }

    /** Builds a {@link CiJob}; {@code CiJob.builder(ws, List.of("make")).build()}. */
    public static final class Builder {
        private final Path workspace;
        private final List<String> command;
        private String image;
        private ImageStore store;
        private final List<Cache> caches = new ArrayList<>();
        private final Map<String, String> environment = new LinkedHashMap<>();
        private DataSize memory;
        private Double cpus;
        private Long pids;
        private Duration timeout = Duration.ofMinutes(30);
        private DataSize outputLimit = DataSize.ofMebibytes(16);
        private Network network = Network.none();

        private Builder(Path workspace, List<String> command) {
            this.workspace = workspace;
            this.command = command;
        }

        /** @param store the image store @param reference an image in it @return this */
        public Builder image(ImageStore store, String reference) {
            this.store = store;
            this.image = reference;
            return this;
        }

        /** @param store the store that keeps the volume @param name its name @param target where @return this */
        public Builder cacheVolume(ImageStore store, String name, String target) {
            this.store = store;
            caches.add(new Cache.Volume(name, target));
            return this;
        }

        /** @param source a host directory @param target where @param readOnly read-only @return this */
        public Builder cacheDirectory(Path source, String target, boolean readOnly) {
            caches.add(new Cache.Directory(source, target, readOnly));
            return this;
        }

        /** @param name a variable @param value its value @return this */
        public Builder env(String name, String value) {
            environment.put(name, value);
            return this;
        }

        /** @param memory the memory limit @return this */
        public Builder memory(DataSize memory) {
            this.memory = memory;
            return this;
        }

        /** @param cpus the CPU limit @return this */
        public Builder cpus(double cpus) {
            this.cpus = cpus;
            return this;
        }

        /** @param pids the process limit @return this */
        public Builder pids(long pids) {
            this.pids = pids;
            return this;
        }

        /** @param timeout the wall-clock limit @return this */
        public Builder timeout(Duration timeout) {
            this.timeout = timeout;
            return this;
        }

        /**
         * @param network the build's network: {@link Network#none()} (the default: loopback only),
         *                {@link Network#host()}, {@link Network#bridge(String)} (root) or
         *                {@link Network#pasta()} (rootless), for builds that fetch dependencies
         * @return this
         */
        public Builder network(Network network) {
            this.network = Objects.requireNonNull(network, "network");
            return this;
        }

        /** @param limit the most output kept and shown @return this */
        public Builder outputLimit(DataSize limit) {
            this.outputLimit = limit;
            return this;
        }

        /** @return the job */
        public CiJob build() {
            return new CiJob(workspace, command, Optional.ofNullable(image), Optional.ofNullable(store), caches, environment,
                    Optional.ofNullable(memory), cpus == null ? OptionalDouble.empty() : OptionalDouble.of(cpus),
                    pids == null ? OptionalLong.empty() : OptionalLong.of(pids), timeout, outputLimit, network);
        }
    }
}
