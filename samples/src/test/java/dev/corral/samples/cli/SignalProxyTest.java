package dev.corral.samples.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code corral run} as a supervisor stops it: signals sent to corral reach the command, which
 * ends as it chooses, and corral exits with its status (not "the launcher died").
 */
class SignalProxyTest {

    @TempDir
    Path dir;

    private Process corral;

    @AfterEach
    void stopCorral() throws InterruptedException {
        if (corral != null && corral.isAlive()) { /* a failed test: its corral (and so its container) goes */
            corral.destroyForcibly().waitFor();
        }
    }

    @Test
    @Timeout(value = 120, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void sigtermReachesTheCommandWhichEndsAsItChooses() throws Exception {
        corral = corral("trap 'echo got TERM; exit 7' TERM; echo ready; while :; do sleep 0.05; done");
        BufferedReader out = awaitReady(corral);
        kill("TERM", corral.pid()); /* as systemd or a CI runner stops it */
        assertTrue(corral.waitFor(60, TimeUnit.SECONDS), "corral did not end");
        assertEquals("got TERM", out.readLine(), "the command's trap ran");
        String err = Files.readString(dir.resolve("err"));
        assertEquals(7, corral.exitValue(), "corral exits with the command's status; stderr:\n" + err);
        assertFalse(err.contains("launcher died"), err);
    }

    @Test
    @Timeout(value = 120, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void aSecondSigintKillsACommandThatIgnoresTheFirst() throws Exception {
        corral = corral("trap 'echo got INT' INT; echo ready; while :; do sleep 0.05; done");
        BufferedReader out = awaitReady(corral);
        kill("INT", corral.pid());
        assertEquals("got INT", out.readLine(), "the first SIGINT reached the command, which went on");
        assertTrue(corral.isAlive());
        kill("INT", corral.pid());
        assertTrue(corral.waitFor(60, TimeUnit.SECONDS), "corral did not end");
        String err = Files.readString(dir.resolve("err"));
        assertEquals(137, corral.exitValue(), "killed: 128+SIGKILL; stderr:\n" + err);
        assertTrue(err.contains("a second SIGINT: the container is killed"), err);
    }

    private Process corral(String script) throws IOException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        /* signals ignored by whoever started the build (nohup, a background job) stay ignored in
           its children, and the JVM then forwards nothing, as it should: reset them first */
        return new ProcessBuilder(List.of("env", "--default-signal=HUP,INT,TERM", java, "-cp", System.getProperty("java.class.path"),
                "dev.corral.samples.cli.CorralCommand", "run", "--", "/bin/sh", "-c", script))
                .redirectError(dir.resolve("err").toFile())
                .start();
    }

    private BufferedReader awaitReady(Process corral) throws IOException {
        BufferedReader out = new BufferedReader(new InputStreamReader(corral.getInputStream(), StandardCharsets.UTF_8));
        String first = out.readLine();
        assertEquals("ready", first, () -> "stderr: " + readQuietly(dir.resolve("err")));
        return out;
    }

    private static void kill(String signal, long pid) throws Exception {
        Process k = new ProcessBuilder("kill", "-" + signal, Long.toString(pid)).inheritIO().start();
        assertEquals(0, k.waitFor());
    }

    private static String readQuietly(Path p) {
        try {
            return Files.readString(p);
        } catch (IOException e) {
            return e.toString();
        }
    }
}
