package dev.corral.samples.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.corral.Container;
import dev.corral.ContainerResult;
import dev.corral.Mount;
import dev.corral.Termination;
import dev.corral.namespaces.seccomp.SeccompProfiles;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Corral inside a Corral container, the way it runs in a Kubernetes pod with user namespaces
 * or under rootless Docker: the outer container has its own user namespace (its root is an
 * unprivileged host ID, or the rootless caller), no capability, and only what such a pod is
 * given: a seccomp profile that allows namespaces (unconfined here), an unmasked /proc and a
 * non-root user (a root without CAP_SETFCAP may not map its uid 0 into a new namespace). The
 * inner {@code corral run} detects that it is nested, maps the one ID it has, and starts its
 * own container.
 */
class NestingTest {

    @Test
    void corralRunsCorralInsideAnUnprivilegedUserNamespace(@TempDir Path dir) throws IOException {
        Path lib = Files.createDirectories(dir.resolve("lib"));
        List<String> cp = new ArrayList<>();
        int n = 0;
        for (String entry : classPath()) {
            Path p = Path.of(entry);
            if (!Files.exists(p) || entry.contains("junit") || entry.contains("opentest4j") || entry.contains("surefire")) {
                continue;
            }
            Path copy = lib.resolve((n++) + "-" + p.getFileName());
            copyTree(p, copy); /* the Maven repository under /root is out of the outer container's reach */
            cp.add("/nest/lib/" + copy.getFileName());
        }
        for (Path p : List.of(dir, lib)) {
            Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwxr-xr-x"));
        }
        try (Stream<Path> all = Files.walk(lib)) {
            for (Path p : (Iterable<Path>) all::iterator) {
                Files.setPosixFilePermissions(p, PosixFilePermissions.fromString(Files.isDirectory(p) ? "rwxr-xr-x" : "rw-r--r--"));
            }
        }
        String inner = "java -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -Xshare:auto -cp " + String.join(":", cp)
                + " dev.corral.samples.cli.CorralCommand run --hostname inner -- sh -c "
                + "'echo inner: $(hostname) pid $$; cat /proc/self/uid_map'";
        ContainerResult r = Container.builder()
                .seccomp(SeccompProfiles.unconfined())   /* a pod's profile must allow namespaces */
                .unmaskedPaths()                         /* procMount: Unmasked */
                .mount(Mount.bind(dir, "/nest"))
                /* a pod's runAsUser: root without CAP_SETFCAP could not map its uid 0 (Linux 5.12+) */
                .user(1000, 1000)
                .env("PATH", "/usr/bin:/bin")
                .hostname("outer")
                .timeout(Duration.ofSeconds(120))
                .run("/bin/sh", "-c", "echo outer: $(hostname); cat /proc/self/uid_map; " + inner
                        + "; echo inner exit $?");
        assertEquals(Termination.EXITED, r.termination(), r + "\n" + r.stdout() + r.stderr());
        String out = r.stdout();
        assertTrue(out.contains("outer: outer\n"), out + r.stderr());
        assertTrue(out.contains("inner: inner pid 2\n"), out + r.stderr());
        assertTrue(out.contains("inner exit 0"), out + r.stderr());
        /* the inner container's root is the outer's root, which is not the host's */
        String outerMap = out.lines().filter(l -> l.trim().startsWith("0 ")).findFirst().orElseThrow();
        assertTrue(!outerMap.trim().split("\\s+")[1].equals("0") || dev.corral.namespaces.HostSecurity.probe().uid() != 0,
                "the outer root is not host root: " + outerMap);
    }

    private static List<String> classPath() {
        String cp = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        return List.of(cp.split(File.pathSeparator));
    }

    private static void copyTree(Path from, Path to) throws IOException {
        if (Files.isRegularFile(from)) {
            Files.copy(from, to, StandardCopyOption.REPLACE_EXISTING);
            return;
        }
        try (Stream<Path> s = Files.walk(from)) {
            for (Path p : s.sorted(Comparator.naturalOrder()).toList()) {
                Path t = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(t);
                } else {
                    Files.copy(p, t, StandardCopyOption.REPLACE_EXISTING);
                }
            }
        }
    }
}
