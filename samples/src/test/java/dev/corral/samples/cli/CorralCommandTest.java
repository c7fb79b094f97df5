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

    @Test
    void networkHostSharesTheHostsNetworkNamespaceAndNoneIsTheDefault() throws Exception {
        String ours = Files.readSymbolicLink(Path.of("/proc/self/ns/net")) + "\n";
        for (String network : new String[] {"host", "none"}) {
            Outcome o = corral("run", "--bind", outBind(), "--network", network, "--", "sh", "-c",
                    "readlink /proc/self/ns/net > /out/" + network);
            assertEquals(0, o.exitCode(), o.err());
        }
        assertEquals(ours, read("host"));
        assertNotEquals(ours, read("none"));
        assertTrue(read("none").startsWith("net:["), read("none"));
    }

    @Test
    void runOnABridgeWithAddHostDnsAndAPublishedPortThenNetworkLsAndRm() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(dev.corral.namespaces.HostSecurity.probe().uid() == 0,
                "bridge networks are root only");
        String name = "cli" + java.util.HexFormat.of().formatHex(new java.security.SecureRandom().generateSeed(4));
        String routes = new String(new ProcessBuilder("ip", "-4", "route", "show", "table", "all").start().getInputStream()
                .readAllBytes());
        String subnet = null;
        for (int third = 0; third < 256 && subnet == null; third++) {
            String prefix = "10.203." + (int) (Math.random() * 256) + ".";
            subnet = routes.contains(prefix) ? null : prefix + "0/24";
        }
        /* the network is made with its subnet through the API, then used by name from the CLI */
        try (dev.corral.ContainerProcess holder = dev.corral.Container.builder()
                .network(dev.corral.network.Network.bridge(name, dev.corral.network.Subnet.parse(subnet)))
                .start("sleep", "60")) {
            Outcome o = corral("run", "--bind", outBind(), "--network", "bridge:" + name, "-p", "127.0.0.1:40998-40999:80-81",
                    "--add-host", "db.internal:10.89.0.9", "--dns", "192.0.2.53", "--network-alias", "api", "--hostname", "web",
                    "--", "sh", "-c", "cat /etc/hosts > /out/hosts; cat /etc/resolv.conf > /out/resolv; ip -4 -o addr show eth0 > /out/addr");
            assertEquals(0, o.exitCode(), o.err());
            assertTrue(read("hosts").contains("\tweb api\n") && read("hosts").contains("10.89.0.9\tdb.internal\n"), read("hosts"));
            assertTrue(read("hosts").contains(holder.address().orElseThrow().getHostAddress() + "\tcorral\n"), read("hosts"));
            assertEquals("nameserver 192.0.2.53\n", read("resolv").lines().filter(l -> l.startsWith("nameserver"))
                    .map(l -> l + "\n").reduce("", String::concat));
            assertTrue(read("addr").contains(subnet.substring(0, subnet.lastIndexOf('.'))), read("addr"));
            StringWriter out = new StringWriter();
            int rc = CorralCommand.execute(new PrintWriter(out), new PrintWriter(new StringWriter()), "network", "ls");
            assertEquals(0, rc);
            assertTrue(out.toString().contains(name + "\t" + name + "\t" + subnet + "\t1\tyes"), out.toString());
            Outcome busy = corral("network", "rm", name);
            assertEquals(1, busy.exitCode());
            assertTrue(busy.err().contains("running"), busy.err());
        }
        Outcome gone = corral("network", "rm", name);
        assertEquals(1, gone.exitCode(), "removed with its last container already");
        assertTrue(gone.err().contains("no network " + name), gone.err());
        Outcome bad = corral("run", "--network", "bridge", "-p", "80", "--", "/bin/true");
        assertEquals(2, bad.exitCode());
        assertTrue(bad.err().contains("--publish"), bad.err());
        Outcome uneven = corral("run", "--network", "bridge", "-p", "8000-8002:80-81", "--", "/bin/true");
        assertEquals(2, uneven.exitCode());
        assertTrue(uneven.err().contains("--publish") && uneven.err().contains("as many"), uneven.err());
    }

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
    void helpListsEveryCommandThoughARunBuildsOnlyItsOwn() {
        Outcome help = corral("--help");
        assertEquals(0, help.exitCode());
        for (String c : List.of("run", "build", "bench", "doctor", "compose", "images", "import", "pull", "push", "commit", "rmi", "volume", "network", "prune", "help")) {
            assertTrue(help.out().lines().anyMatch(l -> l.trim().startsWith(c + " ")), c + " in\n" + help.out());
        }
        assertEquals(1, CorralCommand.commandLine("run", "--", "true").getSubcommands().size());
        assertEquals(15, CorralCommand.commandLine("help", "run").getSubcommands().size());
        Outcome helpRun = corral("help", "run");
        assertTrue(helpRun.out().contains("--output-limit"), helpRun.out());
        Outcome typo = corral("rnu", "true");
        assertEquals(2, typo.exitCode());
        assertTrue(typo.err().contains("'rnu'"), typo.err());
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
    void anIdmappedBindMakesRootsWorkspaceWritableAndTheFilesRoots() throws IOException {
        /* root-owned (the tests run as root), 0755: the default container's root is nobody to it */
        Path ws = Files.createDirectories(dir.resolve("ws"));
        Files.setPosixFilePermissions(ws, PosixFilePermissions.fromString("rwxr-xr-x"));
        String write = "echo built > /ws/out && stat -c %u /ws/out > /ws/owner";
        assertNotEquals(0, corral("run", "--bind", ws + ":/ws:rw", "--", "sh", "-c", write + " 2>/dev/null").exitCode());
        Outcome r = corral("run", "--bind", ws + ":/ws:rw,idmap", "--", "sh", "-c", write);
        assertEquals(0, r.exitCode(), r.err());
        assertEquals("0\n", Files.readString(ws.resolve("owner")), "inside, the container's root owns it");
        assertEquals(0, ((Number) Files.getAttribute(ws.resolve("out"), "unix:uid")).intValue(), "on the host, root does");
        Outcome keep = corral("run", "--userns", "keep-id", "--", "true");
        assertEquals(125, keep.exitCode(), keep.err());
        assertTrue(keep.err().contains("keep-id would make host root the container's root"), keep.err());
    }

    @Test
    void envAndHostnameReachTheCommandAndNothingElseDoes() throws IOException {
        Outcome o = corral("run", "--bind", outBind(), "--env", "FOO=bar baz", "-e", "EMPTY=", "--hostname", "judge-7",
                "--", "sh", "-c", "env > /out/env; hostname > /out/hostname");
        assertEquals(0, o.exitCode(), o.err());
        assertEquals("judge-7\n", read("hostname"));
        List<String> env = read("env").lines().filter(l -> !l.startsWith("PWD=")).sorted().collect(Collectors.toList());
        /* PWD is the shell's own; PATH, HOME and HOSTNAME are Docker's defaults */
        assertEquals(List.of("EMPTY=", "FOO=bar baz", "HOME=/root", "HOSTNAME=judge-7",
                "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"), env);
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
        assertEquals(j.get("user_cpu_ms").asDouble() + j.get("system_cpu_ms").asDouble(),
                j.get("cpu_time_ms").asDouble(), 0.002, j.toString());
        assertEquals(0, j.get("oom_kills").asLong(), j.toString());
        assertTrue(j.get("pids_peak").isNull(), "no cgroup, no pids count: " + j);
        assertFalse(j.get("output_limited").asBoolean(), j.toString());
        assertTrue(j.get("stdout_bytes").isNull() && j.get("stderr_bytes").isNull(), j.toString());
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

        o = corral("run", "--network", "bogus", "--", "/bin/true");
        assertEquals(2, o.exitCode());
        assertTrue(o.err().contains("--network") && o.err().contains("none, host, bridge[:NAME] or pasta"), o.err());

        /* as root (this suite), pasta is refused with the reason: --network pasta and -p reach it */
        o = corral("run", "--network", "pasta", "-p", "127.0.0.1:18080:80", "--", "/bin/true");
        assertTrue(o.exitCode() != 0, o.err());
        assertTrue(o.err().contains("rootless"), o.err());

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
    void benchExecRunsTheCommandsInOneRunningContainer() {
        Outcome o = corral("bench", "--runs", "4", "--warmup", "1", "--exec", "--", "/bin/sh", "-c", "test $$ -gt 2");
        assertEquals(0, o.exitCode(), o.err());
        assertTrue(o.out().contains("exec'd into one running container"), o.out());
        List<String> lines = o.out().lines().collect(Collectors.toList());
        /* each exec'd shell is a later process of the one container's PID namespace (1: its init, 2: its sh) */
        assertTrue(lines.get(lines.size() - 1).matches("corral-bench .* runs=4 failed=0 .*"), o.out());
        Outcome both = corral("bench", "--runs", "2", "--exec", "--pool", "1", "--", "/bin/true");
        assertEquals(2, both.exitCode(), both.err());
    }

    @Test
    void benchThroughAPoolSaysItsThroughput() {
        Outcome o = corral("bench", "--runs", "6", "--warmup", "1", "--pool", "2", "--", "/bin/true");
        assertEquals(0, o.exitCode(), o.err());
        assertTrue(o.out().contains("all at once through a pool of 2"), o.out());
        List<String> lines = o.out().lines().collect(Collectors.toList());
        String last = lines.get(lines.size() - 1);
        assertTrue(last.matches("corral-bench .* runs=6 failed=0 .* throughput_per_s=\\d+\\.\\d"), last);
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
    void aJsonSeccompProfileAppliesItsRulesForTheCapabilitiesGiven() {
        String profile = Path.of("..", "sdk-namespaces", "src", "test", "resources", "dev", "corral", "namespaces",
                "seccomp", "podman-seccomp.json").toAbsolutePath().normalize().toString();
        /* chroot, unshare and mount are allowed by the profile only with CAP_SYS_CHROOT / CAP_SYS_ADMIN */
        String script = "chroot / true || exit 11; unshare -m true || exit 12; mount -t tmpfs t /tmp || exit 13";
        Outcome granted = corral("run", "--seccomp", profile, "--cap-add", "SYS_CHROOT,SYS_ADMIN", "--",
                "sh", "-c", script);
        assertEquals(0, granted.exitCode(), granted.err());
        /* without the capabilities the same profile refuses them */
        assertEquals(11, corral("run", "--seccomp", profile, "--", "sh", "-c", script).exitCode());
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
        Outcome ls = corral("volume", "ls", "--store", store);
        assertTrue(ls.out().startsWith("v\t"), ls.out());
        assertEquals(ls.out(), corral("volume", "--store", store, "ls").out(), "--store before the subcommand too");
        assertEquals(0, corral("volume", "rm", "--store", store, "v").exitCode());
        Outcome gone = corral("volume", "rm", "--store", store, "v");
        assertEquals(1, gone.exitCode());
        assertTrue(gone.err().contains("no volume v"), gone.err());
        assertEquals("", corral("volume", "ls", "--store", store).out());
        assertEquals(2, corral("volume", "--store", store).exitCode());
        assertEquals(2, corral("volume", "list", "--store", store).exitCode());
        Outcome prune = corral("prune", "--store", store);
        assertTrue(prune.out().startsWith("removed 1 layers"), prune.out());
        Outcome missing = corral("run", "--store", store, "--pull", "never", "--image", "no-such:image", "--", "true");
        assertEquals(125, missing.exitCode());
        assertTrue(missing.err().contains("no image 'no-such:image'"), missing.err());
    }

    @Test
    void imagesListsKeptLayersThatCommitMakesAnImageAndRmiRemoves() throws Exception {
        Path ctx = busyboxContext();
        Files.writeString(ctx.resolve("Dockerfile"), "FROM scratch\nADD root.tar /\nENV PATH=/bin\n");
        String store = dir.resolve("store").toString();
        assertEquals(0, corral("build", "--store", store, "-t", "base:1", ctx.toString()).exitCode());
        Outcome run = corral("run", "--store", store, "--image", "base:1", "--keep-layer",
                "--", "sh", "-c", "echo made > /made");
        assertEquals(0, run.exitCode(), run.err());
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("kept the writable layer (\\S+)").matcher(run.err());
        assertTrue(m.find(), run.err());
        String layer = m.group(1);

        Outcome images = corral("images", "--store", store);
        assertTrue(images.out().contains("KEPT LAYERS") && images.out().lines().anyMatch(l -> l.startsWith(layer + " ")),
                images.out());
        Outcome wrong = corral("commit", "--store", store, "no-such-layer", "mine:1");
        assertEquals(2, wrong.exitCode());
        assertTrue(wrong.err().contains("'corral images' lists the kept layers"), wrong.err());
        Outcome commit = corral("commit", "--store", store, layer, "mine:1");
        assertEquals(0, commit.exitCode(), commit.err());
        images = corral("images", "--store", store);
        assertTrue(images.out().lines().anyMatch(l -> l.startsWith("mine:1 ")) && !images.out().contains("KEPT LAYERS"),
                images.out());
        assertEquals(0, corral("run", "--store", store, "--image", "mine:1", "-e", "PATH=/bin", "--bind", outBind(),
                "--", "sh", "-c", "cat /made > /out/f").exitCode());
        assertEquals("made\n", read("f"));

        Outcome rmi = corral("rmi", "--store", store, "mine:1");
        assertEquals(0, rmi.exitCode(), rmi.err());
        assertEquals("mine:1\n", rmi.out());
        assertFalse(corral("images", "--store", store).out().contains("mine:1"));
        Outcome again = corral("rmi", "--store", store, "mine:1");
        assertEquals(1, again.exitCode());
        assertTrue(again.err().contains("no image mine:1"), again.err());
        assertEquals(2, corral("rmi", "--store", store).exitCode());
    }

    @Test
    void aMissingImagePathAndANonArchiveRootfsAreNamedAsSuch() throws IOException {
        String store = dir.resolve("store").toString();
        Path nowhere = dir.resolve("missing/path");
        Outcome image = corral("run", "--store", store, "--image", nowhere.toString(), "--", "true");
        assertEquals(125, image.exitCode());
        assertTrue(image.err().contains(nowhere + ": no such file or directory") && !image.err().contains("latest"),
                image.err());
        Path text = Files.writeString(dir.resolve("notes.txt"), "hello\n");
        Outcome rootfs = corral("run", "--store", store, "--rootfs", text.toString(), "--", "true");
        assertEquals(125, rootfs.exitCode());
        assertTrue(rootfs.err().contains(text + " is not a root file system archive"), rootfs.err());
    }

    @Test
    void buildMakesAnImageFromADockerfileAndARebuildRunsNothing() throws Exception {
        Path ctx = busyboxContext();
        Files.writeString(ctx.resolve("Dockerfile"), """
                FROM scratch
                ADD root.tar /
                ENV PATH=/bin
                ARG WHO=nobody
                RUN echo "built for $WHO" > /made
                CMD ["cat", "/made"]
                """);
        String store = dir.resolve("store").toString();
        Outcome first = corral("build", "--store", store, "-t", "made:1", "--build-arg", "WHO=corral", ctx.toString());
        assertEquals(0, first.exitCode(), first.err());
        assertTrue(first.out().contains("line 5: RUN echo") && first.out().contains("5 of 6 steps ran"), first.out());
        Outcome again = corral("build", "--store", store, "-t", "made:1", "--build-arg", "WHO=corral", ctx.toString());
        assertTrue(again.out().contains("0 of 6 steps ran"), again.out());
        assertEquals(0, corral("run", "--store", store, "--image", "made:1", "--bind", outBind(), "--",
                "sh", "-c", "cat /made > /out/f").exitCode());
        assertEquals("built for corral\n", read("f"));
        assertTrue(corral("images", "--store", store).out().contains("made:1"));

        Files.writeString(ctx.resolve("Dockerfile"), "FROM scratch\nVOLUME /data\n");
        Outcome bad = corral("build", "--store", store, ctx.toString());
        assertEquals(125, bad.exitCode());
        assertTrue(bad.err().contains("line 2: VOLUME is not supported"), bad.err());
        assertEquals(2, corral("build", "--store", store, "--network", "bridge", ctx.toString()).exitCode());
    }

    /** A build context holding root.tar, a busybox tree with sh, cat and echo (its source directory ignored). */
    private Path busyboxContext() throws IOException, InterruptedException {
        Path root = Files.createDirectories(dir.resolve("ctx/root/bin"));
        Files.copy(Path.of("/bin/busybox"), root.resolve("busybox"));
        for (String a : List.of("sh", "cat", "echo")) {
            Files.createSymbolicLink(root.resolve(a), Path.of("busybox"));
        }
        Path ctx = dir.resolve("ctx");
        Process tar = new ProcessBuilder("tar", "-cf", ctx.resolve("root.tar").toString(), "-C", ctx.resolve("root").toString(), ".")
                .inheritIO().start();
        assertEquals(0, tar.waitFor());
        Files.writeString(ctx.resolve(".dockerignore"), "root\n");
        return ctx;
    }

    private static void sh(String... cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes());
        assertEquals(0, p.waitFor(), String.join(" ", cmd) + ": " + output);
    }

    /**
     * A docker-save archive whose RepoTags say {@code busybox:1.35} (made by umoci and skopeo),
     * picked by {@code PATH:TAG} with the tag's own ':'; without a command the image's
     * entrypoint and cmd run.
     */
    @Test
    void runPicksAnArchiveTagContainingAColonAndRunsTheImagesOwnCommand() throws Exception {
        Path root = Files.createDirectories(dir.resolve("rootfs/bin"));
        Files.copy(Path.of("/bin/busybox"), root.resolve("busybox"));
        Files.createSymbolicLink(root.resolve("sh"), Path.of("busybox"));
        String layout = dir.resolve("layout").toString();
        sh("umoci", "init", "--layout", layout);
        sh("umoci", "new", "--image", layout + ":1.35");
        sh("umoci", "insert", "--image", layout + ":1.35", dir.resolve("rootfs").toString(), "/");
        sh("umoci", "config", "--image", layout + ":1.35", "--config.entrypoint", "/bin/sh",
                "--config.cmd", "-c", "--config.cmd", "echo from-the-image > /out/default");
        Path tar = dir.resolve("busybox.tar");
        sh("skopeo", "copy", "--quiet", "oci:" + layout + ":1.35", "docker-archive:" + tar + ":busybox:1.35");

        String store = dir.resolve("store").toString();
        Outcome o = corral("run", "--store", store, "--image", tar + ":busybox:1.35", "--bind", outBind());
        assertEquals(0, o.exitCode(), o.err());
        assertEquals("from-the-image\n", read("default"));
        Outcome wrong = corral("run", "--store", store, "--image", tar + ":busybox:9.9", "--", "/bin/sh", "-c", "true");
        assertEquals(125, wrong.exitCode(), wrong.err());
        assertTrue(wrong.err().contains("busybox:1.35"), "names the tags it has: " + wrong.err());
    }

    /* ---- resource limits: a cgroup per container (v1 on this hybrid host) ---- */

    private static final String BUSY_LOOP = "while :; do :; done";

    @Test
    void memoryLimitEndsAMemoryBombOomKilled() throws IOException {
        Path result = dir.resolve("result.json");
        Outcome o = corral("run", "--memory", "64m", "--json", result.toString(), "--",
                "sh", "-c", "exec dd if=/dev/zero of=/dev/null bs=200M count=1");
        assertEquals(128 + 9, o.exitCode(), o.err());
        assertTrue(o.err().contains("OOM killer") && o.err().contains("64MiB"), o.err());
        JsonNode j = json(result);
        assertEquals("OOM_KILLED", j.get("status").asText(), j.toString());
        assertEquals(9, j.get("signal").asInt(), j.toString());
        assertTrue(j.get("oom_kills").asLong() >= 1, j.toString());
        assertTrue(j.get("peak_memory_source").asText().startsWith("CGROUP_"), j.toString());
        assertTrue(j.get("peak_memory_bytes").asLong() <= 64L << 20, "no more than the limit: " + j);
        assertTrue(j.get("peak_memory_bytes").asLong() >= 48L << 20, "about the limit: " + j);
        assertFalse(j.get("output_limited").asBoolean(), j.toString());
    }

    @Test
    void pidsLimitContainsAForkBomb() throws IOException {
        Path result = dir.resolve("result.json");
        // dash exits when a background fork fails: fork in a subshell, count in the outer shell
        Outcome o = corral("run", "--pids", "16", "--bind", outBind(), "--json", result.toString(), "--", "sh", "-c",
                "(i=0; while [ $i -lt 50 ]; do sleep 5 & i=$((i+1)); done) 2>/dev/null; "
                        + "set -- /proc/[0-9]*; echo $# > /out/n");
        assertEquals(0, o.exitCode(), o.err());
        int n = Integer.parseInt(read("n").strip());
        assertTrue(n <= 16, n + " processes");
        assertTrue(n >= 8, "the forks up to the limit succeed: " + n + " processes");
        JsonNode j = json(result);
        assertTrue(j.get("pids_peak").isNull() || j.get("pids_peak").asLong() <= 16, j.toString());
    }

    @Test
    void cpuTimeLimitKillsABusyLoop() throws IOException {
        Path result = dir.resolve("result.json");
        Outcome o = corral("run", "--cpu-time", "1s", "--timeout", "20s", "--json", result.toString(), "--",
                "sh", "-c", BUSY_LOOP);
        assertEquals(128 + 9, o.exitCode(), o.err());
        assertTrue(o.err().contains("CPU-time limit of 1s"), o.err());
        JsonNode j = json(result);
        assertEquals("CPU_TIME_EXCEEDED", j.get("status").asText(), j.toString());
        assertEquals(9, j.get("signal").asInt(), j.toString());
        double cpu = j.get("cpu_time_ms").asDouble();
        assertTrue(cpu >= 1000 && cpu < 2000, "killed at about 1 s of CPU: " + j);
    }

    @Test
    void cpusHalfGivesAboutHalfTheWallTimeInCpu() throws IOException {
        Path result = dir.resolve("result.json");
        Outcome o = corral("run", "--cpus", "0.5", "--timeout", "1s", "--json", result.toString(), "--",
                "sh", "-c", BUSY_LOOP);
        assertEquals(128 + 9, o.exitCode(), o.err());
        JsonNode j = json(result);
        assertEquals("TIMED_OUT", j.get("status").asText(), j.toString());
        double cpu = j.get("cpu_time_ms").asDouble();
        assertTrue(cpu >= 200 && cpu <= 800, "about 0.5 s of CPU in 1 s: " + j);
    }

    @Test
    void cpusetPinsToTheNamedCpu() throws IOException {
        assertEquals(0, corral("run", "--cpuset", "0", "--bind", outBind(), "--",
                "sh", "-c", "grep Cpus_allowed_list /proc/self/status > /out/cpus").exitCode());
        assertEquals("Cpus_allowed_list:\t0\n", read("cpus"));
    }

    @Test
    void outputLimitShowsTheOutputCapsItAndKillsPastIt() throws IOException {
        Path result = dir.resolve("result.json");
        java.io.PrintStream stdout = System.out;
        java.io.PrintStream stderr = System.err;
        java.io.ByteArrayOutputStream printedOut = new java.io.ByteArrayOutputStream();
        java.io.ByteArrayOutputStream printedErr = new java.io.ByteArrayOutputStream();
        Outcome small;
        Outcome big;
        Outcome merged;
        try {
            System.setOut(new java.io.PrintStream(printedOut, true));
            System.setErr(new java.io.PrintStream(printedErr, true));
            small = corral("run", "--output-limit", "1k", "--", "sh", "-c", "echo out; echo err >&2");
            big = corral("run", "--output-limit", "1k", "--json", result.toString(), "--",
                    "sh", "-c", "yes | head -c 100000");
            merged = corral("run", "--merge-stderr", "--output-limit", "16", "--", "sh", "-c",
                    "echo 1; echo 2 >&2; echo 3; echo 4 >&2; echo 5; echo 6 >&2; echo 7; echo 8 >&2; echo 9");
        } finally {
            System.setOut(stdout);
            System.setErr(stderr);
        }
        assertEquals(0, small.exitCode(), small.err());
        assertEquals(128 + 9, big.exitCode(), big.err());
        assertTrue(big.err().contains("--output-limit 1KiB"), big.err());
        String out = printedOut.toString(java.nio.charset.StandardCharsets.UTF_8);
        assertEquals("out\n" + "y\n".repeat(512) + "1\n2\n3\n4\n5\n6\n7\n8\n", out);
        assertEquals(137, merged.exitCode(), "18 bytes of stdout and stderr merged passed 16: " + merged.err());
        assertEquals("err\n", printedErr.toString(java.nio.charset.StandardCharsets.UTF_8));
        JsonNode j = json(result);
        assertEquals("OUTPUT_LIMITED", j.get("status").asText(), j.toString());
        assertTrue(j.get("output_limited").asBoolean(), j.toString());
        assertEquals(1024, j.get("stdout_bytes").asInt(), j.toString());
        assertEquals(0, j.get("stderr_bytes").asInt(), j.toString());
    }

    @Test
    void invalidLimitsExit2NamingTheOption() throws IOException {
        Path result = dir.resolve("result.json");
        Outcome o = corral("run", "--memory", "1k", "--json", result.toString(), "--", "/bin/true");
        assertEquals(2, o.exitCode());
        assertTrue(o.err().contains("--memory") && o.err().contains("1MiB"), o.err());
        assertEquals("--memory", json(result).get("error").get("field").asText());

        for (String[] bad : List.of(new String[] {"--memory", "lots"}, new String[] {"--memory-swap", "1m"},
                new String[] {"--cpus", "0"}, new String[] {"--cpus", "half"}, new String[] {"--cpuset", "0-a"},
                new String[] {"--pids", "0"}, new String[] {"--cpu-time", "1 s"}, new String[] {"--output-limit", "-1"},
                new String[] {"--allow-unenforced", "memory,nope"})) {
            o = corral("run", bad[0], bad[1], "--", "/bin/true");
            assertEquals(2, o.exitCode(), String.join(" ", bad) + ": " + o.err());
            assertTrue(o.err().contains(bad[0]), o.err());
            o = corral("bench", "--runs", "1", bad[0], bad[1], "--", "/bin/true");
            assertEquals(2, o.exitCode(), "bench " + String.join(" ", bad) + ": " + o.err());
        }
    }

    @Test
    void limitsAndAllowUnenforcedAreAcceptedAndShowInTheHelp() throws IOException {
        Path result = dir.resolve("result.json");
        assertEquals(0, corral("run", "--memory", "256m", "--memory-swap", "64m", "--pids", "64", "--cpus", "1",
                "--allow-unenforced", "memory,pids", "--json", result.toString(), "--", "/bin/true").exitCode());
        JsonNode j = json(result);
        assertEquals("EXITED", j.get("status").asText(), j.toString());
        assertTrue(j.get("peak_memory_source").asText().startsWith("CGROUP_"), j.toString());
        assertEquals(0, j.get("oom_kills").asLong(), j.toString());
        String help = corral("run", "--help").out();
        for (String option : List.of("--memory", "--memory-swap", "--cpus", "--cpuset", "--pids", "--cpu-time",
                "--output-limit", "--allow-unenforced", "137")) {
            assertTrue(help.contains(option), option + " in " + help);
        }
        Outcome b = corral("bench", "--runs", "3", "--warmup", "1", "--memory", "64m", "--pids", "32", "--cpus", "1",
                "--", "/bin/true");
        assertEquals(0, b.exitCode(), b.err());
        assertTrue(b.out().contains("memory=64MiB") && b.out().contains("failed=0"), b.out());
    }
}
