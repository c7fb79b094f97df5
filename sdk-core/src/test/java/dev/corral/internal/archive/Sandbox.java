package dev.corral.internal.archive;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributes;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * A base directory with a target to extract into and sentinel files around it: {@code outside/}
 * beside the target (a secret file, a directory, a symlink) and a file in the base itself.
 * {@link #outsideSnapshot()} describes everything under the base except the target, so a test
 * can prove an extraction wrote nothing outside.
 */
final class Sandbox {
    final Path base;
    final Path target;
    final Path outside;

    Sandbox(Path base) {
        try {
            this.base = base;
            this.target = Files.createDirectory(base.resolve("target"));
            this.outside = Files.createDirectory(base.resolve("outside"));
            Files.writeString(outside.resolve("secret"), "secret\n");
            Files.createDirectory(outside.resolve("etc"));
            Files.writeString(outside.resolve("etc/passwd"), "root:x:0:0::/root:/bin/sh\n");
            Files.createSymbolicLink(outside.resolve("link"), Path.of("secret"));
            Files.writeString(base.resolve("beside"), "beside\n");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    ExtractResult extract(byte[] tar, ExtractOptions options) throws IOException {
        return TarExtractor.extract(new ByteArrayInputStream(tar), target, options);
    }

    /** Type, mode, owner, size, mtime, link count, and content digest or link target of every path but the target's. */
    Map<String, String> outsideSnapshot() {
        return snapshot(base, target);
    }

    static Map<String, String> snapshot(Path root, Path exclude) {
        Map<String, String> m = new TreeMap<>();
        try (Stream<Path> s = Files.walk(root)) {
            for (Path p : (Iterable<Path>) s::iterator) {
                if (exclude != null && p.startsWith(exclude) && !p.equals(exclude)) {
                    continue;
                }
                m.put(root.relativize(p).toString(), describe(p, p.equals(exclude)));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return m;
    }

    static String describe(Path p, boolean typeOnly) {
        try {
            PosixFileAttributes a = Files.readAttributes(p, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            if (typeOnly) {
                return a.isDirectory() ? "dir" : "not a dir";
            }
            String kind = a.isSymbolicLink() ? "link " + Files.readSymbolicLink(p)
                    : a.isDirectory() ? "dir"
                    : a.isRegularFile() ? "file " + digest(Files.readAllBytes(p)) : "other";
            Object nlink = Files.getAttribute(p, "unix:nlink", LinkOption.NOFOLLOW_LINKS);
            Object mode = Files.getAttribute(p, "unix:mode", LinkOption.NOFOLLOW_LINKS);
            return kind + " mode=" + Integer.toOctalString((Integer) mode) + " nlink=" + nlink
                    + " owner=" + a.owner().getName() + " mtime=" + a.lastModifiedTime();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static String digest(byte[] data) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data)).substring(0, 16);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    static String read(Path p) throws IOException {
        return Files.readString(p, StandardCharsets.UTF_8);
    }
}
