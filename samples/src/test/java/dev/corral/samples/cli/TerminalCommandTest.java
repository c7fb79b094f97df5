package dev.corral.samples.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code corral run -it -- sh} as a person uses it: in a real terminal (tmux's), typing into the
 * shell, resizing the window, and reading the screen.
 */
class TerminalCommandTest {

    @TempDir
    Path dir;

    private final String server = "corral-test-" + ProcessHandle.current().pid();

    @AfterEach
    void stopTmux() throws Exception {
        tmux("kill-server");
    }

    @Test
    void anInteractiveShellHasJobControlAndFollowsResizes() throws Exception {
        Path script = dir.resolve("corral.sh");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Files.writeString(script, "#!/bin/sh\n'" + java + "' -cp '" + System.getProperty("java.class.path")
                + "' dev.corral.samples.cli.CorralCommand run -it -e 'PS1=ready> ' -- /bin/sh\necho EXIT=$?\nsleep 600\n");
        tmux("new-session", "-d", "-x", "90", "-y", "25", "sh " + script);
        /* each line typed after the shell's next prompt, as a person types: a shell may discard
           what was typed ahead while it sets its terminal up for a prompt */
        awaitPrompts(1);
        type("stty size");
        await("25 90");
        awaitPrompts(2);
        type("sleep 100 &");
        awaitPrompts(3);
        type("jobs");
        await("[1] + Running");
        awaitPrompts(4);
        tmux("resize-window", "-x", "120", "-y", "40");
        /* the resize reaches the container's terminal a while later (corral's SIGWINCH handler
           asks stty for the new size, then the launcher sets it): a stty typed at once may still
           see the old size, so ask again, after each prompt, until it shows the new one */
        int prompts = 4;
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (!capture().contains("40 120") && System.nanoTime() < deadline) {
            awaitPrompts(prompts++);
            type("stty size");
            awaitPrompts(prompts);
        }
        await("40 120");
        type("kill %1; exit 3");
        String screen = await("EXIT=3");
        assertFalse(screen.contains("job control turned off"), screen);
    }

    /** Waits until the shell has shown its prompt n times (capture-pane drops its trailing blank). */
    private void awaitPrompts(int n) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        String screen = "";
        while (System.nanoTime() < deadline) {
            screen = capture();
            if (screen.split("ready>", -1).length - 1 >= n) {
                return;
            }
            Thread.sleep(100);
        }
        throw new AssertionError("the shell never showed its prompt " + n + " times:\n" + screen);
    }

    private void type(String line) throws Exception {
        assertEquals(0, tmux("send-keys", "-l", line));
        assertEquals(0, tmux("send-keys", "Enter"));
    }

    /** Waits until the screen shows text; fails with the screen after a generous bound. */
    private String await(String text) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        String screen = "";
        while (System.nanoTime() < deadline) {
            screen = capture();
            if (screen.contains(text)) {
                return screen;
            }
            Thread.sleep(100);
        }
        throw new AssertionError("the terminal never showed '" + text + "':\n" + screen);
    }

    private String capture() throws Exception {
        Process p = new ProcessBuilder("tmux", "-L", server, "capture-pane", "-p", "-S", "-100")
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        p.waitFor();
        return out;
    }

    private int tmux(String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of("tmux", "-L", server));
        cmd.addAll(List.of(args));
        return new ProcessBuilder(cmd).redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .redirectError(ProcessBuilder.Redirect.DISCARD).start().waitFor();
    }
}
