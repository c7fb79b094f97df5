package dev.corral.samples.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.corral.samples.cli.CorralCommandTest.Outcome;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code corral pull}, {@code corral push}, {@code corral build} FROM a registry image with a registry
 * output, and {@code corral run --image REF --pull ...} against Debian's
 * docker-registry on loopback, filled by skopeo from a layout umoci made.
 */
class RegistryCommandTest {
    @TempDir
    Path dir;

    private static void sh(Path cwd, String... cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).directory(cwd.toFile()).redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes());
        assertEquals(0, p.waitFor(), String.join(" ", cmd) + ": " + output);
    }

    /** An OCI layout {@code dir/layout:1}: busybox, and a cmd that writes /out/default. */
    private Path layout() throws IOException, InterruptedException {
        Path root = Files.createDirectories(dir.resolve("rootfs/bin"));
        Files.copy(Path.of("/bin/busybox"), root.resolve("busybox"));
        Files.createSymbolicLink(root.resolve("sh"), Path.of("busybox"));
        Path layout = dir.resolve("layout");
        sh(dir, "umoci", "init", "--layout", layout.toString());
        sh(dir, "umoci", "new", "--image", layout + ":1");
        sh(dir, "umoci", "insert", "--image", layout + ":1", dir.resolve("rootfs").toString(), "/");
        sh(dir, "umoci", "config", "--image", layout + ":1", "--config.entrypoint", "/bin/sh",
                "--config.cmd", "-c", "--config.cmd", "echo from-the-registry > /out/default");
        return layout;
    }

    @Test
    void pullShowsEachLayerPushSendsItBackBuildUsesBothAndRunPullsWhatTheStoreLacks() throws Exception {
        Path layout = layout();
        Path out = Files.createDirectories(dir.resolve("out"));
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.setPosixFilePermissions(out, PosixFilePermissions.fromString("rwxrwxrwx"));
        long pid;
        try (TestRegistry registry = TestRegistry.start()) {
            pid = registry.pid();
            String ref = registry.host() + "/tools/bb:1";
            sh(dir, "skopeo", "copy", "--quiet", "--dest-tls-verify=false", "oci:" + layout + ":1", "docker://" + ref);

            String pulled = dir.resolve("pulled").toString();
            Outcome pull = CorralCommandTest.corral("pull", "--store", pulled, ref);
            assertEquals(0, pull.exitCode(), pull.err());
            assertTrue(pull.out().startsWith(ref + " sha256:") && pull.out().contains("(1 layers"), pull.out());
            assertEquals(2, pull.err().lines().filter(l -> l.matches("[0-9a-f]{12}  fetched .* MiB in .* s, .* MiB/s")).count(),
                    "a plain line for the layer and the config, no carriage return: " + pull.err());
            Outcome again = CorralCommandTest.corral("pull", "--store", pulled, ref);
            assertEquals(0, again.exitCode(), again.err());
            assertEquals(2, again.err().lines().filter(l -> l.endsWith("already in the store")).count(), again.err());
            assertFalse(again.err().contains("fetched"), again.err());

            String copy = registry.host() + "/tools/copy:1";
            Outcome push = CorralCommandTest.corral("push", "--store", pulled, ref, copy);
            assertEquals(0, push.exitCode(), push.err());
            assertTrue(push.out().startsWith(copy + " " + pull.out().split(" ")[1]), "the same digest: " + push.out());
            assertEquals(2, push.err().lines().filter(l -> l.endsWith("already in the registry")).count(),
                    "mounted from tools/bb, which the store knows has them: " + push.err());
            assertFalse(push.err().contains(" sent "), push.err());
            Outcome pushAgain = CorralCommandTest.corral("push", "--store", pulled, ref, copy);
            assertEquals(0, pushAgain.exitCode(), pushAgain.err());
            assertEquals(2, pushAgain.err().lines().filter(l -> l.endsWith("already in the registry")).count(), pushAgain.err());
            Outcome badRef = CorralCommandTest.corral("push", "--store", pulled, ref, "Not A Reference");
            assertEquals(2, badRef.exitCode(), badRef.err());

            String fresh = dir.resolve("fresh").toString();
            Outcome never = CorralCommandTest.corral("run", "--store", fresh, "--pull", "never", "--image", ref, "--", "true");
            assertEquals(125, never.exitCode(), never.err());
            assertTrue(never.err().contains("no image '" + ref + "'"), never.err());
            Outcome run = CorralCommandTest.corral("run", "--store", fresh, "--image", ref, "--bind", out + ":/out:rw");
            assertEquals(0, run.exitCode(), run.err());
            assertEquals("from-the-registry\n", Files.readString(out.resolve("default")));
            /* corral build FROM the registry image (pulled, since this store lacks it), pushed as its output */
            Path ctx = Files.createDirectories(dir.resolve("ctx"));
            Files.writeString(ctx.resolve("Dockerfile"), "FROM " + ref + "\nCMD [\"-c\", \"echo built > /out/default\"]\n");
            String built = registry.host() + "/tools/built:1";
            Outcome build = CorralCommandTest.corral("build", "--store", dir.resolve("builder").toString(), "-q",
                    "-o", "registry:" + built, ctx.toString());
            assertEquals(0, build.exitCode(), build.err());
            Outcome runBuilt = CorralCommandTest.corral("run", "--store", fresh, "--image", built, "--bind", out + ":/out:rw");
            assertEquals(0, runBuilt.exitCode(), runBuilt.err());
            assertEquals("built\n", Files.readString(out.resolve("default")));
            assertEquals(2, CorralCommandTest.corral("build", "--store", fresh, "-o", "registry:Bad Ref", ctx.toString())
                    .exitCode());

            Outcome missing = CorralCommandTest.corral("run", "--store", fresh, "--image", registry.host() + "/tools/bb:2",
                    "--", "true");
            assertEquals(125, missing.exitCode(), missing.err());
            assertTrue(missing.err().contains("the pull failed") && missing.err().contains("404"), missing.err());
        }
        assertFalse(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false), "the registry is stopped");
    }
}
