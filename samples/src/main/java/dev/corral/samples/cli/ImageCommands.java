package dev.corral.samples.cli;

import dev.corral.ContainerException;
import dev.corral.image.ImageInfo;
import dev.corral.image.ImageStore;
import dev.corral.image.PruneReport;
import dev.corral.image.WritableLayer;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** The image store's commands: {@code images}, {@code import}, {@code pull}, {@code push}, {@code commit}, {@code volume ls}, {@code volume rm}, {@code rmi}, {@code prune}. */
final class ImageCommands {
    private ImageCommands() {}

    /** The options every store command shares. */
    abstract static class StoreCommand implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Option(names = "--store", paramLabel = "DIR",
                description = "The image store (default: $XDG_CACHE_HOME/corral or ~/.cache/corral).")
        Path store;

        ImageStore store() {
            return store == null ? ImageStore.atDefaultLocation() : ImageStore.open(store);
        }

        @Override
        public final Integer call() {
            try {
                return run(spec.commandLine().getOut(), spec.commandLine().getErr());
            } catch (ContainerException e) {
                spec.commandLine().getErr().println("corral " + spec.name() + ": " + e.getMessage());
                return CorralCommand.EXIT_START_FAILED;
            }
        }

        abstract int run(PrintWriter out, PrintWriter err);
    }

    static String mib(long bytes) {
        return String.format(Locale.ROOT, "%.1f MiB", bytes / 1048576.0);
    }

    @Command(name = "images", mixinStandardHelpOptions = true, description = "List the images in the store, and the writable layers kept by 'corral run --keep-layer'.")
    static final class Images extends StoreCommand {
        @Override
        int run(PrintWriter out, PrintWriter err) {
            out.printf(Locale.ROOT, "%-40s %-19s %7s %12s%n", "NAME", "DIGEST", "LAYERS", "SIZE");
            for (ImageInfo i : store().images()) {
                out.printf(Locale.ROOT, "%-40s %-19s %7d %12s%n", i.name(), i.digest().substring(0, 19),
                        i.layers().size(), mib(i.size()));
            }
            java.util.List<WritableLayer> kept = store().keptLayers();
            if (!kept.isEmpty()) {
                // What 'corral run --keep-layer' left: 'corral commit LAYER NAME' makes one an image.
                out.printf(Locale.ROOT, "%nKEPT LAYERS (corral commit LAYER NAME)%n%-24s %-40s %s%n", "LAYER", "IMAGE", "DIRECTORY");
                for (WritableLayer l : kept) {
                    out.printf(Locale.ROOT, "%-24s %-40s %s%n", l.id(), l.image(), l.directory());
                }
            }
            return 0;
        }
    }

    @Command(name = "import", mixinStandardHelpOptions = true,
            description = "Import an OCI layout directory or a docker save archive into the store under a name, "
                    + "verify its blobs and unpack its layers.")
    static final class Import extends StoreCommand {
        @Parameters(index = "0", paramLabel = "SOURCE", description = "An OCI layout directory or docker save archive (PATH:TAG for one of several).")
        Path source;

        @Parameters(index = "1", paramLabel = "NAME", description = "The name in the store, e.g. busybox:1.36.")
        String name;

        @Override
        int run(PrintWriter out, PrintWriter err) {
            ImageStore s = store();
            ImageInfo i = s.importImage(source, name);
            try (Progress p = new Progress(err, "unpacking", CorralCommand.progressOnTerminal())) {
                s.unpack(name, p);
            }
            out.printf(Locale.ROOT, "%s %s (%d layers, %s)%n", i.name(), i.digest(), i.layers().size(), mib(i.size()));
            return 0;
        }
    }

    @Command(name = "pull", mixinStandardHelpOptions = true,
            description = {"Pull an image from a registry into the store, as 'docker pull' does: an index is resolved to "
                    + "this machine's architecture, layers the store has are not fetched, the others are fetched in "
                    + "parallel, verified as they stream and resumed after a broken connection.",
                    "Plain HTTP for loopback registries (localhost, 127.0.0.0/8), HTTPS for the others."},
            footerHeading = "%nExamples:%n",
            footer = {"  corral pull localhost:5000/team/app:1.2",
                    "  corral pull --creds ci:$TOKEN --ca-cert ca.pem registry.example:5000/app@sha256:..."})
    static final class Pull extends StoreCommand {
        @Parameters(index = "0", paramLabel = "REF", description = "The image, e.g. localhost:5000/app:1; also its name in the store.")
        String ref;

        @picocli.CommandLine.Mixin
        RegistryFlags registry;

        @Override
        int run(PrintWriter out, PrintWriter err) {
            ImageInfo i;
            try (PullProgress p = new PullProgress(err, "fetched", CorralCommand.progressOnTerminal(), System::nanoTime)) {
                i = store().pull(ref, registry.options(p));
            }
            out.printf(Locale.ROOT, "%s %s (%d layers, %s)%n", i.name(), i.digest(), i.layers().size(), mib(i.size()));
            return 0;
        }
    }

    @Command(name = "push", mixinStandardHelpOptions = true,
            description = "Push a store image to a registry, as 'docker push' does: the layers and config the registry "
                    + "lacks, then the manifest, byte for byte, so the digest is the same on both sides.",
            footerHeading = "%nExamples:%n",
            footer = {"  corral push localhost:5000/team/app:1.2",
                    "  corral push app:1 registry.example:5000/team/app:1 --creds ci:$TOKEN --ca-cert ca.pem"})
    static final class Push extends StoreCommand {
        @Parameters(index = "0", paramLabel = "NAME", description = "The image in the store; where it goes when no REF is given.")
        String name;

        @Parameters(index = "1", arity = "0..1", paramLabel = "REF", description = "Where to push it, e.g. localhost:5000/app:1.")
        String ref;

        @picocli.CommandLine.Mixin
        RegistryFlags registry;

        @Override
        int run(PrintWriter out, PrintWriter err) {
            String target = ref == null ? name : ref;
            String digest;
            try (PullProgress p = new PullProgress(err, "sent", CorralCommand.progressOnTerminal(), System::nanoTime)) {
                digest = store().push(name, target, registry.options(p));
            } catch (IllegalArgumentException e) {
                throw new picocli.CommandLine.ParameterException(spec.commandLine(), e.getMessage());
            }
            out.printf(Locale.ROOT, "%s %s%n", target, digest);
            return 0;
        }
    }

    @Command(name = "commit", mixinStandardHelpOptions = true,
            description = "Make a writable layer kept by 'corral run --keep-layer' a new image, then discard the kept layer.")
    static final class Commit extends StoreCommand {
        @Parameters(index = "0", paramLabel = "LAYER", description = "The kept layer's id, as 'corral images' lists it under KEPT LAYERS.")
        String layer;

        @Parameters(index = "1", paramLabel = "NAME", description = "The new image's name.")
        String name;

        @Option(names = "--keep", description = "Keep the writable layer after committing it.")
        boolean keep;

        @Override
        int run(PrintWriter out, PrintWriter err) {
            ImageStore s = store();
            Optional<WritableLayer> l = s.keptLayers().stream().filter(k -> k.id().equals(layer)).findFirst();
            if (l.isEmpty()) {
                err.println("corral commit: no kept layer " + layer + " in " + s.directory() + " ('corral images' lists the kept layers)");
                return CorralCommand.EXIT_USAGE;
            }
            ImageInfo i = s.commit(l.get(), name);
            if (!keep) {
                s.discard(l.get());
            }
            out.printf(Locale.ROOT, "%s %s (%d layers)%n", i.name(), i.digest(), i.layers().size());
            return 0;
        }
    }

    @Command(name = "rmi", mixinStandardHelpOptions = true,
            description = "Remove images from the store by name; their layers stay until 'corral prune'.")
    static final class Rmi extends StoreCommand {
        @Parameters(index = "0..*", arity = "1..*", paramLabel = "NAME", description = "Images to remove.")
        java.util.List<String> names = new java.util.ArrayList<>();

        @Override
        int run(PrintWriter out, PrintWriter err) {
            ImageStore s = store();
            int rc = 0;
            for (String n : names) {
                if (s.remove(n)) {
                    out.println(n);
                } else {
                    err.println("corral rmi: no image " + n + " in " + s.directory() + " (see corral images)");
                    rc = 1;
                }
            }
            return rc;
        }
    }

    @Command(name = "volume", mixinStandardHelpOptions = true, description = "List or remove named volumes.",
            subcommands = {Volume.Ls.class, Volume.Rm.class})
    static final class Volume extends StoreCommand {
        @Override
        int run(PrintWriter out, PrintWriter err) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(), "missing a command: ls or rm");
        }

        /** A volume subcommand: {@code --store} before or after the subcommand's name. */
        abstract static class Sub extends StoreCommand {
            @picocli.CommandLine.ParentCommand
            Volume parent;

            @Override
            ImageStore store() {
                return store == null && parent.store != null ? ImageStore.open(parent.store) : super.store();
            }
        }

        @Command(name = "ls", mixinStandardHelpOptions = true, description = "List the named volumes and their directories.")
        static final class Ls extends Sub {
            @Override
            int run(PrintWriter out, PrintWriter err) {
                ImageStore s = store();
                s.volumes().forEach(v -> out.println(v + "\t" + s.volume(v)));
                return 0;
            }
        }

        @Command(name = "rm", mixinStandardHelpOptions = true, description = "Remove named volumes and everything in them.")
        static final class Rm extends Sub {
            @Parameters(index = "0..*", arity = "1..*", paramLabel = "NAME", description = "Volumes to remove.")
            java.util.List<String> names = new java.util.ArrayList<>();

            @Override
            int run(PrintWriter out, PrintWriter err) {
                ImageStore s = store();
                int rc = 0;
                for (String n : names) {
                    if (!s.removeVolume(n)) {
                        err.println("corral volume rm: no volume " + n);
                        rc = 1;
                    }
                }
                return rc;
            }
        }
    }

    @Command(name = "prune", mixinStandardHelpOptions = true,
            description = "Remove layers and blobs no image uses, writable layers of dead runs, and unfinished unpacks.")
    static final class Prune extends StoreCommand {
        @Override
        int run(PrintWriter out, PrintWriter err) {
            PruneReport r = store().prune();
            out.printf(Locale.ROOT, "removed %d layers, %d blobs, %d stale runs; freed %s%n", r.layers(), r.blobs(),
                    r.runs(), mib(r.bytesFreed()));
            return 0;
        }
    }
}
