package dev.corral.samples.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.corral.image.ImageStore;
import dev.corral.samples.cli.CorralCommandTest.Outcome;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code corral compose} on the real kernel, its {@code up} a process of its own as a user runs
 * it: {@code ps} and {@code logs} from another process, a service killed from outside comes back
 * under {@code restart: always}, {@code down} stops the running up (SIGTERM) and leaves no
 * process and no state, and keeps the named volume.
 */
class ComposeCommandTest {
    private static final long PATIENCE_NANOS = TimeUnit.SECONDS.toNanos(90);

    @TempDir
    Path dir;
    private Process up;

    @AfterEach
    void killUp() {
        if (up != null && up.isAlive()) {
            up.destroyForcibly();
        }
    }

    private Outcome compose(Path file, String project, String... args) {
        List<String> all = new ArrayList<>(List.of("compose", "-f", file.toString(), "-p", project, "--store",
                dir.resolve("store").toString()));
        all.addAll(List.of(args));
        return CorralCommandTest.corral(all.toArray(String[]::new));
    }

    private Process startUp(Path file, String project) throws IOException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        return new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"), CorralCommand.class.getName(),
                "compose", "up", "-f", file.toString(), "-p", project, "--store", dir.resolve("store").toString())
                .redirectOutput(dir.resolve("up.out").toFile()).redirectError(dir.resolve("up.err").toFile()).start();
    }

    @Test
    void upRunsInTheForegroundPsAndLogsSeeItAndDownStopsItKeepingTheVolume() throws Exception {
        String project = "t" + Long.toHexString(System.nanoTime());
        Path file = Files.writeString(dir.resolve("compose.yaml"), """
                services:
                  ticker:
                    command: sh -c 'echo hello from ticker; echo to-stderr >&2; echo run >> /data/runs; exec sleep 600'
                    volumes: ["data:/data"]
                    restart: always
                    network_mode: none
                    healthcheck: {test: ["CMD", "true"]}
                  once:
                    command: ["sh", "-c", "echo once $$GREETING"]
                    environment: {GREETING: hi}
                    depends_on: [ticker]
                    network_mode: none
                volumes:
                  data:
                """);
        up = startUp(file, project);
        waitFor(() -> compose(file, project, "ps").out().matches("(?s).*ticker +running +[0-9]+ +0 .*"));
        waitFor(() -> read("up.out").contains("once    | once hi\n"));
        assertTrue(read("up.out").contains("ticker  | hello from ticker\nticker  | to-stderr\n"), read("up.out"));
        assertTrue(read("up.err").contains("warning: compose.yaml: services.ticker.healthcheck: not supported, ignored"),
                read("up.err"));

        /* its output can be printed before its end is recorded: wait for the end */
        waitFor(() -> compose(file, project, "ps").out().matches("(?s).*once +exited \\(0\\) +- +0 .*"));
        Outcome ps = compose(file, project, "ps");
        assertEquals("ticker  | hello from ticker\nticker  | to-stderr\nonce    | once hi\n",
                compose(file, project, "logs").out());
        assertEquals("once  | once hi\n", compose(file, project, "logs", "once").out());

        long first = pid(ps.out(), "ticker");
        assertTrue(ProcessHandle.of(first).orElseThrow().destroyForcibly(), "SIGKILL to ticker's container");
        waitFor(() -> compose(file, project, "ps").out().matches("(?s).*ticker +running +[0-9]+ +1 .*"));
        long second = pid(compose(file, project, "ps").out(), "ticker");
        assertTrue(second != first, "a new container");
        waitFor(() -> read("up.out").contains("ticker  | hello from ticker\nticker  | to-stderr\n")
                && read("up.out").indexOf("hello from ticker") != read("up.out").lastIndexOf("hello from ticker"));

        Outcome down = compose(file, project, "down");
        assertEquals(0, down.exitCode(), down.err());
        assertTrue(up.waitFor(30, TimeUnit.SECONDS), "up ended once down asked it to");
        assertEquals(0, up.exitValue(), read("up.err"));
        assertTrue(read("up.err").contains("stopping " + project), read("up.err"));
        for (long pid : List.of(first, second)) {
            assertFalse(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false), "process " + pid + " is left");
        }
        ImageStore store = ImageStore.open(dir.resolve("store"));
        assertFalse(Files.exists(store.directory().resolve("compose").resolve(project)), "no state left");
        assertTrue(store.volumes().contains(project + "_data"), "the named volume stays: " + store.volumes());
        assertEquals("run\nrun\n", Files.readString(store.volume(project + "_data").resolve("runs")),
                "both runs of ticker wrote into the one volume");
        assertTrue(compose(file, project, "ps").out().matches("(?s).*ticker +not created +- .*"));

        Outcome downV = compose(file, project, "down", "-v");
        assertEquals(0, downV.exitCode(), downV.err());
        assertFalse(store.volumes().contains(project + "_data"), "down -v removes it");
    }

    @Test
    void aBadFileIsAnErrorNamingFileAndKey() throws IOException {
        Path file = Files.writeString(dir.resolve("compose.yaml"), "services:\n  a:\n    command: [x]\n    ports: ['1-2:3']\n");
        Outcome o = compose(file, "bad", "ps");
        assertEquals(125, o.exitCode());
        assertTrue(o.err().contains(file + ": services.a.ports[0]: '1-2:3'"), o.err());
    }

    private static long pid(String ps, String service) {
        Matcher m = Pattern.compile("(?m)^" + service + " +running +([0-9]+) ").matcher(ps);
        assertTrue(m.find(), ps);
        return Long.parseLong(m.group(1));
    }

    private String read(String name) {
        try {
            return Files.exists(dir.resolve(name)) ? Files.readString(dir.resolve(name)) : "";
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private void waitFor(BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + PATIENCE_NANOS;
        while (!condition.getAsBoolean()) {
            assertTrue(System.nanoTime() < deadline, () -> "the condition never held; up's output:\n" + read("up.out")
                    + "\nits messages:\n" + read("up.err") + "\nalive: " + (up != null && up.isAlive()));
            Thread.sleep(100);
        }
    }
}
