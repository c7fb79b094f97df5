package dev.corral.internal.archive;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.Map;

import dev.corral.internal.archive.ArchiveException.Reason;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarConstants;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A corpus of hostile archives, each built here, each refused or neutralised; for each, nothing
 * under the sandbox outside the target may change. Every case runs with openat2 and with the
 * component-by-component fallback.
 */
class HostileArchiveTest {
    @TempDir
    Path tmp;

    private Sandbox box;
    private Map<String, String> before;

    private ExtractOptions options(boolean openat2) {
        return ExtractOptions.builder().useOpenat2(openat2).build();
    }

    private void setUp() {
        box = new Sandbox(tmp);
        before = box.outsideSnapshot();
    }

    private void assertOutsideUntouched() {
        assertEquals(before, box.outsideSnapshot(), "something outside the target changed");
    }

    private String abs(Path p) {
        return p.toAbsolutePath().toString();
    }

    @ParameterizedTest(name = "openat2={0}")
    @ValueSource(booleans = {true, false})
    void dotDotIsKeptInside(boolean openat2) throws IOException {
        setUp();
        byte[] tar = new TarBuilder()
                .file("../outside/secret", "pwned")
                .file("a/../../../beside", "pwned")
                .file("./x/../../outside/new", "pwned")
                .build();
        ExtractResult r = box.extract(tar, options(openat2));
        assertOutsideUntouched();
        assertEquals("pwned", Sandbox.read(box.target.resolve("outside/secret")));
        assertEquals("pwned", Sandbox.read(box.target.resolve("beside")));
        assertEquals("pwned", Sandbox.read(box.target.resolve("outside/new")));
        assertEquals(3, r.warnings().stream().filter(w -> w.contains("\"..\"")).count(), r.warnings().toString());
    }

    @ParameterizedTest(name = "openat2={0}")
    @ValueSource(booleans = {true, false})
    void absoluteNamesAreKeptInside(boolean openat2) throws IOException {
        setUp();
        byte[] tar = new TarBuilder().file(abs(box.outside.resolve("secret")), "pwned").build();
        box.extract(tar, options(openat2));
        assertOutsideUntouched();
        assertEquals("pwned", Sandbox.read(box.target.resolve(abs(box.outside.resolve("secret")).substring(1))));
    }

    @ParameterizedTest(name = "openat2={0}")
    @ValueSource(booleans = {true, false})
    void fileThroughSymlinkToOutsideIsRefused(boolean openat2) throws IOException {
        setUp();
        for (String link : new String[] {abs(box.outside), "../outside", "../../../../../../.." + abs(box.outside)}) {
            byte[] tar = new TarBuilder().symlink("evil", link).file("evil/secret", "pwned").build();
            ArchiveException e = assertThrows(ArchiveException.class, () -> box.extract(tar, options(openat2)));
            assertEquals("evil/secret", e.entry());
            assertOutsideUntouched();
            // The symlink itself is data and stays as given.
            assertEquals(link, Files.readSymbolicLink(box.target.resolve("evil")).toString());
        }
    }

    @ParameterizedTest(name = "openat2={0}")
    @ValueSource(booleans = {true, false})
    void symlinkToRootResolvesToTheTarget(boolean openat2) throws IOException {
        setUp();
        String outsideRel = abs(box.outside).substring(1);
        byte[] tar = new TarBuilder()
                .symlink("root", "/")
                .dir("root/etc")
                .file("root/etc/passwd", "pwned")
                .file("root/" + outsideRel + "/secret", "pwned")
                .symlink("up", "../../..")
                .file("up/beside", "pwned")
                .build();
        box.extract(tar, options(openat2));
        assertOutsideUntouched();
        assertEquals("pwned", Sandbox.read(box.target.resolve("etc/passwd")));
        assertEquals("pwned", Sandbox.read(box.target.resolve(outsideRel + "/secret")));
        assertEquals("pwned", Sandbox.read(box.target.resolve("beside")));
    }

    @ParameterizedTest(name = "openat2={0}")
    @ValueSource(booleans = {true, false})
    void hardlinkOutIsRefused(boolean openat2) throws IOException {
        setUp();
        for (String target : new String[] {"../outside/secret", abs(box.outside.resolve("secret"))}) {
            byte[] tar = new TarBuilder().hardlink("hl", target).build();
            ArchiveException e = assertThrows(ArchiveException.class, () -> box.extract(tar, options(openat2)));
            assertEquals(Reason.MALFORMED, e.reason(), e.getMessage());
            assertOutsideUntouched();
            assertFalse(Files.exists(box.target.resolve("hl"), LinkOption.NOFOLLOW_LINKS));
        }
        // Through a symlinked directory to the outside: resolved inside, so there is nothing to link.
        byte[] tar = new TarBuilder().symlink("o", abs(box.outside)).hardlink("hl", "o/secret").build();
        assertThrows(ArchiveException.class, () -> box.extract(tar, options(openat2)));
        assertOutsideUntouched();
    }

    @ParameterizedTest(name = "openat2={0}")
    @ValueSource(booleans = {true, false})
    void hardlinkToSymlinkLinksTheSymlinkItself(boolean openat2) throws IOException {
        setUp();
        String secret = abs(box.outside.resolve("secret"));
        byte[] tar = new TarBuilder()
                .symlink("s", secret)
                .hardlink("h", "s")
                .hardlink("h2", "s")
                .file("h2", "overwritten")
                .dir("d")
                .symlink("d/s2", abs(box.outside))
                .hardlink("h3", "d/s2")
                .file("h3/secret", "pwned")
                .build();
        assertThrows(ArchiveException.class, () -> box.extract(tar, options(openat2)));
        assertOutsideUntouched();
        Path h = box.target.resolve("h");
        assertTrue(Files.isSymbolicLink(h));
        assertEquals(secret, Files.readSymbolicLink(h).toString());
        assertEquals(Files.getAttribute(box.target.resolve("s"), "unix:ino", LinkOption.NOFOLLOW_LINKS),
                Files.getAttribute(h, "unix:ino", LinkOption.NOFOLLOW_LINKS));
        // Writing a file over the hardlinked symlink replaces it; it does not write through it.
        assertEquals("overwritten", Sandbox.read(box.target.resolve("h2")));
        assertFalse(Files.isSymbolicLink(box.target.resolve("h2")));
        assertTrue(Files.isSymbolicLink(box.target.resolve("h3")));
    }

    @ParameterizedTest(name = "openat2={0}")
    @ValueSource(booleans = {true, false})
    void fileOverExistingSymlinkReplacesIt(boolean openat2) throws IOException {
        setUp();
        byte[] tar = new TarBuilder()
                .symlink("f", abs(box.outside.resolve("secret")))
                .file("f", "mine")
                .symlink("d", abs(box.outside))
                .dir("d")
                .file("d/secret", "mine")
                .symlink("p", abs(box.outside.resolve("fifo")))
                .fifo("p", 0644)
                .build();
        box.extract(tar, options(openat2));
        assertOutsideUntouched();
        assertEquals("mine", Sandbox.read(box.target.resolve("f")));
        assertTrue(Files.isDirectory(box.target.resolve("d"), LinkOption.NOFOLLOW_LINKS));
        assertEquals("mine", Sandbox.read(box.target.resolve("d/secret")));
    }

    @ParameterizedTest(name = "openat2={0}")
    @ValueSource(booleans = {true, false})
    void symlinkLoopsAreRefused(boolean openat2) throws IOException {
        setUp();
        byte[] tar = new TarBuilder().symlink("a", "b").symlink("b", "a").file("a/x", "x").build();
        ArchiveException e = assertThrows(ArchiveException.class, () -> box.extract(tar, options(openat2)));
        assertEquals(Reason.UNSAFE_PATH, e.reason(), e.getMessage());
        assertTrue(e.getMessage().contains("ELOOP"), e.getMessage());
        byte[] self = new TarBuilder().symlink("c", "c/c").file("c/x", "x").build();
        ArchiveException e2 = assertThrows(ArchiveException.class, () -> box.extract(self, options(openat2)));
        assertTrue(e2.getMessage().contains("ELOOP"), e2.getMessage());
        assertOutsideUntouched();
    }

    @ParameterizedTest(name = "openat2={0}")
    @ValueSource(booleans = {true, false})
    void procMagicLinksDoNotLeadOut(boolean openat2) throws IOException {
        setUp();
        for (String link : new String[] {"/proc/self/root", "/proc/self/cwd", "/proc/" + ProcessHandle.current().pid() + "/root"}) {
            String name = "p" + Math.abs(link.hashCode());
            byte[] tar = new TarBuilder().symlink(name, link)
                    .file(name + abs(box.outside.resolve("secret")), "pwned").build();
            assertThrows(ArchiveException.class, () -> box.extract(tar, options(openat2)));
            assertOutsideUntouched();
        }
        // With a real /proc link inside the target (one the archive cannot make, but a tree
        // being layered onto might hold): resolution never crosses it.
        Files.createSymbolicLink(box.target.resolve("real"), Path.of("/proc/self/root" + abs(box.outside)));
        byte[] tar = new TarBuilder().file("real/secret", "pwned").build();
        assertThrows(ArchiveException.class, () -> box.extract(tar, options(openat2)));
        assertOutsideUntouched();
    }

    @ParameterizedTest(name = "openat2={0}")
    @ValueSource(booleans = {true, false})
    void parentThatIsAFileIsRefused(boolean openat2) throws IOException {
        setUp();
        byte[] tar = new TarBuilder().file("f", "x").file("f/y", "y").build();
        ArchiveException e = assertThrows(ArchiveException.class, () -> box.extract(tar, options(openat2)));
        assertEquals(Reason.UNSAFE_PATH, e.reason());
        assertOutsideUntouched();
    }

    @ParameterizedTest(name = "openat2={0}")
    @ValueSource(booleans = {true, false})
    void rootMayOnlyBeADirectory(boolean openat2) throws IOException {
        setUp();
        byte[] tar = new TarBuilder().symlink(".", abs(box.outside)).file("secret", "pwned").build();
        assertThrows(ArchiveException.class, () -> box.extract(tar, options(openat2)));
        assertOutsideUntouched();
        assertTrue(Files.isDirectory(box.target, LinkOption.NOFOLLOW_LINKS));
    }

    @ParameterizedTest(name = "openat2={0}")
    @ValueSource(booleans = {true, false})
    void hugeDeclaredSizeIsRefusedBeforeWriting(boolean openat2) throws IOException {
        setUp();
        // A header that declares 1 TiB, followed by a few bytes: refused from the header alone.
        TarArchiveEntry e = TarBuilder.entry("big", TarConstants.LF_NORMAL);
        e.setSize(1L << 40);
        byte[] header = new byte[512];
        e.writeEntryHeader(header, org.apache.commons.compress.archivers.zip.ZipEncodingHelper.getZipEncoding("UTF-8"), true);
        ByteArrayOutputStream tar = new ByteArrayOutputStream();
        tar.write(header);
        tar.write(new byte[4096]);
        long start = System.nanoTime();
        ArchiveException x = assertThrows(ArchiveException.class, () -> box.extract(tar.toByteArray(), options(openat2)));
        assertEquals(Reason.LIMIT, x.reason(), x.getMessage());
        assertFalse(Files.exists(box.target.resolve("big")));
        assertOutsideUntouched();

        // Within the limit but with less data than declared: refused as truncated.
        TarArchiveEntry t = TarBuilder.entry("short", TarConstants.LF_NORMAL);
        t.setSize(100_000);
        t.writeEntryHeader(header, org.apache.commons.compress.archivers.zip.ZipEncodingHelper.getZipEncoding("UTF-8"), true);
        ByteArrayOutputStream tar2 = new ByteArrayOutputStream();
        tar2.write(header);
        tar2.write(new byte[1024]);
        assertThrows(IOException.class, () -> box.extract(tar2.toByteArray(), options(openat2)));
        assertOutsideUntouched();
    }

    @ParameterizedTest(name = "openat2={0}")
    @ValueSource(booleans = {true, false})
    void hugePaxHeaderAndLongNameAreRefused(boolean openat2) throws IOException {
        setUp();
        ExtractOptions o = options(openat2).toBuilder().maxHeaderBytes(64 * 1024).build();
        byte[] pax = new TarBuilder().file("x", "x", Map.of("user.big", "v".repeat(200_000))).build();
        ArchiveException e = assertThrows(ArchiveException.class, () -> box.extract(pax, o));
        assertEquals(Reason.LIMIT, e.reason(), e.getMessage());

        TarBuilder gnu = new TarBuilder();
        byte[] longName = "d/".repeat(60_000).getBytes(StandardCharsets.UTF_8);
        // A GNU long-name entry ('L') carrying 120 kB of name.
        TarArchiveEntry l = new TarArchiveEntry("././@LongLink", TarConstants.LF_GNUTYPE_LONGNAME);
        l.setSize(longName.length);
        gnu.add(l, longName);
        ArchiveException e2 = assertThrows(ArchiveException.class, () -> box.extract(gnu.build(), o));
        assertEquals(Reason.LIMIT, e2.reason(), e2.getMessage());
        assertOutsideUntouched();
    }

    @ParameterizedTest(name = "openat2={0}")
    @ValueSource(booleans = {true, false})
    void limitsOnEntriesBytesAndPaths(boolean openat2) throws IOException {
        setUp();
        TarBuilder many = new TarBuilder();
        for (int i = 0; i < 101; i++) {
            many.file("f" + i, "");
        }
        ExtractOptions o = options(openat2).toBuilder().maxEntries(100).maxTotalBytes(1000)
                .maxPathDepth(8).maxPathLength(200).build();
        assertEquals(Reason.LIMIT, assertThrows(ArchiveException.class, () -> box.extract(many.build(), o)).reason());
        byte[] big = new TarBuilder().file("a", "x".repeat(600)).file("b", "x".repeat(600)).build();
        ArchiveException e = assertThrows(ArchiveException.class, () -> box.extract(big, o));
        assertEquals("b", e.entry());
        assertFalse(Files.exists(box.target.resolve("b")));
        byte[] deep = new TarBuilder().file("a/b/c/d/e/f/g/h/i", "x").build();
        assertEquals(Reason.LIMIT, assertThrows(ArchiveException.class, () -> box.extract(deep, o)).reason());
        byte[] longName = new TarBuilder().file("n".repeat(201), "x").build();
        assertEquals(Reason.LIMIT, assertThrows(ArchiveException.class, () -> box.extract(longName, o)).reason());
        assertOutsideUntouched();
    }

    @ParameterizedTest(name = "openat2={0}")
    @ValueSource(booleans = {true, false})
    void devicesWithoutPrivilegeAreSkipped(boolean openat2) throws IOException {
        setUp();
        byte[] tar = new TarBuilder()
                .device("mem", TarConstants.LF_CHR, 1, 1)
                .device("sda", TarConstants.LF_BLK, 8, 0)
                .file("after", "x")
                .build();
        ExtractResult r = box.extract(tar, options(openat2).toBuilder().privileged(false).build());
        assertFalse(Files.exists(box.target.resolve("mem"), LinkOption.NOFOLLOW_LINKS));
        assertFalse(Files.exists(box.target.resolve("sda"), LinkOption.NOFOLLOW_LINKS));
        assertEquals(2, r.warnings().stream().filter(w -> w.contains("device node")).count(), r.warnings().toString());
        assertEquals("x", Sandbox.read(box.target.resolve("after")));
        assertOutsideUntouched();
    }

    @ParameterizedTest(name = "openat2={0}")
    @ValueSource(booleans = {true, false})
    void setuidAndCapabilitiesAreStrippedByDefault(boolean openat2) throws IOException {
        setUp();
        byte[] tar = new TarBuilder()
                .file("su", "#!/bin/sh\n".getBytes(StandardCharsets.UTF_8), 04755)
                .file("sg", "#!/bin/sh\n".getBytes(StandardCharsets.UTF_8), 02755)
                .file("cap", "x", Map.of("security.capability", "\u0001\u0000\u0000\u0002"))
                .build();
        ExtractResult r = box.extract(tar, options(openat2));
        assertEquals(0755, (Integer) Files.getAttribute(box.target.resolve("su"), "unix:mode") & 07777);
        assertEquals(0755, (Integer) Files.getAttribute(box.target.resolve("sg"), "unix:mode") & 07777);
        assertEquals(null, Native.lgetxattr(box.target.resolve("cap").toString(), "security.capability"));
        assertEquals(3, r.warnings().size(), r.warnings().toString());
        assertOutsideUntouched();
    }
}
