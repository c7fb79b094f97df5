package dev.corral;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Isolation properties, proved from inside the container on the real kernel. */
class IsolationTest {

    private static ContainerResult sh(ContainerSpec.Builder b, String script) {
        ContainerResult r = b.run("/bin/sh", "-c", script);
        assertEquals(Termination.EXITED, r.termination(), () -> "ended " + r + "\n" + r.stderr());
        return r;
    }

    @Test
    void theCommandIsTheInitsOnlyChild() {
        ContainerResult r = sh(Container.builder(), "echo $$; cat /proc/1/task/1/children; echo; cat /proc/1/comm");
        String[] lines = r.stdout().split("\n");
        assertEquals(lines[0], lines[1].trim(), "the shell is PID 1's one child");
        assertEquals("corral-init", lines[2]);
    }

    @Test
    void theCommandCanBePid1() {
        ContainerResult r = sh(Container.builder().commandAsPid1(true), "echo $$; cat /proc/1/comm");
        assertEquals("1\nsh\n", r.stdout());
    }

    @Test
    void noHostProcessIsVisible() {
        ContainerResult r = sh(Container.builder(), "for p in /proc/[0-9]*; do cat $p/comm; done");
        /* the glob is expanded before any cat runs: the init and the shell, nothing of the host */
        assertEquals(List.of("corral-init", "sh"), List.of(r.stdout().split("\n")));
    }

    @Test
    void nothingOfTheHostShowsInPid1sCommandLineEnvironmentOrDescriptors() {
        ContainerResult r = sh(Container.builder(), "tr '\\0' '\\n' < /proc/1/cmdline; echo END;"
                + " tr '\\0' '\\n' < /proc/1/environ 2>/dev/null; echo END;"
                + " for f in /proc/1/fd/* /proc/1/exe /proc/1/cwd /proc/$$/fd/* /proc/$$/cwd; do readlink $f; done 2>/dev/null; echo END");
        String[] parts = r.stdout().split("END\n", -1);
        /* the launcher was started as /proc/<JVM pid>/fd/N with its socket's host path: both are gone */
        assertEquals("corral-launcher", parts[0].replace("\n", ""), r.stdout());
        String host = "/proc/" + ProcessHandle.current().pid() + "/";
        for (String leak : List.of(host, System.getProperty("java.io.tmpdir") + "/corral-", "CORRAL_LAUNCHER_TOKEN")) {
            assertFalse(r.stdout().contains(leak), leak + " shows inside:\n" + r.stdout());
        }
        for (String link : parts[2].split("\n")) {
            assertTrue(link.isEmpty() || link.equals("/") || link.startsWith("/dev/") || link.startsWith("pipe:")
                    || link.startsWith("socket:") || link.startsWith("anon_inode:") || link.startsWith("/proc/")
                    || link.startsWith("/memfd:"), "a descriptor shows " + link + " inside:\n" + r.stdout());
        }
    }

    @Test
    void theHostnameIsTheOneSet() {
        assertEquals("judge-7\n", sh(Container.builder().hostname("judge-7"), "hostname").stdout());
        assertEquals("corral\n", sh(Container.builder(), "cat /proc/sys/kernel/hostname").stdout());
    }

    @Test
    void onlyLoopbackExistsAndItIsUp() {
        ContainerResult r = sh(Container.builder(), "tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d ' '");
        assertEquals("lo\n", r.stdout());
        /* connecting to a closed port on an up loopback is refused; on a down one, unreachable */
        ContainerResult c = Container.builder().run("/bin/bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/9");
        assertTrue(c.stderr().contains("Connection refused"), c.stderr());
    }

    @Test
    void onlyStdioDescriptorsAreOpen() {
        /* the shell's own table: a fresh child could be caught in ld.so with a library open as
         * fd 3, and the trailing ':' keeps the shell from exec'ing ls in its own place */
        ContainerResult r = sh(Container.builder(), "ls /proc/$$/fd; :");
        assertEquals("0\n1\n2\n", r.stdout());
    }

    @Test
    void theEnvironmentIsExactlyWhatWasGivenPlusDockersDefaults() {
        List<String> defaults = List.of("HOME=/root", "HOSTNAME=corral",
                "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
        ContainerResult empty = Container.builder().run("/usr/bin/env");
        assertEquals(defaults, Arrays.stream(empty.stdout().split("\n")).sorted().toList());
        ContainerResult given = Container.builder().env("B", "2").env("A", "x y").env("HOME", "/h").run("/usr/bin/env");
        assertEquals(List.of("A=x y", "B=2", "HOME=/h", defaults.get(1), defaults.get(2)),
                Arrays.stream(given.stdout().split("\n")).sorted().toList());
    }

    @Test
    void hostFilesOutsideMountsAreUnreachable(@TempDir Path hostDir) throws Exception {
        Path secret = Files.writeString(hostDir.resolve("secret"), "host only");
        ContainerResult r = Container.builder().run("/bin/sh", "-c",
                "cat " + secret + "; ls /tmp; ls " + Path.of("").toAbsolutePath() + "; ls /root /home /var /sys");
        assertFalse(r.stdout().contains("host only"));
        assertEquals("", r.stdout(), "fresh /tmp, no checkout, no /root, /home, /var, /sys");
        assertNotEquals(0, r.exitCode().getAsInt());
    }

    @Test
    void aReadOnlyBindIsReadOnlyAndAReadWriteBindWritesThrough(@TempDir Path ro, @TempDir Path rw) throws Exception {
        Files.writeString(ro.resolve("in"), "data");
        TestRootfs.openUp(ro, "rwxr-xr-x");
        TestRootfs.openUp(rw, "rwxrwxrwx"); /* the container's root is an unprivileged host ID */
        ContainerResult r = Container.builder()
                .mount(Mount.bind(ro, "/in"))
                .mount(Mount.bindReadWrite(rw, "/out"))
                .run("/bin/sh", "-c", "cat /in/in; touch /in/new || echo refused; echo written > /out/file");
        assertEquals("datarefused\n", r.stdout());
        assertTrue(r.stderr().contains("Read-only file system"), r.stderr());
        assertFalse(Files.exists(ro.resolve("new")));
        assertEquals("written\n", Files.readString(rw.resolve("file")));
    }

    @Test
    void procIsTheContainersOwn() throws Exception {
        String hostPidNs = Files.readSymbolicLink(Path.of("/proc/self/ns/pid")).toString();
        String hostMntNs = Files.readSymbolicLink(Path.of("/proc/self/ns/mnt")).toString();
        ContainerResult r = sh(Container.builder(), "readlink /proc/self/ns/pid /proc/self/ns/mnt; grep -c . /proc/mounts");
        String[] lines = r.stdout().split("\n");
        assertNotEquals(hostPidNs, lines[0]);
        assertNotEquals(hostMntNs, lines[1]);
        /* only the container's own mounts: root, the host view, proc, dev and its parts, tmp */
        assertTrue(Integer.parseInt(lines[2]) < 40, "mounts: " + lines[2]); /* with the OCI masks */
    }

    @Test
    void aDirectoryRootfsIsTheRootAndTheHostIsGone(@TempDir Path dir) {
        Path root = TestRootfs.busybox(dir);
        ContainerResult r = sh(Container.builder().rootfs(Rootfs.directory(root)),
                "ls /; ls /usr 2>&1; cat /proc/1/comm");
        assertEquals("bin\ndev\nproc\ntmp\nls: /usr: No such file or directory\ncorral-init\n", r.stdout());
    }

    @Test
    void aReadOnlyRootRefusesWritesButTmpIsWritable(@TempDir Path dir) throws Exception {
        Path root = TestRootfs.busybox(dir);
        ContainerResult r = Container.builder().rootfs(Rootfs.directory(root)).readOnlyRoot(true)
                .run("/bin/sh", "-c", "touch /new || echo refused; touch /tmp/ok && echo tmp ok");
        assertEquals("refused\ntmp ok\n", r.stdout());
        assertFalse(Files.exists(root.resolve("new")));
    }

    @Test
    void userGroupAndWorkingDirectoryAreSet() {
        ContainerResult r = sh(Container.builder().user(1234, 5678).workingDirectory("/tmp"), "id -u; id -g; pwd");
        assertEquals("1234\n5678\n/tmp\n", r.stdout());
    }

    @Test
    void tmpfsMountsHaveTheirSize() {
        ContainerResult r = sh(Container.builder().mount(Mount.tmpfs("/scratch", dev.corral.unit.DataSize.ofMebibytes(4))),
                "df -k /scratch | tail -n 1 | tr -s ' ' | cut -d' ' -f2");
        assertEquals("4096\n", r.stdout());
    }

    @Test
    void theMinimalDevHasItsDevices() {
        ContainerResult r = sh(Container.builder(),
                "ls /dev | sort | tr '\\n' ' '; head -c 4 /dev/zero | wc -c; echo x > /dev/null && echo null ok");
        assertEquals("fd full null ptmx pts random shm stderr stdin stdout tty urandom zero 4\nnull ok\n", r.stdout());
    }
}
