package dev.corral.internal.build;

import dev.corral.image.ImageStore;
import dev.corral.internal.archive.Compression;
import dev.corral.internal.image.BuildStorage;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;

/**
 * Writes a store image out: as an OCI image layout (blobs copied, the manifest added to
 * {@code index.json} under its tag) or as a {@code docker save} archive (layers as plain tars).
 */
public final class ImageExport {
    private static final String REF_NAME = "org.opencontainers.image.ref.name";

    private ImageExport() {}

    /** @param name an image name @return it with {@code :latest} when it has no tag */
    public static String normalize(String name) {
        int slash = name.lastIndexOf('/');
        int colon = name.lastIndexOf(':');
        return colon > slash ? name : name + ":latest";
    }

    private static String tagOf(String name) {
        String n = normalize(name);
        return n.substring(n.lastIndexOf(':') + 1);
    }

    /** @param store the store @param name a name @param digest the manifest to give it */
    public static void tag(ImageStore store, String name, String digest) {
        BuildStorage.of(store).tag(name, digest);
    }

    /**
     * Adds the image to an OCI layout, creating the layout when missing; an entry with the same
     * tag is replaced.
     */
    public static void ociLayout(ImageStore store, String digest, Optional<String> name, Path dir) throws IOException {
        BuildStorage s = BuildStorage.of(store);
        Path blobs = Files.createDirectories(dir.resolve("blobs/sha256"));
        Path layout = dir.resolve("oci-layout");
        if (!Files.exists(layout)) {
            Files.writeString(layout, "{\"imageLayoutVersion\":\"1.0.0\"}");
        }
        List<String> all = new ArrayList<>();
        all.add(digest);
        Map<String, Object> manifest = map(BuildStorage.parseJson(s.blob(digest)));
        all.add(String.valueOf(map(manifest.get("config")).get("digest")));
        for (Map<String, Object> l : s.layers(digest)) {
            all.add(String.valueOf(l.get("digest")));
        }
        for (String d : all) {
            Path to = blobs.resolve(d.substring("sha256:".length()));
            if (!Files.exists(to)) {
                Path tmp = blobs.resolve(".tmp-" + UUID.randomUUID());
                Files.copy(s.blobPath(d), tmp);
                Files.move(tmp, to, StandardCopyOption.ATOMIC_MOVE);
            }
        }
        Path indexFile = dir.resolve("index.json");
        Map<String, Object> index = Files.exists(indexFile) ? map(BuildStorage.parseJson(Files.readAllBytes(indexFile)))
                : new LinkedHashMap<>();
        index.put("schemaVersion", 2);
        List<Object> manifests = new ArrayList<>();
        String tag = name.map(ImageExport::tagOf).orElse(null);
        if (index.get("manifests") instanceof List<?> l) {
            for (Object o : l) {
                Object ann = o instanceof Map<?, ?> m ? m.get("annotations") : null;
                Object ref = ann instanceof Map<?, ?> a ? a.get(REF_NAME) : null;
                if (tag == null || !tag.equals(ref)) {
                    manifests.add(o);
                }
            }
        }
        Map<String, Object> d = new LinkedHashMap<>();
        d.put("mediaType", "application/vnd.oci.image.manifest.v1+json");
        d.put("digest", digest);
        d.put("size", Files.size(s.blobPath(digest)));
        if (tag != null) {
            d.put("annotations", Map.of(REF_NAME, tag));
        }
        manifests.add(d);
        index.put("manifests", manifests);
        Path tmp = dir.resolve(".index-" + UUID.randomUUID());
        Files.write(tmp, BuildStorage.writeJson(index));
        Files.move(tmp, indexFile, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    /** Writes a {@code docker save} archive of the image (replacing the file). */
    public static void dockerArchive(ImageStore store, String digest, Optional<String> name, Path file) throws IOException {
        BuildStorage s = BuildStorage.of(store);
        Map<String, Object> manifest = map(BuildStorage.parseJson(s.blob(digest)));
        String configDigest = String.valueOf(map(manifest.get("config")).get("digest"));
        String configName = configDigest.substring("sha256:".length()) + ".json";
        Path tmp = file.toAbsolutePath().resolveSibling("." + file.getFileName() + "-" + UUID.randomUUID());
        List<String> layerNames = new ArrayList<>();
        try {
            try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(tmp), 65536);
                 TarArchiveOutputStream tar = new TarArchiveOutputStream(out)) {
                tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
                tar.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
                entry(tar, configName, s.blob(configDigest));
                List<?> diffIds = (List<?>) map(map(BuildStorage.parseJson(s.blob(configDigest))).get("rootfs")).get("diff_ids");
                List<Map<String, Object>> layers = s.layers(digest);
                for (int i = 0; i < layers.size(); i++) {
                    String diffId = String.valueOf(diffIds.get(i));
                    String n = diffId.substring("sha256:".length()) + "/layer.tar";
                    if (layerNames.contains(n)) {
                        continue;
                    }
                    layerNames.add(n);
                    Path plain = Files.createTempFile(tmp.getParent(), ".layer-", ".tar");
                    try {
                        try (InputStream in = Compression.decompress(Files.newInputStream(
                                s.blobPath(String.valueOf(layers.get(i).get("digest")))), 256L << 20)) {
                            Files.copy(in, plain, StandardCopyOption.REPLACE_EXISTING);
                        }
                        TarArchiveEntry e = new TarArchiveEntry(n);
                        e.setSize(Files.size(plain));
                        tar.putArchiveEntry(e);
                        Files.copy(plain, tar);
                        tar.closeArchiveEntry();
                    } finally {
                        Files.deleteIfExists(plain);
                    }
                }
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("Config", configName);
                m.put("RepoTags", name.map(x -> List.of(normalize(x))).orElse(List.of()));
                m.put("Layers", layerNames);
                entry(tar, "manifest.json", BuildStorage.writeJson(List.of(m)));
                tar.finish();
            }
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    private static void entry(TarArchiveOutputStream tar, String name, byte[] bytes) throws IOException {
        TarArchiveEntry e = new TarArchiveEntry(name);
        e.setSize(bytes.length);
        tar.putArchiveEntry(e);
        tar.write(bytes);
        tar.closeArchiveEntry();
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> map(Object o) {
        return (Map<String, Object>) o;
    }
}
