package dev.corral;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.corral.image.ImageStore;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import java.util.zip.GZIPOutputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A root file system archive ({@link Rootfs#tarball(ImageStore, Path)}) gives its files the
 * owners and modes its entries name, as a container sees them, whether the caller is root or
 * rootless (.ci/rootless-tests.sh runs this class as an unprivileged user with subordinate IDs:
 * the archive is then unpacked in the containers' user namespace, as image layers are); and a
 * prune leaves nothing of another owner in the store.
 */
class TarballOwnersTest {
    @TempDir
    Path dir;

    /** After a failure too: the store removes in the user namespace what only it may. */
    @AfterEach
    void emptyTheStore() {
        if (Files.isDirectory(dir.resolve("store"))) {
            ImageStore.open(dir.resolve("store")).prune();
        }
    }

    @Test
    void aTarballsFilesKeepTheOwnersAndModesOfItsEntries() throws Exception {
        Path archive = dir.resolve("rootfs.tar.gz");
        try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(archive));
             TarArchiveOutputStream tar = new TarArchiveOutputStream(out)) {
            for (String d : List.of("bin/", "dev/", "etc/", "home/", "proc/", "sys/")) {
                entry(tar, d, 0755, 0, 0, null);
            }
            entry(tar, "tmp/", 01777, 0, 0, null);
            entry(tar, "home/worker/", 0700, 1000, 1001, null);
            entry(tar, "home/worker/secret", 0600, 1000, 1001, "s\n");
            entry(tar, "srv/", 0750, 2000, 2000, null);
            entry(tar, "srv/data", 0640, 2000, 2000, "d\n");
            entry(tar, "srv/shared", 0644, 0, 1001, "shared\n");
            entry(tar, "etc/passwd", 0644, 0, 0, "root:x:0:0:root:/root:/bin/sh\nworker:x:1000:1001::/home/worker:/bin/sh\n");
            TarArchiveEntry busybox = new TarArchiveEntry("bin/busybox");
            busybox.setMode(0755);
            busybox.setSize(Files.size(TestRootfs.BUSYBOX));
            tar.putArchiveEntry(busybox);
            Files.copy(TestRootfs.BUSYBOX, tar);
            tar.closeArchiveEntry();
            for (String a : List.of("sh", "cat", "stat", "echo")) {
                TarArchiveEntry l = new TarArchiveEntry("bin/" + a, TarConstants.LF_SYMLINK);
                l.setLinkName("busybox");
                tar.putArchiveEntry(l);
                tar.closeArchiveEntry();
            }
            tar.finish();
        }
        Path storeDir = Files.createDirectory(dir.resolve("store"));
        ImageStore store = ImageStore.open(storeDir);

        ContainerResult root = Container.builder().rootfs(Rootfs.tarball(store, archive)).env("PATH", "/bin")
                .run("stat", "-c", "%u:%g %a %n", "/home/worker", "/srv", "/bin/busybox");
        assertEquals("1000:1001 700 /home/worker\n2000:2000 750 /srv\n0:0 755 /bin/busybox\n", root.stdout(), root.stderr());
        /* the owners decide who may read what (the container's root has no DAC_OVERRIDE): the worker its
           home and not another user's directory, that user its own */
        ContainerResult worker = Container.builder().rootfs(Rootfs.tarball(store, archive)).env("PATH", "/bin")
                .user(1000, 1001).run("sh", "-c", "stat -c '%u:%g %a %n' /home/worker/secret; cat /home/worker/secret; "
                        + "cat /srv/data 2>/dev/null || echo denied");
        assertEquals("1000:1001 600 /home/worker/secret\ns\ndenied\n", worker.stdout(), worker.stderr());
        ContainerResult other = Container.builder().rootfs(Rootfs.tarball(store, archive)).env("PATH", "/bin")
                .user(2000, 2000).run("sh", "-c", "stat -c '%u:%g %a %n' /srv/data /srv/shared; cat /srv/data; "
                        + "cat /home/worker/secret 2>/dev/null || echo denied");
        assertEquals("2000:2000 640 /srv/data\n0:1001 644 /srv/shared\nd\ndenied\n", other.stdout(), other.stderr());

        store.prune();
        try (Stream<Path> s = Files.list(storeDir.resolve("rootfs/sha256"))) {
            assertEquals(List.of(), s.toList(), "unpacked archives left after a prune");
        }
        Object owner = Files.getAttribute(storeDir, "unix:uid");
        try (Stream<Path> s = Files.walk(storeDir)) {
            assertEquals(List.of(), s.filter(p -> !owner.equals(uid(p))).toList(), "files of other owners left in the store");
        }
    }

    private static Object uid(Path p) {
        try {
            return Files.getAttribute(p, "unix:uid", LinkOption.NOFOLLOW_LINKS);
        } catch (IOException e) {
            return e.toString();
        }
    }

    private static void entry(TarArchiveOutputStream tar, String name, int mode, int uid, int gid, String text)
            throws IOException {
        TarArchiveEntry e = new TarArchiveEntry(name);
        e.setMode(mode);
        e.setIds(uid, gid);
        byte[] data = text == null ? null : text.getBytes(StandardCharsets.UTF_8);
        if (data != null) {
            e.setSize(data.length);
        }
        tar.putArchiveEntry(e);
        if (data != null) {
            tar.write(data);
        }
        tar.closeArchiveEntry();
    }
}
