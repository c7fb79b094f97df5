package dev.corral.image;

import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;

/**
 * How to talk to a registry. Plain HTTP is used only for loopback registries
 * ({@code localhost}, 127.0.0.0/8, {@code [::1]}) unless {@link #insecure()} opts in, as
 * Docker allows; everything else is HTTPS, checked against the system's CAs or the given one.
 * Without credentials, those in {@code $DOCKER_CONFIG/config.json} (or
 * {@code ~/.docker/config.json}) for the registry are used, if any.
 *
 * <pre>{@code
 * RegistryOptions o = RegistryOptions.builder()
 *         .credentials(new Credentials("ci", "secret"))
 *         .caCertificate(Path.of("/etc/corral/registry-ca.pem"))
 *         .parallelism(4)
 *         .build();
 * store.pull("registry.example:5000/team/app:1.2", o);
 * }</pre>
 *
 * @param credentials   the user and password; empty to use the Docker config file's, or none
 * @param caCertificate a PEM file of the CA certificate(s) to trust instead of the system's
 * @param insecure      plain HTTP to a registry that is not on loopback
 * @param parallelism   how many blobs to transfer at once (1-16)
 * @param listener      told how a pull goes
 */
public record RegistryOptions(Optional<Credentials> credentials, Optional<Path> caCertificate, boolean insecure,
                              int parallelism, PullListener listener) {
    /** Checks the values. */
    public RegistryOptions {
        Objects.requireNonNull(credentials, "credentials");
        Objects.requireNonNull(caCertificate, "caCertificate");
        Objects.requireNonNull(listener, "listener");
        if (parallelism < 1 || parallelism > 16) {
            throw new IllegalArgumentException("parallelism must be 1-16, not " + parallelism);
        }
    }

    /** @return anonymous (or the Docker config's credentials), HTTPS but for loopback, 4 blobs at once */
    public static RegistryOptions defaults() {
        return builder().build();
    }

    /** @return a builder starting from the defaults */
    public static Builder builder() {
        return new Builder();
    }

    /** Builds {@link RegistryOptions}; see there for an example. */
    public static final class Builder {
        private Credentials credentials;
        private Path caCertificate;
        private boolean insecure;
        private int parallelism = 4;
        private PullListener listener = PullListener.NONE;

        private Builder() {
        }

        /** @param c the user and password @return this builder */
        public Builder credentials(Credentials c) {
            this.credentials = Objects.requireNonNull(c, "credentials");
            return this;
        }

        /** @param pem a PEM file of CA certificates to trust @return this builder */
        public Builder caCertificate(Path pem) {
            this.caCertificate = Objects.requireNonNull(pem, "caCertificate");
            return this;
        }

        /** @param yes allow plain HTTP to a registry that is not on loopback @return this builder */
        public Builder insecure(boolean yes) {
            this.insecure = yes;
            return this;
        }

        /** @param n blobs transferred at once, 1-16 @return this builder */
        public Builder parallelism(int n) {
            this.parallelism = n;
            return this;
        }

        /** @param l told how a pull goes @return this builder */
        public Builder listener(PullListener l) {
            this.listener = Objects.requireNonNull(l, "listener");
            return this;
        }

        /** @return the options */
        public RegistryOptions build() {
            return new RegistryOptions(Optional.ofNullable(credentials), Optional.ofNullable(caCertificate), insecure,
                    parallelism, listener);
        }
    }
}
