package dev.corral;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Docker's defaults for PATH, HOSTNAME and HOME, seen by the command itself. */
class DefaultEnvironmentTest {
    private static final String DOCKER_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

    private static List<String> env(ContainerSpec.Builder b) {
        ContainerResult r = b.run("/bin/sh", "-c", "env");
        assertEquals(Termination.EXITED, r.termination(), r::stderr);
        return r.stdout().lines().filter(l -> !l.startsWith("PWD=") && !l.startsWith("SHLVL=")).sorted().toList();
    }

    @Test
    void aContainerWithNoEnvironmentGetsDockersDefaults() {
        /* the host's read-only view: root's home comes from the host's /etc/passwd */
        assertEquals(List.of("HOME=/root", "HOSTNAME=build-1", "PATH=" + DOCKER_PATH),
                env(Container.builder().hostname("build-1")));
    }

    @Test
    void aProgramIsFoundOnTheDefaultPathWithoutAnyEnvironment() {
        ContainerResult r = Container.builder().run("sh", "-c", "command -v ls");
        assertEquals("/usr/bin/ls\n", r.stdout(), r.stderr());
    }

    @Test
    void theSpecsValuesWin() {
        assertEquals(List.of("HOME=/w", "HOSTNAME=mine", "PATH=/bin"),
                env(Container.builder().env("PATH", "/bin").env("HOME", "/w").env("HOSTNAME", "mine")));
    }

    @Test
    void homeComesFromTheRootfsPasswdForTheUser(@TempDir Path dir) throws IOException {
        Path root = TestRootfs.busybox(Files.createDirectory(dir.resolve("root")));
        Files.createDirectories(root.resolve("etc"));
        Files.writeString(root.resolve("etc/passwd"), "root:x:0:0:root:/root:/bin/sh\n"
                + "builder:x:1234:1234:CI:/home/builder:/bin/sh\n");
        ContainerSpec.Builder b = Container.builder().rootfs(Rootfs.directory(root));
        assertEquals("HOME=/root", env(b).get(0));
        assertEquals("HOME=/home/builder", env(b.user(1234, 1234)).get(0));
        assertEquals("HOME=/", env(b.user(77, 77)).get(0), "a user passwd does not list gets /");
    }

    @Test
    void aSymlinkedPasswdIsNotFollowed(@TempDir Path dir) throws IOException {
        Path root = TestRootfs.busybox(Files.createDirectory(dir.resolve("root")));
        Path elsewhere = Files.writeString(dir.resolve("passwd"), "root:x:0:0:root:/secret:/bin/sh\n");
        Files.createDirectories(root.resolve("etc"));
        Files.createSymbolicLink(root.resolve("etc/passwd"), elsewhere);
        assertEquals("HOME=/", env(Container.builder().rootfs(Rootfs.directory(root))).get(0));
    }
}
