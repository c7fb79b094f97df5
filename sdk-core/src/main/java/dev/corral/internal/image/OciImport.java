package dev.corral.internal.image;

import dev.corral.internal.archive.Compression;
import dev.corral.internal.archive.ExtractOptions;
import dev.corral.internal.archive.TarExtractor;
import dev.corral.internal.image.Store.Descriptor;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

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

    static String fromLayout(Store store, Path dir, String tag) throws IOException {
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
            if (tag != null && (name.equals(tag) || name.endsWith(":" + tag))) {
                chosen = d;
            }
        }
        if (chosen == null) {
            if (tag == null && manifests.size() == 1) {
                chosen = manifests.get(0);
            } else if (tag == null && tags.contains("latest")) {
                chosen = manifests.get(tags.indexOf("latest"));
            } else {
                throw new IOException(dir + (tag == null ? " holds " + manifests.size() + " images: pick one with PATH:TAG"
                        : " has no image tagged '" + tag + "'") + " (tags: " + tags + ")");
            }
        }
        return manifest(store, dir, Store.descriptor(chosen), 0);
    }

    private static byte[] layoutBlob(Store store, Path dir, Descriptor d) throws IOException {
        Path p = dir.resolve("blobs/sha256").resolve(Store.hex(d.digest()));
        try (InputStream in = Files.newInputStream(p)) {
            store.putBlob(in, d.digest(), d.size(), "blob " + d.digest() + " of " + dir);
        }
        return store.blob(d.digest());
    }

    private static String manifest(Store store, Path dir, Descriptor d, int depth) throws IOException {
        if (depth > 4) {
            throw new IOException(dir + ": image indexes nested too deep");
        }
        byte[] bytes = layoutBlob(store, dir, d);
        Map<String, Object> m = Json.object(bytes, "manifest " + d.digest());
        String type = d.mediaType().isEmpty() ? Json.str(m, "mediaType") : d.mediaType();
        if (type.equals(Store.INDEX_TYPE) || type.equals(Store.DOCKER_LIST) || m.containsKey("manifests")) {
            String arch = Store.arch();
            List<String> seen = new ArrayList<>();
            for (Map<String, Object> e : maps(Json.list(m, "manifests"))) {
                Map<String, Object> p = Json.obj(e, "platform");
                String os = Json.str(p, "os");
                String a = Json.str(p, "architecture");
                seen.add(os + "/" + a);
                if (p.isEmpty() || ((os.isEmpty() || os.equals("linux")) && a.equals(arch))) {
                    return manifest(store, dir, Store.descriptor(e), depth + 1);
                }
            }
            throw new IOException("image index " + d.digest() + " in " + dir + " has no manifest for linux/" + arch
                    + " (it has " + seen + ")");
        }
        Store.Manifest man = store.manifest(d.digest());
        layoutBlob(store, dir, man.config());
        for (Descriptor l : man.layers()) {
            Path p = dir.resolve("blobs/sha256").resolve(Store.hex(l.digest()));
            if (!Files.exists(store.blobPath(l.digest()))) {
                try (InputStream in = Files.newInputStream(p)) {
                    store.putBlob(in, l.digest(), l.size(), "layer " + l.digest() + " of " + dir);
                }
            }
        }
        return d.digest();
    }

    static String fromDockerArchive(Store store, Path tar, String tag) throws IOException {
        Path tmp = store.root().resolve("tmp").resolve("docker-" + java.util.UUID.randomUUID());
        Files.createDirectory(tmp);
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
                    if (tag != null && (t.equals(tag) || t.endsWith(":" + tag))) {
                        chosen = e;
                    }
                }
            }
            if (chosen == null) {
                if (tag == null && entries.size() == 1) {
                    chosen = entries.get(0);
                } else {
                    throw new IOException(tar + (tag == null ? " holds " + entries.size() + " images: pick one with PATH:TAG"
                            : " has no image tagged '" + tag + "'") + " (tags: " + tags + ")");
                }
            }
            Path configFile = inside(tmp, Json.str(chosen, "Config"));
            String configDigest;
            String named = expectedDigest(Json.str(chosen, "Config"));
            try (InputStream in = Files.newInputStream(configFile)) {
                configDigest = store.putBlob(in, named, -1, "config " + Json.str(chosen, "Config") + " of " + tar);
            }
            List<String> diffIds = store.diffIds(new Store.Manifest(new Descriptor("", configDigest, 0), List.of(), Map.of()));
            List<String> layerPaths = Json.strings(chosen, "Layers");
            if (layerPaths.size() != diffIds.size()) {
                throw new IOException(tar + ": " + layerPaths.size() + " layers but the config lists " + diffIds.size()
                        + " diff_ids");
            }
            List<Object> layers = new ArrayList<>();
            for (int i = 0; i < layerPaths.size(); i++) {
                Path layer = inside(tmp, layerPaths.get(i));
                String digest = Store.digestOf(layer);
                String type = Store.LAYER_TAR;
                if (!digest.equals(diffIds.get(i))) {
                    String uncompressed = uncompressedDigest(layer);
                    if (!uncompressed.equals(diffIds.get(i))) {
                        throw new IOException("layer " + layerPaths.get(i) + " of " + tar + " has digest " + uncompressed
                                + " but the config says " + diffIds.get(i) + ": the archive is corrupt");
                    }
                    type = Store.LAYER_GZIP;
                }
                try (InputStream in = Files.newInputStream(layer)) {
                    store.putBlob(in, digest, Files.size(layer), "layer " + layerPaths.get(i));
                }
                Map<String, Object> d = new LinkedHashMap<>();
                d.put("mediaType", type);
                d.put("digest", digest);
                d.put("size", Files.size(layer));
                layers.add(d);
            }
            Map<String, Object> config = new LinkedHashMap<>();
            config.put("mediaType", Store.CONFIG_TYPE);
            config.put("digest", configDigest);
            config.put("size", Files.size(store.blobPath(configDigest)));
            Map<String, Object> manifest = new LinkedHashMap<>();
            manifest.put("schemaVersion", 2L);
            manifest.put("mediaType", Store.MANIFEST_TYPE);
            manifest.put("config", config);
            manifest.put("layers", layers);
            return store.putBlob(Json.write(manifest));
        } finally {
            Store.deleteTree(tmp);
        }
    }

    /** A docker save archive names its config {@code HEX.json} or {@code blobs/sha256/HEX}: the name is its digest. */
    private static String expectedDigest(String name) {
        String base = name.substring(name.lastIndexOf('/') + 1);
        if (base.endsWith(".json")) {
            base = base.substring(0, base.length() - 5);
        }
        return base.matches("[0-9a-f]{64}") ? Store.SHA256 + base : null;
    }

    private static Path inside(Path dir, String name) throws IOException {
        Path p = dir.resolve(name).normalize();
        if (name.isEmpty() || !p.startsWith(dir) || !Files.isRegularFile(p, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            throw new IOException("the archive names '" + name + "', which is not a file in it");
        }
        return p;
    }

    private static String uncompressedDigest(Path layer) throws IOException {
        MessageDigest md = Store.sha256();
        try (InputStream in = new DigestInputStream(Compression.decompress(
                new BufferedInputStream(Files.newInputStream(layer)), 256L << 20), md)) {
            in.transferTo(OutputStream.nullOutputStream());
        }
        return Store.SHA256 + HexFormat.of().formatHex(md.digest());
    }
}
