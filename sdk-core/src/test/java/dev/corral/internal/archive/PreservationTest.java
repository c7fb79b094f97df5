package dev.corral.internal.archive;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarConstants;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What an extraction keeps: modes, times, links, special files, xattrs, ownership. */
class PreservationTest {
    private static final LinkOption NOFOLLOW = LinkOption.NOFOLLOW_LINKS;

    @TempDir
    Path tmp;

    private static boolean root() {
        return Native.geteuid() == 0;
    }

    private static int mode(Path p) throws IOException {
        return (Integer) Files.getAttribute(p, "unix:mode", NOFOLLOW) & 07777;
    }

    private static FileTime mtime(Path p) throws IOException {
        return Files.getLastModifiedTime(p, NOFOLLOW);
    }

    private Path target() throws IOException {
        return Files.createDirectories(tmp.resolve("t"));
    }

    private ExtractResult extract(byte[] tar, Path target, ExtractOptions o) throws IOException {
        return TarExtractor.extract(new ByteArrayInputStream(tar), target, o);
    }

    /** A tree with every kind of entry, modes that need care, and times on everything. */
    static byte[] richArchive() {
        TarBuilder b = new TarBuilder()
                .dir("./", 0755)
                .dir("bin", 0755)
                .file("bin/tool", "#!/bin/sh\necho hi\n".getBytes(StandardCharsets.UTF_8), 0755)
                .hardlink("bin/tool-again", "bin/tool")
                .file("bin/private", "p".getBytes(StandardCharsets.UTF_8), 0600)
                .dir("ro", 0555)
                .file("ro/inside", "under a read-only dir")
                .dir("tmp", 01777)
                .dir("locked", 0700)
                .file("locked/f", "f".getBytes(StandardCharsets.UTF_8), 0400)
                .symlink("abs", "/etc/passwd")
                .symlink("rel", "bin/tool")
                .symlink("dangling", "no/such/thing")
                .fifo("pipe", 0640)
                .file("empty", "");
        return b.build();
    }

    @Test
    void modesTimesSymlinksHardlinksAndFifos() throws IOException {
        Path t = target();
        ExtractResult r = extract(richArchive(), t, ExtractOptions.defaults());
        assertEquals(15, r.entries());
        assertEquals(mode(t.resolve("bin/tool")), 0755);
        assertEquals(mode(t.resolve("bin/private")), 0600);
        assertEquals(mode(t.resolve("ro")), 0555);
        assertEquals(mode(t.resolve("tmp")), 01777);
        assertEquals(mode(t.resolve("locked/f")), 0400);
        assertEquals("under a read-only dir", Files.readString(t.resolve("ro/inside")));
        assertEquals("/etc/passwd", Files.readSymbolicLink(t.resolve("abs")).toString());
        assertEquals("bin/tool", Files.readSymbolicLink(t.resolve("rel")).toString());
        assertEquals("no/such/thing", Files.readSymbolicLink(t.resolve("dangling")).toString());
        assertEquals(Files.getAttribute(t.resolve("bin/tool"), "unix:ino"), Files.getAttribute(t.resolve("bin/tool-again"), "unix:ino"));
        assertEquals(2, Files.getAttribute(t.resolve("bin/tool"), "unix:nlink"));
        assertTrue(Files.readAttributes(t.resolve("pipe"), java.nio.file.attribute.BasicFileAttributes.class, NOFOLLOW).isOther());
        assertEquals(Native.S_IFIFO, Native.lstatat(Native.AT_FDCWD, t.resolve("pipe").toString()).type());
        assertEquals(0640, mode(t.resolve("pipe")));
        FileTime expected = FileTime.from(TarBuilder.MTIME);
        // Directories last: their times survive the files written into them.
        for (String p : new String[] {"bin", "bin/tool", "ro", "ro/inside", "locked", "abs", "dangling", "pipe", "empty"}) {
            assertEquals(expected, mtime(t.resolve(p)), p);
        }
        assertEquals(expected, mtime(t), "the root's own entry ./");
    }

    @Test
    void sameTreeAsGnuTar() throws IOException, InterruptedException {
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/tar")), "GNU tar");
        byte[] tar = richArchive();
        Path archive = Files.write(tmp.resolve("a.tar"), tar);
        Path ours = target();
        extract(tar, ours, ExtractOptions.defaults());
        Path theirs = Files.createDirectories(tmp.resolve("gnu"));
        Process p = new ProcessBuilder("tar", "--numeric-owner", "-xpf", archive.toString(), "-C", theirs.toString())
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), out);
        assertEquals(tree(theirs), tree(ours));
    }

    /** Type, mode, owner, times, link target, content and hardlink groups of a tree. */
    static Map<String, String> tree(Path root) throws IOException {
        Map<String, String> m = new TreeMap<>();
        Map<Object, String> inodes = new TreeMap<>((a, b) -> a.toString().compareTo(b.toString()));
        List<Path> paths = new ArrayList<>();
        try (Stream<Path> s = Files.walk(root)) {
            s.sorted().forEach(paths::add);
        }
        for (Path p : paths) {
            String rel = root.relativize(p).toString();
            Native.Stat st = Native.lstatat(Native.AT_FDCWD, p.toString());
            String desc = Integer.toOctalString(st.mode()) + " " + st.uid() + ":" + st.gid()
                    + " mtime=" + st.mtimeSeconds() + "." + st.mtimeNanos();
            if (st.isSymlink()) {
                desc += " -> " + Files.readSymbolicLink(p);
            } else if (st.isRegular()) {
                desc += " " + Sandbox.digest(Files.readAllBytes(p));
                String first = inodes.putIfAbsent(st.ino(), rel);
                if (first != null) {
                    desc += " linked to " + first;
                }
            } else if (!st.isDirectory()) {
                desc += " dev=" + st.rdevMajor() + ":" + st.rdevMinor();
            }
            m.put(rel, desc);
        }
        return m;
    }

    @Test
    void setuidKeptWhenAllowed() throws IOException {
        Path t = target();
        byte[] tar = new TarBuilder()
                .file("su", "x".getBytes(StandardCharsets.UTF_8), 04755)
                .file("sg", "x".getBytes(StandardCharsets.UTF_8), 02711)
                .dir("shared", 02775)
                .build();
        ExtractResult r = extract(tar, t, ExtractOptions.builder().allowSetuid(true).build());
        assertEquals(04755, mode(t.resolve("su")));
        assertEquals(02711, mode(t.resolve("sg")));
        assertEquals(02775, mode(t.resolve("shared")));
        assertEquals(List.of(), r.warnings());
        Path t2 = Files.createDirectories(tmp.resolve("t2"));
        extract(tar, t2, ExtractOptions.defaults());
        assertEquals(0755, mode(t2.resolve("su")));
        assertEquals(02775, mode(t2.resolve("shared")), "setgid on a directory only sets the group of new files");
    }

    @Test
    void xattrsWithBinaryValues() throws IOException {
        Path t = target();
        // A v2 file capability: cap_setuid (bit 7) and cap_net_raw (bit 13) permitted and effective.
        String cap = new String(new byte[] {1, 0, 0, 2, (byte) 0x80, 0x20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0},
                StandardCharsets.ISO_8859_1);
        byte[] tar = new TarBuilder()
                .file("f", "x", Map.of("user.text", "hello", "user.bin", "\u00ff\u0000\u0080"))
                .file("cap", "x", Map.of("security.capability", cap))
                .file("sel", "x", Map.of("security.selinux", "system_u:object_r:etc_t:s0"))
                .file("ovl", "x", Map.of("trusted.overlay.redirect", "/elsewhere", "user.overlay.opaque", "y"))
                .file("tru", "x", Map.of("trusted.note", "t"))
                .build();
        // Write binary values through Go-style raw PAX records: patch the archive so that the
        // ISO-8859-1 characters above become single bytes, as Go's archive/tar writes them.
        tar = rawPaxValues(tar);
        ExtractResult r = extract(tar, t, ExtractOptions.builder().allowSetuid(true).build());
        String f = t.resolve("f").toString();
        assertArrayEquals("hello".getBytes(StandardCharsets.UTF_8), Native.lgetxattr(f, "user.text"));
        assertArrayEquals(new byte[] {(byte) 0xff, 0, (byte) 0x80}, Native.lgetxattr(f, "user.bin"));
        if (root()) {
            assertArrayEquals(cap.getBytes(StandardCharsets.ISO_8859_1), Native.lgetxattr(t.resolve("cap").toString(), "security.capability"));
            assertArrayEquals(new byte[] {'t'}, Native.lgetxattr(t.resolve("tru").toString(), "trusted.note"));
        }
        assertNull(Native.lgetxattr(t.resolve("sel").toString(), "security.selinux"));
        assertNull(Native.lgetxattr(t.resolve("ovl").toString(), "trusted.overlay.redirect"));
        assertNull(Native.lgetxattr(t.resolve("ovl").toString(), "user.overlay.opaque"));
        assertEquals(3, r.warnings().size(), r.warnings().toString());

        Path t2 = Files.createDirectories(tmp.resolve("t2"));
        ExtractResult r2 = extract(tar, t2, ExtractOptions.builder().privileged(false).build());
        assertNull(Native.lgetxattr(t2.resolve("tru").toString(), "trusted.note"));
        assertNull(Native.lgetxattr(t2.resolve("cap").toString(), "security.capability"));
        assertTrue(r2.warnings().stream().anyMatch(w -> w.contains("trusted.note")), r2.warnings().toString());
    }

    /**
     * commons-compress writes PAX values as UTF-8; Go and GNU tar write xattr values as raw
     * bytes. Re-encode each PAX header block's values from UTF-8 to ISO-8859-1 bytes, fixing the
     * record lengths and the header's size and checksum.
     */
    static byte[] rawPaxValues(byte[] tar) throws IOException {
        var in = new org.apache.commons.compress.archivers.tar.TarArchiveInputStream(new ByteArrayInputStream(tar));
        var outBytes = new java.io.ByteArrayOutputStream();
        var out = new org.apache.commons.compress.archivers.tar.TarArchiveOutputStream(outBytes);
        out.setLongFileMode(org.apache.commons.compress.archivers.tar.TarArchiveOutputStream.LONGFILE_POSIX);
        TarArchiveEntry e;
        while ((e = in.getNextEntry()) != null) {
            byte[] data = in.readAllBytes();
            Map<String, String> x = new TreeMap<>(e.getExtraPaxHeaders());
            TarArchiveEntry copy = new TarArchiveEntry(e.getName(), linkFlagOf(e), true);
            copy.setMode(e.getMode());
            copy.setSize(data.length);
            copy.setLastModifiedTime(e.getLastModifiedTime());
            copy.setLinkName(e.getLinkName());
            if (!x.isEmpty()) {
                StringBuilder records = new StringBuilder();
                java.io.ByteArrayOutputStream raw = new java.io.ByteArrayOutputStream();
                for (var kv : x.entrySet()) {
                    byte[] k = kv.getKey().getBytes(StandardCharsets.UTF_8);
                    byte[] v = kv.getValue().getBytes(StandardCharsets.ISO_8859_1);
                    int body = 1 + k.length + 1 + v.length + 1;
                    int len = body + Integer.toString(body).length();
                    if (Integer.toString(len).length() != Integer.toString(body).length()) {
                        len++;
                    }
                    raw.write((len + " ").getBytes(StandardCharsets.UTF_8));
                    raw.write(k);
                    raw.write('=');
                    raw.write(v);
                    raw.write('\n');
                }
                TarArchiveEntry pax = new TarArchiveEntry("PaxHeaders/" + e.getName(), TarConstants.LF_PAX_EXTENDED_HEADER_LC, true);
                pax.setSize(raw.size());
                out.putArchiveEntry(pax);
                out.write(raw.toByteArray());
                out.closeArchiveEntry();
                records.setLength(0);
            }
            out.putArchiveEntry(copy);
            out.write(data);
            out.closeArchiveEntry();
        }
        out.finish();
        out.close();
        return outBytes.toByteArray();
    }

    private static byte linkFlagOf(TarArchiveEntry e) {
        return e.isDirectory() ? TarConstants.LF_DIR : e.isSymbolicLink() ? TarConstants.LF_SYMLINK : TarConstants.LF_NORMAL;
    }

    @Test
    void ownershipAsRoot() throws IOException {
        assumeTrue(root(), "chown to other ids needs root");
        Path t = target();
        TarBuilder b = new TarBuilder();
        TarArchiveEntry f = TarBuilder.entry("f", TarConstants.LF_NORMAL);
        f.setIds(1234, 5678);
        f.setMode(04755);
        b.add(f, null);
        TarArchiveEntry d = TarBuilder.entry("d", TarConstants.LF_DIR);
        d.setIds(42, 43);
        d.setMode(0750);
        b.add(d, null);
        TarArchiveEntry l = TarBuilder.entry("d/l", TarConstants.LF_SYMLINK);
        l.setLinkName("/nowhere");
        l.setIds(7, 8);
        b.add(l, null);
        byte[] tar = b.build();
        extract(tar, t, ExtractOptions.builder().allowSetuid(true).build());
        assertIds(t.resolve("f"), 1234, 5678);
        assertEquals(04755, mode(t.resolve("f")), "setuid applied after chown, which clears it");
        assertIds(t.resolve("d"), 42, 43);
        assertIds(t.resolve("d/l"), 7, 8);

        Path shifted = Files.createDirectories(tmp.resolve("shifted"));
        extract(tar, shifted, ExtractOptions.builder().shiftIds(100_000, 65_536).build());
        assertIds(shifted.resolve("f"), 101_234, 105_678);
        assertIds(shifted.resolve("d/l"), 100_007, 100_008);

        Path narrow = Files.createDirectories(tmp.resolve("narrow"));
        ArchiveException e = assertThrows(ArchiveException.class,
                () -> extract(tar, narrow, ExtractOptions.builder().shiftIds(100_000, 1000).build()));
        assertTrue(e.getMessage().contains("uid 1234 has no mapping"), e.getMessage());

        Path mine = Files.createDirectories(tmp.resolve("mine"));
        extract(tar, mine, ExtractOptions.builder().preserveOwnership(false).build());
        assertIds(mine.resolve("f"), 0, 0);
    }

    private static void assertIds(Path p, int uid, int gid) throws IOException {
        Native.Stat st = Native.lstatat(Native.AT_FDCWD, p.toString());
        assertEquals(uid + ":" + gid, st.uid() + ":" + st.gid(), p.toString());
    }

    @Test
    void deviceNodesAsRoot() throws IOException {
        assumeTrue(root(), "mknod needs root");
        Path t = target();
        byte[] tar = new TarBuilder()
                .device("null", TarConstants.LF_CHR, 1, 3)
                .device("big", TarConstants.LF_CHR, 300, 70_000)
                .device("loop", TarConstants.LF_BLK, 7, 0)
                .build();
        ExtractResult r = extract(tar, t, ExtractOptions.defaults());
        Native.Stat n = Native.lstatat(Native.AT_FDCWD, t.resolve("null").toString());
        if (r.warnings().stream().anyMatch(w -> w.contains("mknod not permitted"))) {
            // A root without CAP_MKNOD (a container): skipped with a warning, never an error.
            return;
        }
        assertEquals(Native.S_IFCHR, n.type());
        assertEquals("1:3", n.rdevMajor() + ":" + n.rdevMinor());
        assertEquals(0620, n.mode() & 07777);
        Native.Stat big = Native.lstatat(Native.AT_FDCWD, t.resolve("big").toString());
        assertEquals("300:70000", big.rdevMajor() + ":" + big.rdevMinor());
        assertEquals(Native.S_IFBLK, Native.lstatat(Native.AT_FDCWD, t.resolve("loop").toString()).type());
    }

    @Test
    void laterEntriesReplaceEarlierOnes() throws IOException {
        Path t = target();
        byte[] tar = new TarBuilder()
                .file("x", "first")
                .file("x", "second")
                .dir("d")
                .file("d/f", "f")
                .file("d", "now a file")
                .file("y", "file")
                .dir("y")
                .build();
        extract(tar, t, ExtractOptions.defaults());
        assertEquals("second", Files.readString(t.resolve("x")));
        assertEquals("now a file", Files.readString(t.resolve("d")));
        assertTrue(Files.isDirectory(t.resolve("y"), NOFOLLOW));
    }
}
