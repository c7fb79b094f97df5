package dev.corral.samples.cli;

import dev.corral.image.Credentials;
import dev.corral.image.PullListener;
import dev.corral.image.RegistryOptions;
import java.nio.file.Path;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Option;

/**
 * How to reach a registry, shared by {@code corral pull}, {@code push} and {@code build} (a mixin of
 * annotated options) and {@code run --pull} (the same options added in code: {@link #addTo}).
 */
final class RegistryFlags {
    private static final String CREDS = "Credentials for the registry (default: those 'docker login' saved in "
            + "$DOCKER_CONFIG/config.json or ~/.docker/config.json, else none).";
    private static final String CA_CERT = "A PEM file of the CA certificate(s) to trust for the registry's HTTPS, "
            + "instead of the system's.";
    private static final String INSECURE = "Allow plain HTTP to a registry that is not on loopback (loopback registries "
            + "get it anyway).";

    @Option(names = "--creds", paramLabel = "USER:PASSWORD", description = CREDS)
    String creds;

    @Option(names = "--ca-cert", paramLabel = "FILE", description = CA_CERT)
    Path caCert;

    @Option(names = "--insecure-registry", description = INSECURE)
    boolean insecure;

    /** @param spec a command's model built in code: these options are added to it, as the mixin's are */
    static void addTo(CommandSpec spec) {
        spec.addOption(OptionSpec.builder("--creds").paramLabel("USER:PASSWORD").type(String.class).description(CREDS).build());
        spec.addOption(OptionSpec.builder("--ca-cert").paramLabel("FILE").type(Path.class).description(CA_CERT).build());
        spec.addOption(OptionSpec.builder("--insecure-registry").type(boolean.class).description(INSECURE).build());
    }

    /** @param spec a model {@link #addTo} filled, parsed @return the flags it was given */
    static RegistryFlags from(CommandSpec spec) {
        RegistryFlags f = new RegistryFlags();
        f.creds = ContainerOptions.value(spec, "--creds");
        f.caCert = ContainerOptions.value(spec, "--ca-cert");
        f.insecure = ContainerOptions.flag(spec, "--insecure-registry");
        return f;
    }

    /** @param listener told how a transfer goes @return the options these flags give */
    RegistryOptions options(PullListener listener) {
        RegistryOptions.Builder b = RegistryOptions.builder().insecure(insecure).listener(listener);
        if (creds != null) {
            b.credentials(Credentials.parse(creds));
        }
        if (caCert != null) {
            b.caCertificate(caCert.toAbsolutePath());
        }
        return b.build();
    }
}
