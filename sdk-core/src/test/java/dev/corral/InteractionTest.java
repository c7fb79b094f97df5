package dev.corral;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.corral.unit.DataSize;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/**
 * Two containers wired stdout to stdin both ways, as a judge's solution and interactor: real
 * traffic both ways, each with its own limits and result, ends in the right order, and many at
 * once on a few threads.
 */
class InteractionTest {
    /** Root has cgroups for the limits; rootless on a cgroup v1 host (.ci/rootless-tests.sh) there are none. */
    private static final boolean ROOT = "root".equals(System.getProperty("user.name"));

    private static ContainerSpec sh(String script, String... args) {
        List<String> cmd = new ArrayList<>(List.of("/bin/sh", "-c", script, "sh"));
        cmd.addAll(List.of(args));
        ContainerSpec.Builder b = Container.builder().timeout(Duration.ofSeconds(60))
                .stderr(Output.capture(DataSize.ofKibibytes(4))).command(cmd.toArray(String[]::new));
        return (ROOT ? b.pids(16) : b).build();
    }

    /** Guesses a number by halving: one line out, one line back, until "correct". */
    private static final String SOLVER = """
            lo=1; hi=1000
            while :; do
              mid=$(( (lo + hi) / 2 )); echo "$mid"
              read -r answer || exit 3
              case $answer in
                correct) exit 0 ;;
                higher) lo=$((mid + 1)) ;;
                lower) hi=$((mid - 1)) ;;
              esac
            done
            """;

    /** Answers guesses of $1; exits 42 once it is found within 10 guesses, 43 otherwise; says how many to stderr. */
    private static final String INTERACTOR = """
            n=0
            while read -r g; do
              n=$((n + 1))
              if [ "$g" -eq "$1" ]; then echo correct; echo "$n guesses" >&2; exit 42; fi
              if [ "$g" -lt "$1" ]; then echo higher; else echo lower; fi
              [ $n -ge 10 ] && exit 43
            done
            exit 43
            """;

    @Test
    void aSolutionAndItsInteractorTalkBothWaysEachWithItsOwnResult() {
        Interaction.Result r = Interaction.between(sh(SOLVER), sh(INTERACTOR, "737")).run();
        assertEquals(Termination.EXITED, r.first().termination(), r.first().stderr());
        assertEquals(0, r.first().exitCode().getAsInt(), "the solver read 'correct'");
        assertEquals(42, r.second().exitCode().getAsInt(), "the interactor saw the number: " + r.second().stderr());
        assertTrue(r.second().stderr().matches("\\d+ guesses\\n"), r.second().stderr());
        int guesses = Integer.parseInt(r.second().stderr().split(" ")[0]);
        assertTrue(guesses >= 5 && guesses <= 10, guesses + " round trips");
        assertEquals("", r.first().stdout(), "the solver's output went to the interactor, not into its result");
    }

    @Test
    void whenTheSolutionEndsFirstTheInteractorReadsEndOfFileAfterIt() {
        Interaction.Result r = Interaction.between(sh("echo 5; exit 7"), sh("read -r a; read -r b && exit 1; exit 43")).run();
        assertEquals(Interaction.Side.FIRST, r.endedFirst());
        assertEquals(7, r.first().exitCode().getAsInt());
        assertEquals(43, r.second().exitCode().getAsInt(), "it read one line, then end of file");
    }

    @Test
    void whenTheInteractorRejectsFirstTheSolutionsEndOfFileComesOnlyAfter() {
        /* the solution waits for input that never comes; the interactor rejects its first line and exits */
        Interaction.Result r = Interaction.between(sh("echo 1; read -r x; exit 9"), sh("read -r g; exit 43")).run();
        assertEquals(Interaction.Side.SECOND, r.endedFirst());
        assertEquals(43, r.second().exitCode().getAsInt());
        assertEquals(9, r.first().exitCode().getAsInt(), "the solution read end of file, after the interactor ended");
    }

    @Test
    void eachSideKeepsItsOwnLimits() {
        ContainerSpec flood = Container.builder().timeout(Duration.ofSeconds(60))
                .stdout(Output.capture(DataSize.ofKibibytes(64))).command("/usr/bin/yes").build();
        ContainerSpec.Builder spinner = Container.builder().command("/bin/sh", "-c", "cat > /dev/null; while :; do :; done");
        /* rootless without a cgroup: its own wall-clock limit instead of a CPU-time limit */
        spinner = ROOT ? spinner.timeout(Duration.ofSeconds(60)).cpuTimeLimit(Duration.ofMillis(300)) : spinner.timeout(Duration.ofSeconds(2));
        Interaction.Result r = Interaction.between(flood, spinner.build()).run();
        assertEquals(Termination.OUTPUT_LIMITED, r.first().termination(), "past its own output cap");
        assertEquals(ROOT ? Termination.CPU_TIME_EXCEEDED : Termination.TIMED_OUT, r.second().termination(),
                "its own limit, after end of file");
        assertEquals(Interaction.Side.FIRST, r.endedFirst());
    }

    @Test
    void aWriterWhoseReaderHasGoneGetsSigpipe() {
        Interaction.Result r = Interaction.between(sh("sleep 1; exec /usr/bin/yes"), sh("exit 0")).run();
        assertEquals(Interaction.Side.SECOND, r.endedFirst());
        assertEquals(Termination.SIGNALED, r.first().termination(), r.first().toString());
        assertEquals(13, r.first().signal().getAsInt(), "SIGPIPE, as on a pipe whose reader is gone");
    }

    @Test
    void aSideThatCannotStartTakesTheOtherWithIt() {
        ContainerSpec missing = Container.builder().command("/no/such/interactor").build();
        assertThrows(ContainerStartException.class, () -> Interaction.between(sh("sleep 3601"), missing).run());
        for (int i = 0; i < 200 && sleepers("3601") > 0; i++) {
            sleep(50);
        }
        assertEquals(0, sleepers("3601"), "the first container was killed");
    }

    @Test
    void theSpecsLeaveTheirStdinAndStdoutToTheInteraction() {
        ContainerSpec ok = sh("true");
        assertThrows(InvalidSpecException.class, () -> Interaction.between(ok.toBuilder().stdin(Input.string("x")).build(), ok));
        assertThrows(InvalidSpecException.class, () -> Interaction.between(ok, ok.toBuilder().stdout(Output.discard()).build()));
        assertThrows(InvalidSpecException.class, () -> Interaction.between(ok, Container.builder().build()));
    }

    /** 40 interactions held at once through runAsync: a few threads more, not one or two per interaction. */
    @Test
    void manyInteractionsAtOnceOnAFewThreads() throws Exception {
        Interaction.between(sh("echo hi"), sh("read -r x")).runAsync().get(); /* launcher, I/O and timer threads up */
        int threadsBefore = Thread.getAllStackTraces().size();
        List<CompletableFuture<Interaction.Result>> runs = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            /* each solution echoes until its interactor, which holds until all are up, lets it go */
            runs.add(Interaction.between(sh("while read -r x; do echo \"$x\"; done"),
                    sh("echo ping; read -r y; [ \"$y\" = ping ] || exit 1; sleep 2; exit 42")).runAsync());
        }
        sleep(1000);
        int threadsDuring = Thread.getAllStackTraces().size();
        for (CompletableFuture<Interaction.Result> f : runs) {
            Interaction.Result r = f.get();
            assertEquals(42, r.second().exitCode().getAsInt(), r.second().toString());
            assertEquals(0, r.first().exitCode().getAsInt(), "the echo ended on end of file");
            assertEquals(Interaction.Side.SECOND, r.endedFirst());
        }
        assertTrue(threadsDuring - threadsBefore <= 4,
                "threads grew from " + threadsBefore + " to " + threadsDuring + " with 40 interactions");
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static long sleepers(String marker) {
        return ProcessHandle.allProcesses().filter(p -> p.info().arguments()
                .map(a -> a.length == 1 && a[0].equals(marker)).orElse(false)).count();
    }
}
