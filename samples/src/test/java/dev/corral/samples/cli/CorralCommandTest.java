package dev.corral.samples.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code corral run} end to end, in this JVM, with real containers on the host read-only view.
 * The container's stdio is this JVM's own (as on a terminal), so the commands here write what
 * the test checks into a read-write bind mount, and print nothing.
 */
class CorralCommandTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    /** The container's root is an unprivileged host ID (a user namespace): it must get through. */
    @org.junit.jupiter.api.BeforeEach
    void openUp() throws IOException {
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
    }

    /** What one {@code corral} invocation returned and printed (corral's own messages, not the container's). */
    record Outcome(int exitCode, String out, String err) {}

    static Outcome corral(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = CorralCommand.execute(new PrintWriter(out), new PrintWriter(err), args);
        return new Outcome(code, out.toString(), err.toString());
    }

    /** A host directory the container sees read-write at /out. */
    private String outBind() throws IOException {
        Path out = Files.createDirectories(dir.resolve("out"));
        Files.setPosixFilePermissions(out, PosixFilePermissions.fromString("rwxrwxrwx"));
        return out + ":/out:rw";
    }

    private String read(String name) throws IOException {
        return Files.readString(dir.resolve("out").resolve(name));
    }

    private JsonNode json(Path file) throws IOException {
        return JSON.readTree(file.toFile());
    }

    @Test
    void exitsWithTheCommandsExitCode() {
        assertEquals(7, corral("run", "--", "sh", "-c", "exit 7").exitCode());
        assertEquals(0, corral("run", "--", "/bin/true").exitCode());
        // without "--" too: options end at the command, as with docker run
        assertEquals(3, corral("run", "sh", "-c", "exit 3").exitCode());
    }

    @Test
    void exits127WhenTheCommandDoesNotExist() {
        Outcome o = corral("run", "--", "no-such-command-anywhere");
        assertEquals(127, o.exitCode());
        assertTrue(o.err().contains("no-such-command-anywhere") && o.err().contains("ENOENT"), o.err());
    }

    @Test
    void exits126WhenTheCommandIsNotExecutable() {
        Outcome o = corral("run", "--", "/etc/passwd");
        assertEquals(126, o.exitCode());
        assertTrue(o.err().contains("/etc/passwd") && o.err().contains("EACCES"), o.err());
    }

    @Test
    void exits125NamingAMissingRootfs() throws IOException {
        Path missing = dir.resolve("no-such-rootfs");
        Path result = dir.resolve("result.json");
        Outcome o = corral("run", "--rootfs", missing.toString(), "--json", result.toString(), "--", "/bin/true");
        assertEquals(125, o.exitCode());
        assertTrue(o.err().startsWith("corral run: ") && o.err().contains(missing.toString()), o.err());
        assertTrue(o.err().contains("ENOENT"), o.err());

        JsonNode j = json(result);
        assertEquals("START_FAILED", j.get("status").asText());
        assertEquals(125, j.get("exit_code").asInt());
        JsonNode error = j.get("error");
        assertEquals("ENOENT", error.get("errno").asText());
        assertTrue(error.get("message").asText().contains(missing.toString()), error.toString());
        assertFalse(error.get("step").isNull(), error.toString());
        assertEquals("RootfsUnavailableException", error.get("type").asText());
    }

    @Test
    void exits128PlusTheSignalThatKilledTheCommand() throws IOException {
        Path result = dir.resolve("result.json");
        assertEquals(128 + 9, corral("run", "--json", result.toString(), "--", "sh", "-c", "kill -9 $$").exitCode());
        JsonNode j = json(result);
        assertEquals("SIGNALED", j.get("status").asText());
        assertEquals(9, j.get("signal").asInt());
        assertTrue(j.get("exit_code").isNull(), j.toString());
    }

    @Test
    void timeoutEndsTheContainerAndSaysSo() throws IOException {
        Path result = dir.resolve("result.json");
        long t0 = System.nanoTime();
        Outcome o = corral("run", "--timeout", "500ms", "--json", result.toString(), "--", "sleep", "10");
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertEquals(128 + 9, o.exitCode());
        assertTrue(ms < 8_000, "took " + ms + " ms");
        assertTrue(o.err().contains("timed out after 500ms"), o.err());
        JsonNode j = json(result);
        assertEquals("TIMED_OUT", j.get("status").asText());
        assertEquals(9, j.get("signal").asInt());
        assertTrue(j.get("wall_time_ms").asDouble() >= 500, j.toString());
    }

    @Test
    void bindIsReadOnlyByDefaultAndWritableWithRw() throws IOException {
        Path data = Files.createDirectories(dir.resolve("data"));
        Files.setPosixFilePermissions(data, PosixFilePermissions.fromString("rwxrwxrwx"));
        String write = "echo written > /data/file";
        String quietWrite = "{ " + write + "; } 2>/dev/null";

        assertNotEquals(0, corral("run", "--bind", data + ":/data", "--", "sh", "-c", quietWrite).exitCode());
        assertNotEquals(0, corral("run", "--bind", data + ":/data:ro", "--", "sh", "-c", quietWrite).exitCode());
        assertFalse(Files.exists(data.resolve("file")));

        assertEquals(0, corral("run", "--bind", data + ":/data:rw", "--", "sh", "-c", write).exitCode());
        assertEquals("written\n", Files.readString(data.resolve("file")));
    }

    @Test
    void envAndHostnameReachTheCommandAndNothingElseDoes() throws IOException {
        Outcome o = corral("run", "--bind", outBind(), "--env", "FOO=bar baz", "-e", "EMPTY=", "--hostname", "judge-7",
                "--", "sh", "-c", "env > /out/env; hostname > /out/hostname");
        assertEquals(0, o.exitCode(), o.err());
        assertEquals("judge-7\n", read("hostname"));
        List<String> env = read("env").lines().filter(l -> !l.startsWith("PWD=")).sorted().collect(Collectors.toList());
        assertEquals(List.of("EMPTY=", "FOO=bar baz"), env); // PWD is the shell's own
    }

    @Test
    void workdirUserTmpfsAndReadOnlyRoot() throws IOException {
        String bind = outBind();
        assertEquals(0, corral("run", "--bind", bind, "--workdir", "/out", "--", "sh", "-c", "pwd > where").exitCode());
        assertEquals("/out\n", read("where"));

        assertEquals(0, corral("run", "--bind", bind, "--user", "1234:2345", "--",
                "sh", "-c", "id -u > /out/uid; id -g > /out/gid").exitCode());
        assertEquals("1234\n", read("uid"));
        assertEquals("2345\n", read("gid"));

        // 1 MiB tmpfs: a 2 MiB file does not fit, a 512 KiB one does
        assertNotEquals(0, corral("run", "--tmpfs", "/scratch:1m", "--",
                "sh", "-c", "head -c 2097152 /dev/zero > /scratch/f 2>/dev/null").exitCode());
        assertEquals(0, corral("run", "--tmpfs", "/scratch:1m", "--",
                "sh", "-c", "head -c 524288 /dev/zero > /scratch/f").exitCode());

        assertEquals(0, corral("run", "--", "sh", "-c", "mkdir /new-dir").exitCode());
        assertNotEquals(0, corral("run", "--read-only", "--", "sh", "-c", "mkdir /new-dir 2>/dev/null").exitCode());
    }

    @Test
    void jsonHoldsTheResult() throws IOException {
        Path result = dir.resolve("result.json");
        assertEquals(3, corral("run", "--json", result.toString(), "--", "sh", "-c", "exit 3").exitCode());
        JsonNode j = json(result);
        assertEquals("EXITED", j.get("status").asText());
        assertEquals(3, j.get("exit_code").asInt());
        assertTrue(j.get("signal").isNull());
        assertTrue(j.get("wall_time_ms").isNumber() && j.get("wall_time_ms").asDouble() > 0, j.toString());
        assertTrue(j.get("user_cpu_ms").isNumber() && j.get("user_cpu_ms").asDouble() >= 0, j.toString());
        assertTrue(j.get("system_cpu_ms").isNumber() && j.get("system_cpu_ms").asDouble() >= 0, j.toString());
        assertTrue(j.get("peak_memory_bytes").asLong() > 0, j.toString());
        assertEquals("RUSAGE_MAX_RSS", j.get("peak_memory_source").asText());
        assertFalse(j.has("error"));

        Path failed = dir.resolve("failed.json");
        assertEquals(127, corral("run", "--json", failed.toString(), "--", "no-such-command-anywhere").exitCode());
        JsonNode e = json(failed);
        assertEquals("START_FAILED", e.get("status").asText());
        assertEquals("CommandNotFoundException", e.get("error").get("type").asText());
        assertEquals("ENOENT", e.get("error").get("errno").asText());
        assertEquals("EXEC", e.get("error").get("step").asText());
        assertFalse(e.has("wall_time_ms"));
    }

    @Test
    void usageErrorsExit2WithAClearMessage() {
        Outcome o = corral("run", "--timeout", "2 seconds", "--", "/bin/true");
        assertEquals(2, o.exitCode());
        assertTrue(o.err().contains("--timeout") && o.err().contains("500ms"), o.err());

        o = corral("run", "--bind", "/tmp", "--", "/bin/true");
        assertEquals(2, o.exitCode());
        assertTrue(o.err().contains("SRC:DST"), o.err());

        o = corral("run", "--bind", "/tmp:/x:rx", "--", "/bin/true");
        assertEquals(2, o.exitCode());
        assertTrue(o.err().contains("'rx'"), o.err());

        o = corral("run", "--user", "root", "--", "/bin/true");
        assertEquals(2, o.exitCode());
        assertTrue(o.err().contains("UID"), o.err());

        o = corral("run", "--hostname", "not a hostname", "--", "/bin/true");
        assertEquals(2, o.exitCode());
        assertTrue(o.err().contains("hostname"), o.err());

        o = corral("run");
        assertEquals(2, o.exitCode());
        assertTrue(o.err().contains("CMD"), o.err());

        o = corral("no-such-subcommand");
        assertEquals(2, o.exitCode());
        assertTrue(o.err().contains("no-such-subcommand"), o.err());
    }

    @Test
    void versionAndHelp() {
        Outcome v = corral("--version");
        assertEquals(0, v.exitCode());
        assertTrue(v.out().startsWith("corral "), v.out());
        Outcome h = corral("run", "--help");
        assertEquals(0, h.exitCode());
        assertTrue(h.out().contains("--bind") && h.out().contains("--timeout"), h.out());
    }

    @Test
    void benchPrintsAMachineReadableLastLine() {
        Outcome o = corral("bench", "--runs", "3", "--warmup", "1", "--", "/bin/true");
        assertEquals(0, o.exitCode(), o.err());
        List<String> lines = o.out().lines().collect(Collectors.toList());
        String last = lines.get(lines.size() - 1);
        assertTrue(last.matches("corral-bench median_ms=\\d+\\.\\d{3} min_ms=\\d+\\.\\d{3} max_ms=\\d+\\.\\d{3}"
                + " p90_ms=\\d+\\.\\d{3} runs=3 failed=0 container_wall_median_ms=\\d+\\.\\d{3}"), last);
    }

    @Test
    void securityOptionsReachTheContainer() throws IOException {
        String bind = outBind();
        assertEquals(0, corral("run", "--bind", bind, "--cap-add", "net_bind_service", "--ulimit", "nofile=100:200",
                "--", "sh", "-c", "grep CapEff /proc/self/status > /out/caps; ulimit -n > /out/nofile").exitCode());
        assertEquals("CapEff:\t0000000000000400\n", read("caps"));
        assertEquals("100\n", read("nofile"));
        assertEquals(0, corral("run", "--bind", bind, "--seccomp", "unconfined", "--userns", "root", "--",
                "sh", "-c", "grep Seccomp: /proc/self/status > /out/seccomp").exitCode());
        assertEquals("Seccomp:\t0\n", read("seccomp"));
        Outcome strict = corral("run", "--seccomp", "strict", "--", "sh", "-c", "/bin/true; echo");
        assertEquals(128 + 31, strict.exitCode(), "sh forks or execs: killed by SIGSYS");
        assertEquals(2, corral("run", "--ulimit", "bogus=1", "--", "true").exitCode());
        assertEquals(2, corral("run", "--cap-add", "CAP_NOPE", "--", "true").exitCode());
    }

    @Test
    void doctorSaysWhatThisMachineAllows() {
        Outcome o = corral("doctor");
        assertEquals(0, o.exitCode(), o.out() + o.err());
        assertTrue(o.out().contains("== namespaces") && o.out().contains("default ID maps:")
                && o.out().contains("yes: containers with user"), o.out());
    }

    @Test
    void runsAnArchiveRootfsWithAVolumeAndKeepsAndCommitsNothingWithoutAnImage() throws Exception {
        Path root = Files.createDirectories(dir.resolve("root/bin"));
        Files.copy(Path.of("/bin/busybox"), root.resolve("busybox"));
        for (String a : List.of("sh", "cat", "echo")) {
            Files.createSymbolicLink(root.resolve(a), Path.of("busybox"));
        }
        Path archive = dir.resolve("root.tar.gz");
        Process tar = new ProcessBuilder("tar", "-czf", archive.toString(), "-C", dir.resolve("root").toString(), ".")
                .inheritIO().start();
        assertEquals(0, tar.waitFor());
        String store = dir.resolve("store").toString();
        assertEquals(0, corral("run", "--store", store, "--rootfs", archive.toString(), "--volume", "v:/v",
                "-e", "PATH=/bin", "--", "sh", "-c", "echo kept > /v/f").exitCode());
        assertEquals(0, corral("run", "--store", store, "--rootfs", archive.toString(), "--volume", "v:/v:ro",
                "-e", "PATH=/bin", "--bind", outBind(), "--", "sh", "-c", "cat /v/f > /out/f").exitCode());
        assertEquals("kept\n", read("f"));
        Outcome ls = corral("volume", "--store", store, "ls");
        assertTrue(ls.out().startsWith("v\t"), ls.out());
        assertEquals(0, corral("volume", "--store", store, "rm", "v").exitCode());
        Outcome prune = corral("prune", "--store", store);
        assertTrue(prune.out().startsWith("removed 1 layers"), prune.out());
        Outcome missing = corral("run", "--store", store, "--image", "no-such:image", "--", "true");
        assertEquals(125, missing.exitCode());
        assertTrue(missing.err().contains("no image 'no-such:image'"), missing.err());
    }
}
