package dev.corral.internal.archive;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
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
import java.util.Map;


import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** OCI whiteouts: applied onto a tree, and converted to overlayfs form. */
class WhiteoutTest {
    @TempDir
    Path tmp;

    static byte[] lower(Path outside) {
        return new TarBuilder()
                .dir("a").file("a/x", "x").file("a/y", "y")
                .dir("b").dir("b/sub").file("b/sub/deep", "deep")
                .dir("c").file("c/old1", "old").dir("c/olddir").file("c/olddir/f", "f")
                .dir("d").file("d/old", "old")
                .symlink("out", outside.toString())
                .symlink("outdir", outside.toString())
                .file("keep", "keep")
                .build();
    }

    static byte[] upper() {
        return upper(true);
    }

    /**
     * @param throughMissingOrSymlinkedParents add whiteouts under a missing directory and under a
     *        lower layer's symlink: a separate overlay layer must create those parents as
     *        directories (which then show in the merged tree), so they are left out where the
     *        two modes are compared
     */
    static byte[] upper(boolean throughMissingOrSymlinkedParents) {
        TarBuilder b = new TarBuilder()
                .file("a/.wh.x", "")
                .file(".wh.b", "")
                .dir("c")
                .file("c/.wh..wh..opq", "")
                .file("c/new", "new")
                .dir("d")
                .file("d/new", "new")
                .file("d/.wh..wh..opq", "")
                .file(".wh.out", "")
                .file("a/.wh..wh.plnk", "");
        if (throughMissingOrSymlinkedParents) {
            b.file("outdir/.wh.secret", "").file("nothere/.wh.ghost", "");
        }
        return b.build();
    }

    private ExtractResult extract(byte[] tar, Path target, ExtractOptions o) throws IOException {
        return TarExtractor.extract(new ByteArrayInputStream(tar), target, o);
    }

    @Test
    void applyDeletesLowerFilesWithoutFollowingSymlinks() throws IOException {
        Sandbox box = new Sandbox(tmp);
        Map<String, String> before = box.outsideSnapshot();
        ExtractOptions apply = ExtractOptions.builder().whiteouts(WhiteoutMode.APPLY).build();
        extract(lower(box.outside), box.target, ExtractOptions.defaults());
        ExtractResult r = extract(upper(), box.target, apply);
        Path t = box.target;
        assertFalse(Files.exists(t.resolve("a/x")));
        assertTrue(Files.exists(t.resolve("a/y")));
        assertFalse(Files.exists(t.resolve("b")));
        assertEquals(java.util.Set.of("new"), names(t.resolve("c")), "opaque: lower contents gone, this layer's kept");
        assertEquals(java.util.Set.of("new"), names(t.resolve("d")), "an opaque marker after the layer's own file keeps it");
        assertFalse(Files.exists(t.resolve("out"), LinkOption.NOFOLLOW_LINKS), "the symlink itself is removed");
        assertTrue(Files.isSymbolicLink(t.resolve("outdir")));
        assertFalse(Files.exists(t.resolve("nothere")), "a whiteout in a missing directory creates nothing");
        assertFalse(Files.exists(t.resolve("a/.wh..wh.plnk")));
        assertTrue(Files.exists(t.resolve("keep")));
        assertTrue(r.warnings().stream().anyMatch(w -> w.contains("aufs")), r.warnings().toString());
        assertEquals(before, box.outsideSnapshot(), "a whiteout through a symlink deleted something outside");
        assertTrue(Files.exists(box.outside.resolve("secret")));
    }

    @Test
    void sameLayerEntryIsNotWhitedOut() throws IOException {
        Path t = Files.createDirectories(tmp.resolve("t"));
        extract(new TarBuilder().dir("e").file("e/f", "lower").build(), t, ExtractOptions.defaults());
        byte[] layer = new TarBuilder().file("e/g", "upper").file("e/.wh.g", "").file("e/.wh.f", "").build();
        extract(layer, t, ExtractOptions.builder().whiteouts(WhiteoutMode.APPLY).build());
        assertEquals(java.util.Set.of("g"), names(t.resolve("e")));
    }

    @Test
    void whiteoutNamesThatAreNotNamesAreRefused() throws IOException {
        Path t = Files.createDirectories(tmp.resolve("t"));
        for (String bad : new String[] {"a/.wh...", "a/.wh."}) {
            byte[] layer = new TarBuilder().dir("a").file(bad, "").build();
            assertThrows(ArchiveException.class,
                    () -> extract(layer, t, ExtractOptions.builder().whiteouts(WhiteoutMode.APPLY).build()));
        }
        // Without whiteout handling, .wh. names are ordinary files.
        extract(new TarBuilder().file(".wh.plain", "data").build(), t, ExtractOptions.defaults());
        assertEquals("data", Files.readString(t.resolve(".wh.plain")));
    }

    @Test
    void overlayModeWritesOverlayWhiteouts() throws IOException {
        assumeTrue(Native.geteuid() == 0, "trusted.overlay.* needs root");
        Path t = Files.createDirectories(tmp.resolve("layer"));
        ExtractResult r = extract(upper(), t, ExtractOptions.builder().whiteouts(WhiteoutMode.OVERLAYFS).build());
        Native.Stat x = Native.lstatat(Native.AT_FDCWD, t.resolve("a/x").toString());
        assertEquals(Native.S_IFCHR, x.type());
        assertEquals("0:0", x.rdevMajor() + ":" + x.rdevMinor());
        assertEquals(Native.S_IFCHR, Native.lstatat(Native.AT_FDCWD, t.resolve("b").toString()).type());
        assertArrayEquals(new byte[] {'y'}, Native.lgetxattr(t.resolve("c").toString(), "trusted.overlay.opaque"));
        assertArrayEquals(new byte[] {'y'}, Native.lgetxattr(t.resolve("d").toString(), "trusted.overlay.opaque"));
        assertEquals("new", Files.readString(t.resolve("c/new")));
        assertEquals("new", Files.readString(t.resolve("d/new")));
        assertFalse(Files.exists(t.resolve("c/.wh..wh..opq")));
        assertTrue(r.warnings().stream().anyMatch(w -> w.contains("aufs")), r.warnings().toString());
    }

    @Test
    void overlayModeWithUserXattrs() throws IOException {
        Path t = Files.createDirectories(tmp.resolve("layer"));
        byte[] layer = new TarBuilder().dir("c").file("c/.wh..wh..opq", "").file("c/.wh.gone", "").build();
        extract(layer, t, ExtractOptions.builder().whiteouts(WhiteoutMode.OVERLAYFS)
                .overlayXattrPrefix(ExtractOptions.USER_OVERLAY).build());
        assertArrayEquals(new byte[] {'y'}, Native.lgetxattr(t.resolve("c").toString(), "user.overlay.opaque"));
        assertNull(Native.lgetxattr(t.resolve("c").toString(), "trusted.overlay.opaque"));
        Native.Stat gone = Native.lstatat(Native.AT_FDCWD, t.resolve("c/gone").toString());
        assertEquals(Native.S_IFCHR, gone.type(), "a 0/0 whiteout needs no CAP_MKNOD since Linux 5.8");
    }

    /**
     * The kernel is the judge: the two layers unpacked separately and mounted as overlayfs lower
     * directories must show the same tree as the upper layer applied onto the lower one.
     */
    @Test
    void overlayMountShowsTheSameTreeAsApply() throws IOException, InterruptedException {
        assumeTrue(Native.geteuid() == 0, "mounting overlayfs needs root");
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/unshare")), "unshare");
        Path outside = Files.createDirectories(tmp.resolve("outside"));
        Path applied = Files.createDirectories(tmp.resolve("applied"));
        extract(lower(outside), applied, ExtractOptions.defaults());
        extract(upper(false), applied, ExtractOptions.builder().whiteouts(WhiteoutMode.APPLY).build());

        Path l1 = Files.createDirectories(tmp.resolve("l1"));
        Path l2 = Files.createDirectories(tmp.resolve("l2"));
        Path merged = Files.createDirectories(tmp.resolve("merged"));
        ExtractOptions overlay = ExtractOptions.builder().whiteouts(WhiteoutMode.OVERLAYFS).build();
        extract(lower(outside), l1, overlay);
        extract(upper(false), l2, overlay);
        // A private mount namespace: the mount disappears with the process, whatever happens.
        String script = "mount -t overlay overlay -o lowerdir=" + l2 + ":" + l1 + " " + merged
                + " && cd " + merged + " && find . -printf '%p %y %s %l\\n' | LC_ALL=C sort";
        Process p = new ProcessBuilder("unshare", "--mount", "--propagation", "private", "sh", "-c", script)
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        String fromOverlay = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        int rc = p.waitFor();
        assumeTrue(rc == 0, "overlayfs could not be mounted here");
        Process q = new ProcessBuilder("sh", "-c", "cd " + applied + " && find . -printf '%p %y %s %l\\n' | LC_ALL=C sort").start();
        String fromApply = new String(q.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, q.waitFor());
        assertEquals(fromApply, fromOverlay);
        assertTrue(fromApply.contains("./c/new f"), fromApply);
    }

    private static java.util.Set<String> names(Path dir) throws IOException {
        try (var s = Files.list(dir)) {
            return new java.util.TreeSet<>(s.map(p -> p.getFileName().toString()).toList());
        }
    }

}
