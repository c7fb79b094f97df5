package dev.corral.namespaces;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** HostSecurity's reading of /proc, /etc and the sysctls, on fixture trees: no kernel needed. */
class HostSecurityTest {
    private static final String ALL_CAPS = "000001ffffffffff";
    private static final String IDENTITY_MAP = "         0          0 4294967295\n";

    @TempDir
    Path root;

    private void write(String path, String text) throws IOException {
        Path p = root.resolve(path);
        Files.createDirectories(p.getParent());
        Files.writeString(p, text);
    }

    private void status(long uid, long gid, String capEff, int seccomp, int noNewPrivs) throws IOException {
        write("proc/self/status", "Name:\tjava\nUid:\t" + uid + "\t" + uid + "\t" + uid + "\t" + uid + "\n"
                + "Gid:\t" + gid + "\t" + gid + "\t" + gid + "\t" + gid + "\n"
                + "CapInh:\t0000000000000000\nCapEff:\t" + capEff + "\n"
                + "NoNewPrivs:\t" + noNewPrivs + "\nSeccomp:\t" + seccomp + "\n");
    }

    private void tool(String name) throws IOException {
        write("usr/bin/" + name, "#!/bin/sh\n");
        Files.setPosixFilePermissions(root.resolve("usr/bin/" + name), PosixFilePermissions.fromString("rwxr-xr-x"));
    }

    private void rootlessUser() throws IOException {
        status(1000, 1000, "0000000000000000", 0, 0);
        write("proc/self/uid_map", IDENTITY_MAP);
        write("proc/self/gid_map", IDENTITY_MAP);
        write("etc/passwd", "root:x:0:0:root:/root:/bin/bash\nalice:x:1000:1000::/home/alice:/bin/sh\n");
        write("etc/subuid", "# comment\nbob:200000:65536\nalice:100000:65536\nalice:bad:line\n");
        write("etc/subgid", "1000:300000:65536\n");
    }

    @Test
    void statusPasswdAndSubordinateRangesAreRead() throws IOException {
        rootlessUser();
        tool("newuidmap");
        tool("newgidmap");
        HostSecurity h = HostSecurity.read(root);
        assertEquals(1000, h.uid());
        assertEquals(1000, h.gid());
        assertEquals("alice", h.userName());
        assertFalse(h.privileged());
        assertFalse(h.nested(), "the identity map over all IDs is the host's namespace");
        assertEquals(List.of(IdMapping.of(0, 100000, 65536)), h.subuids(), "by name; malformed lines skipped");
        assertEquals(List.of(IdMapping.of(0, 300000, 65536)), h.subgids(), "by uid");
        assertEquals(Optional.of(Path.of("/usr/bin/newuidmap")), h.newuidmap(), "as the host sees it");
        assertEquals(0, h.seccompMode());
        assertFalse(h.noNewPrivs());
        assertEquals(Optional.empty(), h.namespaceHint());

        HostSecurity.IdMaps maps = h.resolve(UserNamespace.auto());
        assertEquals(List.of(IdMapping.of(0, 1000, 1), IdMapping.of(1, 100000, 65536)), maps.uids());
        assertEquals(List.of(IdMapping.of(0, 1000, 1), IdMapping.of(1, 300000, 65536)), maps.gids());
        assertEquals(Optional.of(Path.of("/usr/bin/newgidmap")), maps.gidTool());
    }

    @Test
    void keepIdKeepsTheCallerAsItselfWithItsSubordinateRangeAroundAndIsRefusedForRoot() throws IOException {
        rootlessUser();
        tool("newuidmap");
        tool("newgidmap");
        HostSecurity.IdMaps maps = HostSecurity.read(root).resolve(UserNamespace.keepId());
        assertEquals(List.of(IdMapping.of(0, 100000, 1000), IdMapping.of(1000, 1000, 1), IdMapping.of(1001, 101000, 64536)),
                maps.uids());
        assertEquals(List.of(IdMapping.of(0, 300000, 1000), IdMapping.of(1000, 1000, 1), IdMapping.of(1001, 301000, 64536)),
                maps.gids());
        assertEquals(Optional.of(Path.of("/usr/bin/newuidmap")), maps.uidTool());
        assertEquals(List.of(IdMapping.of(0, 500, 10), IdMapping.of(1000, 1000, 1)),
                HostSecurity.keepIdLines(1000, IdMapping.of(0, 500, 10)), "a short range: all of it below");
        Files.delete(root.resolve("usr/bin/newuidmap"));
        assertEquals(List.of(IdMapping.of(1000, 1000, 1)), HostSecurity.read(root).resolve(UserNamespace.keepId()).uids(),
                "without the tools, the caller alone");

        status(0, 0, ALL_CAPS, 0, 0);
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> HostSecurity.read(root).resolve(UserNamespace.keepId()));
        assertTrue(e.getMessage().contains("bindAsOwner"), e.getMessage());
    }

    @Test
    void withoutTheToolsARootlessUserGetsOnlyItselfAndIsToldWhy() throws IOException {
        rootlessUser();
        HostSecurity h = HostSecurity.read(root);
        assertEquals(Optional.empty(), h.newuidmap());
        HostSecurity.IdMaps maps = h.resolve(UserNamespace.auto());
        assertEquals(List.of(IdMapping.of(0, 1000, 1)), maps.uids());
        assertTrue(maps.note().contains("newuidmap not installed"), maps.note());
        assertTrue(h.namespaceHint().orElseThrow().contains("uidmap"), h.namespaceHint()::toString);
        assertThrows(IllegalStateException.class, () -> h.resolve(UserNamespace.subordinate()));
    }

    @Test
    void hostRootMapsItsSubordinateRangeOrTheDefaultOne() throws IOException {
        status(0, 0, ALL_CAPS, 0, 0);
        write("proc/self/uid_map", IDENTITY_MAP);
        write("proc/self/gid_map", IDENTITY_MAP);
        write("etc/passwd", "root:x:0:0:root:/root:/bin/bash\n");
        HostSecurity h = HostSecurity.read(root);
        assertTrue(h.privileged());
        assertEquals("root", h.userName());
        assertEquals(List.of(IdMapping.of(0, UserNamespace.DEFAULT_HOST_BASE, UserNamespace.DEFAULT_COUNT)),
                h.resolve(UserNamespace.auto()).uids(), "no /etc/subuid: the default high range");

        write("etc/subuid", "root:500000:1000\n");
        write("etc/subgid", "root:600000:1000\n");
        HostSecurity.IdMaps maps = HostSecurity.read(root).resolve(UserNamespace.auto());
        assertEquals(List.of(IdMapping.of(0, 500000, 1000)), maps.uids());
        assertEquals(List.of(IdMapping.of(0, 600000, 1000)), maps.gids());
        assertEquals(Optional.empty(), maps.uidTool(), "root writes its maps itself");
    }

    @Test
    void nestedRootTakesTheUpperHalfOfWhatItHolds() throws IOException {
        status(0, 0, ALL_CAPS, 2, 1);
        write("proc/self/uid_map", "0 1000 1\n1 100000 65536\n");
        write("proc/self/gid_map", "0 1000 1\n1 100000 65536\n");
        HostSecurity h = HostSecurity.read(root);
        assertTrue(h.nested());
        assertEquals(2, h.seccompMode());
        assertTrue(h.noNewPrivs());
        assertEquals(List.of(IdMapping.of(0, 32769, 32768)), h.resolve(UserNamespace.auto()).uids());
        assertTrue(h.namespaceHint().orElseThrow().contains("seccomp filter"), h.namespaceHint()::toString);
    }

    @Test
    void sysctlsThatForbidUserNamespacesAreNamedWithTheFix() throws IOException {
        rootlessUser();
        write("proc/sys/user/max_user_namespaces", "15000\n");
        write("proc/sys/kernel/unprivileged_userns_clone", "0\n");
        HostSecurity h = HostSecurity.read(root);
        assertEquals(OptionalLong.of(15000), h.maxUserNamespaces());
        assertEquals(OptionalInt.of(0), h.unprivilegedUsernsClone());
        assertEquals(OptionalInt.empty(), h.apparmorRestrictUserns(), "absent sysctl: empty");
        assertTrue(h.userNamespaceBlocker().orElseThrow().contains("sysctl -w kernel.unprivileged_userns_clone=1"));

        write("proc/sys/user/max_user_namespaces", "0\n");
        assertTrue(HostSecurity.read(root).userNamespaceBlocker().orElseThrow().contains("max_user_namespaces is 0"));

        write("proc/sys/user/max_user_namespaces", "15000\n");
        write("proc/sys/kernel/unprivileged_userns_clone", "1\n");
        write("proc/sys/kernel/apparmor_restrict_unprivileged_userns", "1\n");
        assertTrue(HostSecurity.read(root).userNamespaceBlocker().orElseThrow().contains("AppArmor"));
    }

    @Test
    void anEmptyRootReadsAsNothingKnownNotAsAFailure() {
        HostSecurity h = HostSecurity.read(root);
        assertEquals(List.of(), h.subuids());
        assertEquals(OptionalLong.empty(), h.maxUserNamespaces());
        assertEquals(Optional.empty(), h.userNamespaceBlocker());
    }
}
