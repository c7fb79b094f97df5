package dev.corral.internal.image;

import dev.corral.image.ImageConfig;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.LinkedHashMap;

/**
 * Image manifests and configs, read from and written to the {@link Blobs}: the one place that
 * knows their JSON. An image enters the store as its layers ({@link Blobs#put}), then its config
 * and manifest (here), then a name ({@link Names#tag}); writers hold the store lock throughout.
 *
 * <pre>{@code
 * String digest = store.locked(() -> {
 *     for (...) blobs.put(layerStream, layer, "layer");
 *     Descriptor config = manifests.putConfig(configBytes);
 *     return manifests.putManifest(config, layers);
 * });
 * store.names().tag("app:1", digest);
 * }</pre>
 */
public final class Manifests {
    private final Blobs blobs;

    Manifests(Blobs blobs) {
        this.blobs = blobs;
    }

    /** @param digest a manifest's digest @return the manifest @throws IOException if it is missing or malformed */
    public Manifest read(String digest) throws IOException {
        Map<String, Object> m = Json.object(blobs.read(digest), "manifest " + digest);
        List<Descriptor> layers = new ArrayList<>();
        for (Object o : Json.list(m, "layers")) {
            if (o instanceof Map<?, ?> d) {
                @SuppressWarnings("unchecked")
                Map<String, Object> dm = (Map<String, Object>) d;
                layers.add(Descriptor.of(dm));
            }
        }
        return new Manifest(Descriptor.of(Json.obj(m, "config")), layers, m);
    }

    /** @param m a manifest @return its config document @throws IOException if it is missing or malformed */
    public Map<String, Object> configJson(Manifest m) throws IOException {
        return Json.object(blobs.read(m.config().digest()), "config");
    }

    /** @param m a manifest @return its layers' uncompressed digests, from its config @throws IOException if unreadable */
    public List<String> diffIds(Manifest m) throws IOException {
        return diffIds(m.config().digest());
    }

    /** @param configDigest a config's digest @return its layers' uncompressed digests @throws IOException if unreadable */
    public List<String> diffIds(String configDigest) throws IOException {
        return Json.strings(Json.obj(Json.object(blobs.read(configDigest), "config"), "rootfs"), "diff_ids");
    }

    /** @param manifestDigest an image @return its configuration's defaults @throws IOException if unreadable */
    public ImageConfig imageConfig(String manifestDigest) throws IOException {
        Map<String, Object> c = Json.obj(configJson(read(manifestDigest)), "config");
        return new ImageConfig(Json.strings(c, "Entrypoint"), Json.strings(c, "Cmd"), Json.strings(c, "Env"),
                Json.str(c, "WorkingDir"), Json.str(c, "User"));
    }

    /** @param config a config document @return its descriptor, once stored @throws IOException if it cannot be written */
    public Descriptor putConfig(Map<String, Object> config) throws IOException {
        byte[] bytes = Json.write(config);
        return new Descriptor(MediaTypes.CONFIG, blobs.put(bytes), bytes.length);
    }

    /**
     * Writes a new OCI manifest.
     *
     * @param config its config, already stored
     * @param layers its layers, bottom first, already stored
     * @return the manifest's digest
     * @throws IOException if it cannot be written
     */
    public String putManifest(Descriptor config, List<Descriptor> layers) throws IOException {
        Map<String, Object> manifest = new LinkedHashMap<>();
        manifest.put("schemaVersion", 2L);
        manifest.put("mediaType", MediaTypes.MANIFEST);
        manifest.put("config", config.toJson());
        manifest.put("layers", layers.stream().map(d -> (Object) d.toJson()).toList());
        return blobs.put(Json.write(manifest));
    }

    /**
     * Writes the manifest of an image made from another by adding a layer on top: the base's
     * document (its layer descriptors as they were), a new config, one more layer, no annotations.
     *
     * @param base   the base image's manifest
     * @param config the new config, already stored
     * @param added  the new top layer, already stored
     * @return the manifest's digest
     * @throws IOException if it cannot be written
     */
    public String putDerived(Manifest base, Descriptor config, Descriptor added) throws IOException {
        Map<String, Object> manifest = new LinkedHashMap<>(base.json());
        manifest.put("schemaVersion", 2L);
        manifest.put("mediaType", MediaTypes.MANIFEST);
        manifest.put("config", config.toJson());
        List<Object> layers = new ArrayList<>(Json.list(base.json(), "layers"));
        layers.add(added.toJson());
        manifest.put("layers", layers);
        manifest.remove("annotations");
        return blobs.put(Json.write(manifest));
    }
}
