package dev.corral.internal.build;

import dev.corral.internal.archive.Xattrs;
import dev.corral.internal.image.BuildStorage;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;

/**
 * An image's file tree read straight from its unpacked layers (overlay form, top first), as
 * overlayfs would show it: a 0/0 character device hides what lies below, a non-directory hides
 * everything under its path, an opaque directory hides the lower copies of its contents.
 */
final class LayerView {
    private static final int S_IFMT = 0170000, S_IFCHR = 0020000;

    private final List<Path> lowers;
    private final Map<Path, int[]> owners;
    private final Map<Path, Integer> modes;

    LayerView(List<Path> lowers) {
        this(lowers, Map.of(), Map.of());
    }

    private LayerView(List<Path> lowers, Map<Path, int[]> owners, Map<Path, Integer> modes) {
        this.lowers = List.copyOf(lowers);
        this.owners = owners;
        this.modes = modes;
    }

    /**
     * @param copied some of an image's files, copied out of the user namespace as this process's own
     * @return the image's view of them, with the owners and modes they have in the image
     */
    static LayerView copied(BuildStorage.Copied copied) {
        return new LayerView(copied.lowers(), copied.owners(), copied.modes());
    }

    /**
     * @param rel a path relative to the image's root, '/'-separated, "" for the root
     * @return the topmost entry for it on the host, if the image has it
     */
    Optional<Path> find(String rel) throws IOException {
        String[] parts = rel.isEmpty() ? new String[0] : rel.split("/");
        for (Path layer : lowers) {
            boolean stop = false;
            Path p = layer;
            for (int i = 0; i < parts.length; i++) {
                p = p.resolve(parts[i]);
                if (!exists(p)) {
                    break;
                }
                if (isWhiteout(p)) {
                    return Optional.empty();
                }
                if (i == parts.length - 1) {
                    return Optional.of(p);
                }
                if (!Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
                    return Optional.empty(); /* a file or symlink where a directory would be */
                }
                if (isOpaque(p)) {
                    stop = true;
                }
            }
            if (parts.length == 0 && Files.isDirectory(layer)) {
                return Optional.of(layer);
            }
            if (stop) {
                return Optional.empty();
            }
        }
        return Optional.empty();
    }

    /**
     * @param rel a directory's path relative to the root
     * @return the names in it, sorted
     */
    List<String> list(String rel) throws IOException {
        TreeSet<String> names = new TreeSet<>();
        TreeSet<String> hidden = new TreeSet<>();
        String[] parts = rel.isEmpty() ? new String[0] : rel.split("/");
        for (Path layer : lowers) {
            Path p = layer;
            boolean present = true;
            boolean stop = false;
            for (String part : parts) {
                p = p.resolve(part);
                if (!exists(p)) {
                    present = false;
                    break;
                }
                if (isWhiteout(p) || !Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
                    return List.copyOf(names);
                }
                if (isOpaque(p)) {
                    stop = true;
                }
            }
            if (present) {
                try (DirectoryStream<Path> ds = Files.newDirectoryStream(p)) {
                    for (Path c : ds) {
                        String n = c.getFileName().toString();
                        if (hidden.contains(n)) {
                            continue;
                        }
                        if (isWhiteout(c)) {
                            hidden.add(n);
                        } else {
                            names.add(n);
                            if (!Files.isDirectory(c, LinkOption.NOFOLLOW_LINKS)) {
                                hidden.add(n);
                            }
                        }
                    }
                }
            }
            if (stop) {
                break;
            }
        }
        return List.copyOf(names);
    }

    /**
     * The owner an entry has in the image: its host owner as the containers' user namespace maps
     * it (as root, the same), or, for a copy out of the namespace, the owner it was copied from.
     *
     * @param rel     the entry's path
     * @param hostUid its owner in the unpacked layer
     * @param hostGid its group there
     * @return uid and gid in the image
     */
    int[] owner(String rel, int hostUid, int hostGid) throws IOException {
        int[] copied = owners.isEmpty() ? null : find(rel).map(owners::get).orElse(null);
        return copied != null ? copied : BuildStorage.containerIds(hostUid, hostGid);
    }

    /**
     * @param rel      the entry's path
     * @param hostMode its permission bits in the unpacked layer
     * @return its permission bits in the image (for a copy out of the namespace, the original's)
     */
    int mode(String rel, int hostMode) throws IOException {
        return modes.isEmpty() ? hostMode : find(rel).map(modes::get).orElse(hostMode);
    }

    /**
     * Whether an entry exists; unlike {@link Files#exists}, an entry this process may not look
     * at (a rootless caller, under another container user's 0700 directory) is an error, not an
     * absence, so that a COPY --from reads it another way rather than missing it.
     */
    private static boolean exists(Path p) throws IOException {
        try {
            Files.readAttributes(p, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            return true;
        } catch (NoSuchFileException e) {
            return false;
        }
    }

    static boolean isWhiteout(Path p) throws IOException {
        Map<String, Object> a = Files.readAttributes(p, "unix:mode,rdev", LinkOption.NOFOLLOW_LINKS);
        return (((Integer) a.get("mode")) & S_IFMT) == S_IFCHR && ((Long) a.get("rdev")) == 0;
    }

    static boolean isOpaque(Path p) throws IOException {
        for (String x : List.of("trusted.overlay.opaque", "user.overlay.opaque")) {
            Optional<byte[]> v = Xattrs.get(p, x);
            if (v.isPresent() && new String(v.get(), java.nio.charset.StandardCharsets.UTF_8).equals("y")) {
                return true;
            }
        }
        return false;
    }
}
