package dev.corral.samples.cli;

import dev.corral.image.Credentials;
import dev.corral.image.PullListener;
import dev.corral.image.RegistryOptions;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** How to reach a registry, shared by {@code corral pull}, {@code push} and {@code run --pull}. */
final class RegistryFlags {
    @Option(names = "--creds", paramLabel = "USER:PASSWORD",
            description = "Credentials for the registry (default: those 'docker login' saved in $DOCKER_CONFIG/config.json "
                    + "or ~/.docker/config.json, else none).")
    String creds;

    @Option(names = "--ca-cert", paramLabel = "FILE",
            description = "A PEM file of the CA certificate(s) to trust for the registry's HTTPS, instead of the system's.")
    Path caCert;

    @Option(names = "--insecure-registry",
            description = "Allow plain HTTP to a registry that is not on loopback (loopback registries get it anyway).")
    boolean insecure;

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
