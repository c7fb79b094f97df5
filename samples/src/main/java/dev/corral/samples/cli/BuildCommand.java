package dev.corral.samples.cli;

import dev.corral.Output;
import dev.corral.image.BuildResult;
import dev.corral.image.ImageBuilder;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;

/**
 * {@code corral build}: a Dockerfile built into the store without a daemon, each RUN an ordinary
 * container; prints each step (cached or run) and the image's digest.
 */
@Command(name = "build", mixinStandardHelpOptions = true,
        description = {"Build an image from a Dockerfile into the store, without a daemon.",
                "A FROM image the store lacks is pulled from its registry (--creds, --ca-cert, --insecure-registry)."})
final class BuildCommand extends ImageCommands.StoreCommand {
    @Parameters(index = "0", paramLabel = "CONTEXT", description = "The build context directory.")
    Path context;

    @Option(names = {"-t", "--tag"}, paramLabel = "NAME[:TAG]", description = "A name for the image in the store (repeatable).")
    List<String> tags = new ArrayList<>();

    @Option(names = {"-f", "--file"}, paramLabel = "FILE", description = "The Dockerfile (default: CONTEXT/Dockerfile).")
    Path file;

    @Option(names = "--build-arg", paramLabel = "K=V", description = "A value for an ARG (repeatable).")
    List<String> buildArgs = new ArrayList<>();

    @Option(names = "--network", paramLabel = "none|host", defaultValue = "none",
            description = "The network of RUN steps: none (only loopback, the default) or host.")
    String network;

    @Option(names = "--target", paramLabel = "STAGE", description = "Build up to this stage.")
    String target;

    @Option(names = "--no-cache", description = "Run every step; take nothing from the cache.")
    boolean noCache;

    @Option(names = {"-o", "--output"}, paramLabel = "oci:DIR|docker-archive:FILE|registry:REF",
            description = "Also write the image as an OCI layout or a docker save archive, or push it to a registry "
                    + "(repeatable).")
    List<String> outputs = new ArrayList<>();

    @picocli.CommandLine.Mixin
    RegistryFlags registry;

    @Option(names = {"-q", "--quiet"}, description = "Print only the image's digest; RUN output is not shown.")
    boolean quiet;

    @Override
    int run(PrintWriter out, PrintWriter err) {
        ImageBuilder b = ImageBuilder.of(store(), context);
        if (file != null) {
            b.dockerfile(file);
        }
        tags.forEach(b::tag);
        for (String kv : buildArgs) {
            int eq = kv.indexOf('=');
            if (eq <= 0) {
                throw new ParameterException(spec.commandLine(), "--build-arg " + kv + ": expected NAME=VALUE");
            }
            b.buildArg(kv.substring(0, eq), kv.substring(eq + 1));
        }
        switch (network) {
            case "none" -> { }
            case "host" -> b.hostNetwork();
            default -> throw new ParameterException(spec.commandLine(), "--network " + network
                    + ": RUN steps may have none (the default) or host");
        }
        if (target != null) {
            b.target(target);
        }
        b.noCache(noCache);
        for (String o : outputs) {
            if (o.startsWith("oci:")) {
                b.ociLayout(Path.of(o.substring(4)));
            } else if (o.startsWith("docker-archive:")) {
                b.dockerArchive(Path.of(o.substring("docker-archive:".length())));
            } else if (o.startsWith("registry:")) {
                try {
                    b.push(o.substring("registry:".length()));
                } catch (IllegalArgumentException e) {
                    throw new ParameterException(spec.commandLine(), "--output " + o + ": " + e.getMessage());
                }
            } else {
                throw new ParameterException(spec.commandLine(), "--output " + o
                        + ": expected oci:DIR, docker-archive:FILE or registry:REF");
            }
        }
        /* FROM images the store lacks are pulled, and registry outputs pushed, with these; progress is not shown */
        b.registryOptions(registry.options(dev.corral.image.PullListener.NONE));
        if (!quiet) {
            out.flush();
            b.runOutput(Output.inherit());
            b.listener(s -> {
                out.printf(Locale.ROOT, "[stage %d] line %d: %s%s%n", s.stage(), s.line(), s.instruction(),
                        s.cached() ? "  (cached)" : "");
                out.flush();
            });
        }
        BuildResult r = b.build();
        if (quiet) {
            out.println(r.digest());
        } else {
            out.printf(Locale.ROOT, "built %s%s: %d of %d steps ran%n", r.digest(),
                    r.name().map(n -> " as " + n).orElse(""), r.stepsRun(), r.steps().size());
        }
        return 0;
    }
}
