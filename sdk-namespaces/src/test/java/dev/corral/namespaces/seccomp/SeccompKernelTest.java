package dev.corral.namespaces.seccomp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Installs compiled programs into real processes on the real kernel, through a small C helper
 * built at test time from src/test/c/ (never into this JVM), and watches what they allow.
 */
class SeccompKernelTest {
    private static final int SIGSYS_EXIT = 128 + 31; // how Java reports a process killed by SIGSYS

    @TempDir
    static Path dir;
    static Path helper;
    static Path probe;
    static SeccompArchitecture arch;

    @BeforeAll
    static void buildHelpers() throws Exception {
        assumeTrue(System.getProperty("os.name").equals("Linux"), "seccomp is Linux only");
        arch = SeccompArchitecture.host().orElse(null);
        assumeTrue(arch != null, "no seccomp tables for " + System.getProperty("os.arch"));
        assumeTrue(run(List.of("gcc", "--version")).exit == 0, "gcc is needed to build the test helpers");
        Path src = Path.of("src/test/c");
        helper = dir.resolve("seccomp-exec");
        probe = dir.resolve("seccomp-probe");
        for (String[] build : new String[][] {{"seccomp-exec.c", helper.toString()}, {"seccomp-probe.c", probe.toString()}}) {
            Result r = run(List.of("gcc", "-std=gnu11", "-O2", "-Wall", "-Wextra", "-Werror", "-o", build[1],
                    src.resolve(build[0]).toString()));
            assertEquals(0, r.exit, "gcc " + build[0] + ": " + r.err);
        }
    }

    @Test
    void defaultProfileRunsOrdinaryCommands() throws Exception {
        Path filter = write(SeccompProfiles.defaultProfile());
        Result t = under(filter, "/bin/true");
        assertEquals(0, t.exit, t.err);
        Result sh = under(filter, "/bin/sh", "-c", "echo ok");
        assertEquals(0, sh.exit, sh.err);
        assertEquals("ok\n", sh.out);
        Result pipeline = under(filter, "/bin/sh", "-c", "ls / | wc -l; cat /proc/self/status | grep -c Seccomp");
        assertEquals(0, pipeline.exit, pipeline.err);
    }

    @Test
    void defaultProfileInstallsAFilterModeTwo() throws Exception {
        Result r = under(write(SeccompProfiles.defaultProfile()), "/bin/sh", "-c", "grep '^Seccomp:' /proc/self/status");
        assertEquals("Seccomp:\t2\n", r.out, r.err);
    }

    @Test
    void defaultProfileRefusesNewUserNamespacesAndMounts() throws Exception {
        Path filter = write(SeccompProfiles.defaultProfile());
        Result unshareUnconfined = under(null, probe.toString(), "unshare-user");
        Result unshare = under(filter, probe.toString(), "unshare-user");
        assertEquals("errno 1\n", unshare.out, "unshare(CLONE_NEWUSER) must fail with EPERM");
        if (isRoot()) {
            assertEquals("ok\n", unshareUnconfined.out, "control: root creates a user namespace without the filter");
        }

        Result mountUnconfined = under(null, probe.toString(), "mount");
        assertEquals("errno 2\n", mountUnconfined.out, "control: the kernel answers ENOENT"); // root or not: path missing
        Result mount = under(filter, probe.toString(), "mount");
        assertEquals("errno 1\n", mount.out, "mount must fail with EPERM from the filter");

        Result unshareCommand = under(filter, "unshare", "-U", "true");
        assertTrue(unshareCommand.exit != 0, "unshare -U true must fail");
        assertTrue(unshareCommand.err.contains("Operation not permitted"), unshareCommand.err);
        if (isRoot()) {
            assertEquals(0, under(null, "unshare", "-U", "true").exit, "control: unshare -U works without the filter");
        }
    }

    @Test
    void strictJudgeRunsTheFirstExecOnlyAndKillsSocketsAndForks() throws Exception {
        Path filter = write(SeccompProfiles.strictJudge());
        String fd = Integer.toString(SeccompProfiles.JUDGE_EXEC_FD);
        String nofile = "64";

        Result ok = judge(filter, fd, nofile, probe.toString(), "write");
        assertEquals(0, ok.exit, ok.err);
        assertEquals("ok\n", ok.out);

        assertEquals(SIGSYS_EXIT, judge(filter, fd, nofile, probe.toString(), "socket").exit, "socket() must kill");
        assertEquals(SIGSYS_EXIT, judge(filter, fd, nofile, probe.toString(), "fork").exit, "fork() must kill");
        assertEquals(SIGSYS_EXIT, judge(filter, fd, nofile, probe.toString(), "execve", "/bin/true").exit,
                "a second exec must kill");
        // a plain execve as the first exec is refused too: only the execveat ticket passes
        assertEquals(SIGSYS_EXIT, under(filter, probe.toString(), "write").exit);
        // control: the same probes without a filter
        assertEquals("ok\n", under(null, probe.toString(), "socket").out);
    }

    @Test
    void strictJudgeRunsRealSolutions() throws Exception {
        Path filter = write(SeccompProfiles.strictJudge());
        String fd = Integer.toString(SeccompProfiles.JUDGE_EXEC_FD);
        // a JVM: threads, mmap, signals, a user lookup that probes nscd through an AF_UNIX socket
        Path java = Path.of(System.getProperty("java.home"), "bin", "java").toRealPath();
        Result jvm = judge(filter, fd, "64", java.toString(), "-Xshare:auto", "-version");
        assertEquals(0, jvm.exit, jvm.err);
        assertTrue(jvm.err.contains("version"), jvm.err);
        Path python = Path.of("/usr/bin/python3");
        if (Files.isExecutable(python)) {
            Result py = judge(filter, fd, "64", python.toString(), "-c", "import math; print(math.factorial(20))");
            assertEquals("2432902008176640000\n", py.out, py.err);
        }
    }

    @Test
    void podmansDefaultProfileRunsAShellSession() throws Exception {
        SeccompProfile podman;
        try (var in = SeccompKernelTest.class.getResourceAsStream("podman-seccomp.json")) {
            podman = OciSeccompProfiles.reader().read(in).build();
        }
        Path filter = write(podman);
        Result sh = under(filter, "/bin/sh", "-c",
                "echo ok; for f in / /etc; do ls $f > /dev/null; done; grep '^Seccomp:' /proc/self/status | cat; "
                        + "x=$(echo sub); echo $x; sleep 0.01 & wait");
        assertEquals(0, sh.exit, sh.err);
        assertEquals("ok\nSeccomp:\t2\nsub\n", sh.out, sh.err);
    }

    @Test
    void installedPodmanProfileRunsAShellWhenPresent() throws Exception {
        Path installed = Path.of("/usr/share/containers/seccomp.json");
        assumeTrue(Files.isReadable(installed), "golang-github-containers-common is not installed");
        Result sh = under(write(OciSeccompProfiles.reader().read(installed).build()), "/bin/sh", "-c", "echo ok");
        assertEquals("ok\n", sh.out, sh.err);
    }

    private static boolean isRoot() throws Exception {
        return run(List.of("id", "-u")).out.trim().equals("0");
    }

    private static Path write(SeccompProfile profile) throws IOException {
        Path f = Files.createTempFile(dir, "filter", ".bpf");
        Files.write(f, profile.compile(arch).toByteArray());
        return f;
    }

    private static Result under(Path filter, String... command) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(helper.toString(), filter == null ? "-" : filter.toString()));
        cmd.addAll(List.of(command));
        return run(cmd);
    }

    private static Result judge(Path filter, String fd, String nofile, String... command) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(helper.toString(), "--exec-fd", fd, "--nofile", nofile,
                filter.toString()));
        cmd.addAll(List.of(command));
        return run(cmd);
    }

    private record Result(int exit, String out, String err) {
    }

    private static Result run(List<String> command) throws Exception {
        Process p;
        try {
            p = new ProcessBuilder(command).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                    .start();
        } catch (IOException e) {
            return new Result(-1, "", e.toString());
        }
        byte[] out = p.getInputStream().readAllBytes();
        byte[] err = p.getErrorStream().readAllBytes();
        assertTrue(p.waitFor(30, TimeUnit.SECONDS), "timed out: " + command);
        return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8), new String(err, StandardCharsets.UTF_8));
    }
}
