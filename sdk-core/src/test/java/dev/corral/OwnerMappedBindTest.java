package dev.corral;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.corral.namespaces.UserNamespace;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Owner-mapped binds ({@link Mount#bindAsOwner}) and keep-id, proved from inside (what the
 * container may do) and from outside (who owns what it made). Under root, the default container
 * (root inside, an unprivileged host ID outside) gets a root-owned and a user-owned workspace
 * and a 0750 cache through idmapped mounts; run unprivileged (.ci/rootless-tests.sh), the
 * caller's own workspace needs no idmap, someone else's is refused, and keep-id makes the
 * command the caller.
 */
class OwnerMappedBindTest {
    private static final boolean ROOT = "root".equals(System.getProperty("user.name"));

    @TempDir
    Path dir;

    private static long uid(Path p) throws IOException {
        return ((Number) Files.getAttribute(p, "unix:uid")).longValue();
    }

    private static long gid(Path p) throws IOException {
        return ((Number) Files.getAttribute(p, "unix:gid")).longValue();
    }

    private static void chown(Path p, int uid, int gid) throws Exception {
        Process c = new ProcessBuilder("chown", "-R", uid + ":" + gid, p.toString()).inheritIO().start();
        assertEquals(0, c.waitFor());
    }

    private Path workspace(String name, String mode) throws IOException {
        Path ws = Files.createDirectory(dir.resolve(name));
        Files.writeString(ws.resolve("Makefile"), "all:\n\techo built > out.txt\n");
        Files.setPosixFilePermissions(ws, PosixFilePermissions.fromString(mode));
        return ws;
    }

    private static ContainerResult sh(ContainerSpec.Builder b, String script) {
        return b.run("/bin/sh", "-c", script);
    }

    @Test
    void aWorkspaceOfTheHostsRootIsWritableAndWhatIsMadeThereIsRoots() throws Exception {
        Path ws = workspace("ws", "rwxr-xr-x");
        long owner = uid(ws), group = gid(ws);
        String script = "cd /ws && mkdir -p obj && echo made > obj/a.o && touch Makefile && id -u && stat -c %u:%g obj/a.o";
        if (!ROOT) { /* the caller's own workspace: the default container's root is the caller already */
            ContainerResult r = sh(Container.builder().mount(Mount.bindAsOwner(ws, "/ws", false)), script);
            assertEquals(0, r.exitCode().orElse(-1), r::stderr);
            assertEquals("0\n0:0\n", r.stdout());
            assertEquals(owner, uid(ws.resolve("obj/a.o")));
            assertEquals(group, gid(ws.resolve("obj/a.o")));
            /* someone else's (root's /etc): only root may idmap a host file system */
            InvalidSpecException e = assertThrows(InvalidSpecException.class,
                    () -> Container.builder().mount(Mount.bindAsOwner(Path.of("/etc"), "/x", true)).run("true"));
            assertTrue(e.getMessage().contains("needs host root"), e.getMessage());
            return;
        }
        assertEquals(0, owner);
        /* without the opt-in, the container's root is nobody to the workspace */
        ContainerResult plain = sh(Container.builder().mount(Mount.bindReadWrite(ws, "/ws")), script);
        assertNotEquals(0, plain.exitCode().orElse(0), plain.stdout());
        assertTrue(plain.stderr().contains("ermission denied"), plain.stderr());

        ContainerResult r = sh(Container.builder().mount(Mount.bindAsOwner(ws, "/ws", false)), script);
        assertEquals(0, r.exitCode().orElse(-1), r::stderr);
        assertEquals("0\n0:0\n", r.stdout(), "inside, the workspace's owner is the container's root");
        assertEquals(0, uid(ws.resolve("obj/a.o")), "on the host, what it made is the workspace owner's");
        assertEquals(0, gid(ws.resolve("obj")));
        /* and nothing else changed: the container's root is still nobody outside the bind */
        ContainerResult etc = sh(Container.builder().mount(Mount.bindAsOwner(ws, "/ws", false)), "touch /etc/x");
        assertNotEquals(0, etc.exitCode().orElse(0));
    }

    @Test
    void aUserOwnedWorkspaceIsWrittenAsItsOwnerByAnyContainerUser() throws Exception {
        Path ws = workspace("ws", "rwxr-x---");
        int owner = ROOT ? 1000 : (int) uid(ws), group = ROOT ? 1000 : (int) gid(ws);
        if (ROOT) {
            chown(ws, owner, group);
        }
        /* the container's root, and a non-root container user (mapped: rootless, with subordinate IDs) */
        ContainerResult r = sh(Container.builder().mount(Mount.bindAsOwner(ws, "/ws", false)),
                "cd /ws && echo x > byroot && stat -c %u:%g byroot");
        assertEquals(0, r.exitCode().orElse(-1), r::stderr);
        assertEquals("0:0\n", r.stdout());
        assertEquals(owner, uid(ws.resolve("byroot")));
        assertEquals(group, gid(ws.resolve("byroot")));
        if (ROOT) {
            ContainerResult u = sh(Container.builder().user(4242, 4242).mount(Mount.bindAsOwner(ws, "/ws", false)),
                    "cd /ws && echo x > byuser && stat -c %u:%g byuser . && id -u");
            assertEquals(0, u.exitCode().orElse(-1), u::stderr);
            assertEquals("4242:4242\n4242:4242\n4242\n", u.stdout(), "the owner shows as the container's user");
            assertEquals(owner, uid(ws.resolve("byuser")));
            assertEquals(group, gid(ws.resolve("byuser")));
        }
    }

    @Test
    void a0750CacheIsReadableReadOnly() throws Exception {
        Path cache = workspace("m2", "rwxr-x---");
        Files.writeString(cache.resolve("settings.xml"), "<settings/>\n");
        Files.setPosixFilePermissions(cache.resolve("settings.xml"), PosixFilePermissions.fromString("rw-r-----"));
        if (ROOT) { /* plain, the container's root is nobody to root's 0750 cache */
            ContainerResult plain = sh(Container.builder().mount(Mount.bind(cache, "/cache")), "cat /cache/settings.xml");
            assertNotEquals(0, plain.exitCode().orElse(0));
            assertTrue(plain.stderr().contains("ermission denied"), plain.stderr());
        }
        ContainerResult r = sh(Container.builder().mount(Mount.bindAsOwner(cache, "/cache", true)),
                "cat /cache/settings.xml && ls /cache && touch /cache/new");
        assertEquals("<settings/>\nMakefile\nsettings.xml\n", r.stdout(), r::stderr);
        assertNotEquals(0, r.exitCode().orElse(0), "read-only: the write is refused");
        assertTrue(r.stderr().contains("Read-only file system"), r.stderr());
        assertEquals(List.of("Makefile", "settings.xml"), Files.list(cache).map(p -> p.getFileName().toString()).sorted().toList());
    }

    @Test
    void keepIdRunsTheCommandAsTheCallerUnprivilegedAndIsRefusedForRoot() throws Exception {
        if (ROOT) {
            NamespacePermissionException e = assertThrows(NamespacePermissionException.class,
                    () -> Container.builder().userNamespace(UserNamespace.keepId()).run("true"));
            assertTrue(e.getMessage().contains("bindAsOwner"), e.getMessage());
            return;
        }
        Path ws = workspace("ws", "rwx------");
        long me = uid(ws);
        ContainerResult r = sh(Container.builder().userNamespace(UserNamespace.keepId()).mount(Mount.bindReadWrite(ws, "/ws")),
                "id -u; cd /ws && echo x > mine && stat -c %u mine && grep -c . /proc/self/uid_map");
        assertEquals(0, r.exitCode().orElse(-1), r::stderr);
        String[] lines = r.stdout().split("\n");
        assertEquals(me + "\n" + me + "\n", lines[0] + "\n" + lines[1] + "\n", "the caller is itself inside");
        assertEquals(me, uid(ws.resolve("mine")));
        assertTrue(Integer.parseInt(lines[2]) >= 1, r.stdout());
    }
}
