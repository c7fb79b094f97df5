package dev.corral;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** A pseudo-terminal as the command's stdio and controlling terminal, seen from inside. */
class TerminalTest {

    @Test
    void theTerminalIsStdioAndTheControllingTerminalAtItsSize() {
        ContainerResult r = Container.builder().terminal(Terminal.of(100, 30)).timeout(Duration.ofSeconds(20))
                .run("/bin/sh", "-c", "test -t 0 && test -t 1 && test -t 2 && echo all-ttys; stty size; "
                        + "exec 3</dev/tty && echo controlling; echo to-stderr >&2");
        assertEquals(Termination.EXITED, r.termination(), r.stdout());
        /* the terminal turns each newline into CR LF (onlcr), as any terminal does */
        assertEquals("all-ttys\r\n30 100\r\ncontrolling\r\nto-stderr\r\n", r.stdout());
        assertEquals("", r.stderr());
    }

    @Test
    void aResizeReachesTheCommand() throws Exception {
        try (ContainerProcess p = Container.builder().terminal(Terminal.of(80, 24)).stdin(Input.pipe())
                .stdout(Output.pipe()).timeout(Duration.ofSeconds(20))
                .start("/bin/sh", "-c", "stty -echo; stty size; read line; stty size")) {
            BufferedReader out = new BufferedReader(new InputStreamReader(p.stdout(), StandardCharsets.UTF_8));
            assertEquals("24 80", out.readLine().strip());
            p.resizeTerminal(Terminal.of(132, 43));
            OutputStream in = p.stdin();
            in.write("go\n".getBytes(StandardCharsets.UTF_8));
            in.flush();
            assertEquals("43 132", out.readLine().strip());
            assertEquals(Termination.EXITED, p.onExit().get().termination());
        }
    }

    @Test
    void anInteractiveShellHasJobControl() throws Exception {
        try (ContainerProcess p = Container.builder().terminal(Terminal.of(80, 24)).stdin(Input.pipe())
                .stdout(Output.pipe()).env("PS1", "ready> ").timeout(Duration.ofSeconds(30)).start("/bin/bash", "--norc", "--noprofile", "-i")) {
            Screen screen = new Screen(p);
            /* line by line, each after the shell's next prompt, as a person types: a shell may
               discard what was typed ahead while it sets its terminal up for a prompt */
            screen.await("ready> ");
            screen.type("sleep 30 & echo started-$((1+1))\n").await("started-2\r\nready> ");
            screen.type("jobs\n").await("Running                 sleep 30 &\r\nready> ");
            screen.type("kill %1; wait; echo done-$((6*7))\n").await("done-42\r\nready> ");
            screen.type("exit\n");
            assertEquals(Termination.EXITED, p.onExit().get().termination());
            String out = screen.text();
            assertFalse(out.contains("job control turned off"), out);
            assertFalse(out.contains("can't access tty"), out);
        }
    }

    /** What a terminal showed so far, read on a thread of its own. */
    private static final class Screen {
        private final StringBuilder text = new StringBuilder();
        private final OutputStream keys;

        Screen(ContainerProcess p) {
            keys = p.stdin();
            java.io.InputStream screen = p.stdout();
            Thread reader = new Thread(() -> {
                byte[] b = new byte[4096];
                try {
                    for (int n; (n = screen.read(b)) > 0; ) {
                        synchronized (text) {
                            text.append(new String(b, 0, n, StandardCharsets.UTF_8));
                            text.notifyAll();
                        }
                    }
                } catch (java.io.IOException e) {
                    /* the end of the terminal */
                }
            });
            reader.setDaemon(true);
            reader.start();
        }

        Screen type(String s) throws java.io.IOException {
            keys.write(s.getBytes(StandardCharsets.UTF_8));
            keys.flush();
            return this;
        }

        /** Waits until the screen shows what; the container's own timeout bounds the wait. */
        void await(String what) throws InterruptedException {
            synchronized (text) {
                long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
                while (text.indexOf(what) < 0) {
                    long left = deadline - System.nanoTime();
                    if (left <= 0) {
                        throw new AssertionError("the terminal never showed '" + what + "':\n" + text);
                    }
                    text.wait(Math.max(1, left / 1_000_000));
                }
            }
        }

        String text() {
            synchronized (text) {
                return text.toString();
            }
        }
    }

    @Test
    void aTerminalTakesStderrAndRefusesWhatCannotGoThroughIt() {
        InvalidSpecException e = assertThrows(InvalidSpecException.class,
                () -> Container.builder().terminal(Terminal.of(80, 24)).stderr(Output.capture()).build());
        assertTrue(e.getMessage().contains("stderr"), e.getMessage());
        assertThrows(InvalidSpecException.class, () -> Terminal.of(0, 24));
        assertThrows(InvalidSpecException.class,
                () -> Container.builder().terminal(Terminal.of(80, 24)).stdin(Input.inherit()).build());
        try (ContainerProcess p = Container.builder().stdin(Input.pipe()).start("/bin/cat")) {
            assertThrows(IllegalStateException.class, () -> p.resizeTerminal(Terminal.of(80, 24)));
        }
    }
}
