package dev.corral.image;

import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * A reference to an image in a registry, with Docker's defaults: no registry means
 * {@code docker.io}, a one-part name on Docker Hub is under {@code library/}, and no tag and no
 * digest means {@code latest}. The first part of a name is a registry host when it has a '.' or
 * a ':' (a port), or is {@code localhost}.
 *
 * <pre>{@code
 * ImageRef r = ImageRef.parse("busybox");           // docker.io/library/busybox:latest
 * ImageRef l = ImageRef.parse("localhost:5000/team/app:1.2");
 * l.registry();    // localhost:5000
 * l.repository();  // team/app
 * ImageRef d = ImageRef.parse("alpine@sha256:0123...cdef");  // pinned by digest
 * }</pre>
 *
 * @param registry   the registry host, with its port if it has one ({@code docker.io} by default)
 * @param repository the repository path, lower case ({@code library/busybox})
 * @param tag        the tag; {@code latest} when neither a tag nor a digest was given
 * @param digest     the manifest digest ({@code sha256:...}) when the reference pins one
 */
public record ImageRef(String registry, String repository, Optional<String> tag, Optional<String> digest) {
    /** Docker Hub's name in references. */
    public static final String DOCKER_HUB = "docker.io";

    private static final Pattern COMPONENT = Pattern.compile("[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*");
    private static final Pattern TAG = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}");
    private static final Pattern DIGEST = Pattern.compile("sha256:[0-9a-f]{64}|sha512:[0-9a-f]{128}");
    private static final Pattern HOST = Pattern.compile(
            "(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)(?:\\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*(?::[0-9]{1,5})?"
                    + "|\\[[0-9A-Fa-f:.]+\\](?::[0-9]{1,5})?");

    /** Checks every part. */
    public ImageRef {
        Objects.requireNonNull(registry, "registry");
        Objects.requireNonNull(repository, "repository");
        Objects.requireNonNull(tag, "tag");
        Objects.requireNonNull(digest, "digest");
        if (!HOST.matcher(registry).matches()) {
            throw new IllegalArgumentException("invalid registry host '" + registry + "'");
        }
        if (repository.isEmpty() || repository.length() > 255) {
            throw new IllegalArgumentException("invalid repository '" + repository + "'");
        }
        for (String c : repository.split("/", -1)) {
            if (!COMPONENT.matcher(c).matches()) {
                throw new IllegalArgumentException("invalid repository '" + repository
                        + "': each part is lower-case letters and digits, separated by '.', '_', '__' or '-'");
            }
        }
        tag.ifPresent(t -> {
            if (!TAG.matcher(t).matches()) {
                throw new IllegalArgumentException("invalid tag '" + t + "'");
            }
        });
        digest.ifPresent(d -> {
            if (!DIGEST.matcher(d).matches()) {
                throw new IllegalArgumentException("invalid digest '" + d + "' (sha256:<64 hex> expected)");
            }
        });
        if (tag.isEmpty() && digest.isEmpty()) {
            tag = Optional.of("latest");
        }
    }

    /**
     * Parses a reference as {@code docker pull} does.
     *
     * @param reference {@code [HOST[:PORT]/]PATH[:TAG][@DIGEST]}
     * @return the reference with the defaults filled in
     * @throws IllegalArgumentException if it is not a valid reference
     */
    public static ImageRef parse(String reference) {
        Objects.requireNonNull(reference, "reference");
        try {
            String rest = reference;
            Optional<String> digest = Optional.empty();
            int at = rest.indexOf('@');
            if (at >= 0) {
                digest = Optional.of(rest.substring(at + 1));
                rest = rest.substring(0, at);
            }
            String registry = DOCKER_HUB;
            int slash = rest.indexOf('/');
            if (slash > 0) {
                String first = rest.substring(0, slash);
                if (first.contains(".") || first.contains(":") || first.equals("localhost")) {
                    registry = first;
                    rest = rest.substring(slash + 1);
                }
            }
            Optional<String> tag = Optional.empty();
            int colon = rest.lastIndexOf(':');
            if (colon > rest.lastIndexOf('/')) {
                tag = Optional.of(rest.substring(colon + 1));
                rest = rest.substring(0, colon);
            }
            if (registry.equals("index.docker.io") || registry.equals("registry-1.docker.io")) {
                registry = DOCKER_HUB;
            }
            if (registry.equals(DOCKER_HUB) && !rest.contains("/")) {
                rest = "library/" + rest;
            }
            return new ImageRef(registry, rest, tag, digest);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("'" + reference + "' is not an image reference: " + e.getMessage(), e);
        }
    }

    /**
     * @param reference a string that may be an image reference
     * @return it parsed, or empty when it is not one
     */
    public static Optional<ImageRef> tryParse(String reference) {
        try {
            return Optional.of(parse(reference));
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    /** @return the host to connect to: {@code registry-1.docker.io} for Docker Hub, else {@link #registry()} */
    public String apiHost() {
        return registry.equals(DOCKER_HUB) ? "registry-1.docker.io" : registry;
    }

    /** @return the digest when pinned, else the tag: what the registry's manifest URL ends with */
    public String reference() {
        return digest.orElseGet(tag::orElseThrow);
    }

    /** @param newTag a tag @return this repository with that tag and no digest */
    public ImageRef withTag(String newTag) {
        return new ImageRef(registry, repository, Optional.of(newTag), Optional.empty());
    }

    /** @return the full reference, e.g. {@code docker.io/library/busybox:latest} */
    @Override
    public String toString() {
        return registry + "/" + repository + tag.map(t -> ":" + t).orElse("") + digest.map(d -> "@" + d).orElse("");
    }
}
