package dev.corral.internal.run;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.corral.ContainerResult;
import dev.corral.ResourceUsage.PeakMemorySource;
import dev.corral.Termination;
import dev.corral.cgroups.CgroupUsage;
import dev.corral.cgroups.CgroupUsage.PeakSource;
import dev.corral.namespaces.launcher.ExitReport;
import dev.corral.unit.DataSize;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/**
 * A result is made once, when the reap, the metering and the outputs are all in, whatever their
 * order; and it is made of what each of them said. No kernel, no container.
 */
class ResultAssemblyTest {
    private static final ExitReport EXIT_0 = exit(false, 0);
    private static final ExitReport KILLED = exit(true, 9);
    private static final ResultAssembly.Seen NOTHING = new ResultAssembly.Seen(false, false, false, false, true);

    private static ExitReport exit(boolean signaled, int value) {
        return new ExitReport(signaled, value, Duration.ofMillis(50), Duration.ofMillis(20), Duration.ofMillis(5), 1024,
                List.of(), false);
    }

    private static CgroupUsage usage(long oomKills) {
        return new CgroupUsage(Optional.of(Duration.ofMillis(30)), Optional.of(Duration.ofMillis(6)),
                Optional.of(DataSize.ofMebibytes(1)), Optional.of(DataSize.ofMebibytes(9)), PeakSource.MEMORY_PEAK,
                OptionalLong.of(oomKills), OptionalLong.of(2), OptionalLong.of(2), OptionalLong.of(0));
    }

    @Test
    void theLastPartInTakesThemAllAndOnlyOnce() {
        AtomicBoolean outputsEnded = new AtomicBoolean();
        ResultAssembly parts = new ResultAssembly();
        assertTrue(parts.take(() -> true).isEmpty(), "nothing in yet");
        parts.metered(Optional.empty());
        assertTrue(parts.take(() -> true).isEmpty(), "metered before the exit report (another thread may say so first)");
        parts.exited(EXIT_0);
        assertTrue(parts.take(outputsEnded::get).isEmpty(), "a capture still being read");
        outputsEnded.set(true);
        Optional<ResultAssembly.Parts> in = parts.take(outputsEnded::get);
        assertEquals(Optional.of(new ResultAssembly.Parts(EXIT_0, Optional.empty())), in);
        assertTrue(parts.take(outputsEnded::get).isEmpty(), "taken: a late event makes no second result");
    }

    @Test
    void theExitFirstThenTheMeteringWorksAsWell() {
        ResultAssembly parts = new ResultAssembly();
        parts.exited(KILLED);
        assertTrue(parts.take(() -> true).isEmpty(), "not metered yet");
        parts.metered(Optional.of(usage(0)));
        assertEquals(Optional.of(new ResultAssembly.Parts(KILLED, Optional.of(usage(0)))), parts.take(() -> true));
    }

    @Test
    void theResultCarriesTheExitTheOutputsAndTheCgroupsFigures() {
        ContainerResult r = new ResultAssembly.Parts(EXIT_0, Optional.of(usage(0)))
                .result(NOTHING, "out".getBytes(StandardCharsets.UTF_8), "err".getBytes(StandardCharsets.UTF_8));
        assertEquals(Termination.EXITED, r.termination());
        assertEquals(OptionalInt.of(0), r.exitCode());
        assertEquals(OptionalInt.empty(), r.signal());
        assertArrayEquals("out".getBytes(StandardCharsets.UTF_8), r.stdoutBytes());
        assertArrayEquals("err".getBytes(StandardCharsets.UTF_8), r.stderrBytes());
        assertEquals(DataSize.ofMebibytes(9), r.usage().peakMemory());
        assertEquals(PeakMemorySource.CGROUP_MEMORY_PEAK, r.usage().peakMemorySource());
        assertEquals(Duration.ofMillis(30), r.usage().userCpuTime(), "the cgroup's CPU time, not the reap's");
    }

    @Test
    void anOomKillIsReadFromTheCgroupsCountersAndOnlyExplainsASigkill() {
        assertEquals(Termination.OOM_KILLED, new ResultAssembly.Parts(KILLED, Optional.of(usage(1)))
                .result(NOTHING, new byte[0], new byte[0]).termination());
        assertEquals(Termination.SIGNALED, new ResultAssembly.Parts(KILLED, Optional.of(usage(0)))
                .result(NOTHING, new byte[0], new byte[0]).termination(), "no OOM kill counted");
        assertEquals(Termination.SIGNALED, new ResultAssembly.Parts(KILLED, Optional.empty())
                .result(NOTHING, new byte[0], new byte[0]).termination(), "no cgroup: nothing to tell an OOM kill by");
        assertEquals(Termination.EXITED, new ResultAssembly.Parts(EXIT_0, Optional.of(usage(1)))
                .result(NOTHING, new byte[0], new byte[0]).termination(), "a child was OOM-killed, the command exited");
    }

    @Test
    void whatTheRunSawNamesTheKill() {
        ResultAssembly.Parts killed = new ResultAssembly.Parts(KILLED, Optional.of(usage(1)));
        assertEquals(Termination.TIMED_OUT, killed.result(new ResultAssembly.Seen(false, true, false, false, true),
                new byte[0], new byte[0]).termination());
        assertEquals(Termination.CPU_TIME_EXCEEDED, killed.result(new ResultAssembly.Seen(false, false, true, false, true),
                new byte[0], new byte[0]).termination());
        assertEquals(Termination.OUTPUT_LIMITED, killed.result(new ResultAssembly.Seen(true, true, true, true, true),
                new byte[0], new byte[0]).termination(), "the output limit first");
        assertEquals(Termination.KILLED, new ResultAssembly.Parts(KILLED, Optional.empty()).result(
                new ResultAssembly.Seen(false, false, false, true, true), new byte[0], new byte[0]).termination());
    }
}
