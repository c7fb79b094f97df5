package dev.corral.internal.image;

import dev.corral.image.ImageRef;
import dev.corral.internal.archive.Compression;
import dev.corral.internal.archive.ExtractOptions;
import dev.corral.internal.archive.TarExtractor;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * Copies an image into the store from an OCI image layout directory or a {@code docker save}
 * archive, verifying every blob's digest (and size) on the way. Called with the store lock held.
 */
final class OciImport {
    private static final String REF_NAME = "org.opencontainers.image.ref.name";

    private OciImport() {}

    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> maps(List<Object> l) {
        List<Map<String, Object>> out = new ArrayList<>();
        for (Object o : l) {
            if (o instanceof Map<?, ?> m) {
                out.add((Map<String, Object>) m);
            }
        }
        return out;
    }

    /**
     * @param name   a tag as the source names it ({@code 1.35}, {@code busybox:1.35},
     *               {@code docker.io/library/busybox:1.35})
     * @param wanted what the caller asked for, in any of those forms
     * @return whether they name the same image
     */
    static boolean tagMatches(String name, String wanted) {
        if (name.equals(wanted) || name.endsWith(":" + wanted)) {
            return true;
        }
        Optional<ImageRef> a = ImageRef.tryParse(name);
        return a.isPresent() && a.equals(ImageRef.tryParse(wanted));
    }

    static String fromLayout(Store store, Path dir, Optional<String> tag) throws IOException {
        Path layout = dir.resolve("oci-layout");
        if (!Files.isRegularFile(layout) || !Files.isRegularFile(dir.resolve("index.json"))) {
            throw new IOException(dir + " is not an OCI image layout: it needs oci-layout and index.json");
        }
        String version = Json.str(Json.object(Files.readAllBytes(layout), "oci-layout"), "imageLayoutVersion");
        if (!version.startsWith("1.")) {
            throw new IOException(dir + " has image layout version '" + version + "'; only 1.x is supported");
        }
        Map<String, Object> index = Json.object(Files.readAllBytes(dir.resolve("index.json")), dir + "/index.json");
        List<Map<String, Object>> manifests = maps(Json.list(index, "manifests"));
        Map<String, Object> chosen = null;
        List<String> tags = new ArrayList<>();
        for (Map<String, Object> d : manifests) {
            String name = Json.str(Json.obj(d, "annotations"), REF_NAME);
            tags.add(name);
            if (tag.isPresent() && tagMatches(name, tag.get())) {
                chosen = d;
            }
        }
        if (chosen == null) {
            if (tag.isEmpty() && manifests.size() == 1) {
                chosen = manifests.get(0);
            } else if (tag.isEmpty() && tags.contains("latest")) {
                chosen = manifests.get(tags.indexOf("latest"));
            } else {
                throw new IOException(dir + (tag.isEmpty() ? " holds " + manifests.size() + " images: pick one with PATH:TAG"
                        : " has no image tagged '" + tag.get() + "'") + " (tags: " + tags + ")");
            }
        }
        return manifest(store, dir, Descriptor.of(chosen), 0);
    }

    private static byte[] layoutBlob(Store store, Path dir, Descriptor d) throws IOException {
        Path p = dir.resolve("blobs/sha256").resolve(Digests.hex(d.digest()));
        try (InputStream in = Files.newInputStream(p)) {
            store.blobs().put(in, d, "blob " + d.digest() + " of " + dir);
        }
        return store.blobs().read(d.digest());
    }

    private static String manifest(Store store, Path dir, Descriptor d, int depth) throws IOException {
        if (depth > 4) {
            throw new IOException(dir + ": image indexes nested too deep");
        }
        byte[] bytes = layoutBlob(store, dir, d);
        Map<String, Object> m = Json.object(bytes, "manifest " + d.digest());
        String type = d.mediaType().isEmpty() ? Json.str(m, "mediaType") : d.mediaType();
        if (type.equals(MediaTypes.INDEX) || type.equals(MediaTypes.DOCKER_LIST) || m.containsKey("manifests")) {
            String arch = MediaTypes.arch();
            List<String> seen = new ArrayList<>();
            for (Map<String, Object> e : maps(Json.list(m, "manifests"))) {
                Map<String, Object> p = Json.obj(e, "platform");
                String os = Json.str(p, "os");
                String a = Json.str(p, "architecture");
                seen.add(os + "/" + a);
                if (p.isEmpty() || ((os.isEmpty() || os.equals("linux")) && a.equals(arch))) {
                    return manifest(store, dir, Descriptor.of(e), depth + 1);
                }
            }
            throw new IOException("image index " + d.digest() + " in " + dir + " has no manifest for linux/" + arch
                    + " (it has " + seen + ")");
        }
        Manifest man = store.manifests().read(d.digest());
        layoutBlob(store, dir, man.config());
        for (Descriptor l : man.layers()) {
            Path p = dir.resolve("blobs/sha256").resolve(Digests.hex(l.digest()));
            if (!store.blobs().exists(l.digest())) {
                try (InputStream in = Files.newInputStream(p)) {
                    store.blobs().put(in, l, "layer " + l.digest() + " of " + dir);
                }
            }
        }
        return d.digest();
    }

    static String fromDockerArchive(Store store, Path tar, Optional<String> tag) throws IOException {
        Path tmp = store.files().newTmpDir("docker");
        try {
            TarExtractor.extract(tar, tmp, ExtractOptions.builder().preserveOwnership(false).privileged(false).build());
            Path mf = tmp.resolve("manifest.json");
            if (!Files.isRegularFile(mf)) {
                if (Files.isRegularFile(tmp.resolve("index.json"))) {
                    return fromLayout(store, tmp, tag); /* an OCI layout packed in a tar */
                }
                throw new IOException(tar + " is not a docker save archive: it has no manifest.json");
            }
            Object parsed = Json.parse(Files.readAllBytes(mf));
            if (!(parsed instanceof List<?> list)) {
                throw new IOException(tar + ": manifest.json is not a list");
            }
            @SuppressWarnings("unchecked")
            List<Map<String, Object>> entries = maps((List<Object>) list);
            Map<String, Object> chosen = null;
            List<String> tags = new ArrayList<>();
            for (Map<String, Object> e : entries) {
                for (String t : Json.strings(e, "RepoTags")) {
                    tags.add(t);
                    if (tag.isPresent() && tagMatches(t, tag.get())) {
                        chosen = e;
                    }
                }
            }
            if (chosen == null) {
                if (tag.isEmpty() && entries.size() == 1) {
                    chosen = entries.get(0);
                } else {
                    throw new IOException(tar + (tag.isEmpty() ? " holds " + entries.size() + " images: pick one with PATH:TAG"
                            : " has no image tagged '" + tag.get() + "'") + " (tags: " + tags + ")");
                }
            }
            Path configFile = inside(tmp, Json.str(chosen, "Config"));
            String configDigest;
            Optional<String> named = expectedDigest(Json.str(chosen, "Config"));
            try (InputStream in = Files.newInputStream(configFile)) {
                configDigest = store.blobs().put(in, named, OptionalLong.empty(),
                        "config " + Json.str(chosen, "Config") + " of " + tar);
            }
            List<String> diffIds = store.manifests().diffIds(configDigest);
            List<String> layerPaths = Json.strings(chosen, "Layers");
            if (layerPaths.size() != diffIds.size()) {
                throw new IOException(tar + ": " + layerPaths.size() + " layers but the config lists " + diffIds.size()
                        + " diff_ids");
            }
            List<Descriptor> layers = new ArrayList<>();
            for (int i = 0; i < layerPaths.size(); i++) {
                Path layer = inside(tmp, layerPaths.get(i));
                String digest = Digests.of(layer);
                String type = MediaTypes.LAYER_TAR;
                if (!digest.equals(diffIds.get(i))) {
                    String uncompressed = uncompressedDigest(layer);
                    if (!uncompressed.equals(diffIds.get(i))) {
                        throw new IOException("layer " + layerPaths.get(i) + " of " + tar + " has digest " + uncompressed
                                + " but the config says " + diffIds.get(i) + ": the archive is corrupt");
                    }
                    type = MediaTypes.LAYER_GZIP;
                }
                Descriptor d = new Descriptor(type, digest, Files.size(layer));
                try (InputStream in = Files.newInputStream(layer)) {
                    store.blobs().put(in, d, "layer " + layerPaths.get(i));
                }
                layers.add(d);
            }
            Descriptor config = new Descriptor(MediaTypes.CONFIG, configDigest, store.blobs().size(configDigest));
            return store.manifests().putManifest(config, layers);
        } finally {
            StoreFiles.deleteTree(tmp);
        }
    }

    /** A docker save archive names its config {@code HEX.json} or {@code blobs/sha256/HEX}: the name is its digest. */
    private static Optional<String> expectedDigest(String name) {
        String base = name.substring(name.lastIndexOf('/') + 1);
        if (base.endsWith(".json")) {
            base = base.substring(0, base.length() - 5);
        }
        return base.matches("[0-9a-f]{64}") ? Optional.of(Digests.SHA256 + base) : Optional.empty();
    }

    private static Path inside(Path dir, String name) throws IOException {
        Path p = dir.resolve(name).normalize();
        if (name.isEmpty() || !p.startsWith(dir) || !Files.isRegularFile(p, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            throw new IOException("the archive names '" + name + "', which is not a file in it");
        }
        return p;
    }

    private static String uncompressedDigest(Path layer) throws IOException {
        MessageDigest md = Digests.sha256();
        try (InputStream in = new DigestInputStream(Compression.decompress(
                new BufferedInputStream(Files.newInputStream(layer)), 256L << 20), md)) {
            in.transferTo(OutputStream.nullOutputStream());
        }
        return Digests.of(md);
    }
}
