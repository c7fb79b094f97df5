package dev.corral.internal.image;

import java.util.List;
import java.util.Map;

/**
 * An image manifest as the store reads it: its config, its layers bottom first, and the whole
 * document for whoever derives a new manifest from it.
 *
 * <pre>{@code
 * Manifest m = store.manifests().read(digest);
 * long size = m.layers().stream().mapToLong(Descriptor::size).sum();
 * }</pre>
 *
 * @param config the config's descriptor
 * @param layers the layers' descriptors, bottom first
 * @param json   the document
 */
public record Manifest(Descriptor config, List<Descriptor> layers, Map<String, Object> json) {}
