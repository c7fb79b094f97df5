package dev.corral.internal.archive;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.Map;

import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;

/** Builds tar archives in memory for tests, hostile ones included. */
final class TarBuilder {
    /** With 100 ns precision: commons-compress writes PAX times in units of 100 ns. */
    static final Instant MTIME = Instant.parse("2021-03-04T05:06:07.1234567Z");

    private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    private final TarArchiveOutputStream out = new TarArchiveOutputStream(bytes, StandardCharsets.UTF_8.name());

    TarBuilder() {
        out.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
        out.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
        out.setAddPaxHeadersForNonAsciiNames(true);
    }

    static TarArchiveEntry entry(String name, byte type) {
        TarArchiveEntry e = new TarArchiveEntry(name, type, true);
        e.setLastModifiedTime(FileTime.from(MTIME));
        e.setIds(0, 0);
        return e;
    }

    TarBuilder add(TarArchiveEntry e, byte[] data) {
        try {
            out.putArchiveEntry(e);
            if (data != null) {
                out.write(data);
            }
            out.closeArchiveEntry();
            return this;
        } catch (IOException x) {
            throw new UncheckedIOException(x);
        }
    }

    TarBuilder dir(String name, int mode) {
        TarArchiveEntry e = entry(name, TarConstants.LF_DIR);
        e.setMode(mode);
        return add(e, null);
    }

    TarBuilder dir(String name) {
        return dir(name, 0755);
    }

    TarBuilder file(String name, String content) {
        return file(name, content.getBytes(StandardCharsets.UTF_8), 0644);
    }

    TarBuilder file(String name, byte[] content, int mode) {
        TarArchiveEntry e = entry(name, TarConstants.LF_NORMAL);
        e.setMode(mode);
        e.setSize(content.length);
        return add(e, content);
    }

    TarBuilder file(String name, String content, Map<String, String> xattrs) {
        byte[] data = content.getBytes(StandardCharsets.UTF_8);
        TarArchiveEntry e = entry(name, TarConstants.LF_NORMAL);
        e.setMode(0644);
        e.setSize(data.length);
        xattrs.forEach((k, v) -> e.addPaxHeader("SCHILY.xattr." + k, v));
        return add(e, data);
    }

    TarBuilder symlink(String name, String target) {
        TarArchiveEntry e = entry(name, TarConstants.LF_SYMLINK);
        e.setLinkName(target);
        e.setMode(0777);
        return add(e, null);
    }

    TarBuilder hardlink(String name, String target) {
        TarArchiveEntry e = entry(name, TarConstants.LF_LINK);
        e.setLinkName(target);
        return add(e, null);
    }

    TarBuilder fifo(String name, int mode) {
        TarArchiveEntry e = entry(name, TarConstants.LF_FIFO);
        e.setMode(mode);
        return add(e, null);
    }

    TarBuilder device(String name, byte type, int major, int minor) {
        TarArchiveEntry e = entry(name, type);
        e.setMode(0620);
        e.setDevMajor(major);
        e.setDevMinor(minor);
        return add(e, null);
    }

    byte[] build() {
        try {
            out.finish();
            out.close();
            return bytes.toByteArray();
        } catch (IOException x) {
            throw new UncheckedIOException(x);
        }
    }
}
