package dev.corral.internal.run;

import dev.corral.ContainerResult;
import dev.corral.Termination;
import dev.corral.cgroups.CgroupUsage;
import dev.corral.namespaces.launcher.ExitReport;
import java.util.Optional;
import java.util.function.BooleanSupplier;

/**
 * A run's result, put together once all its parts are in: the launcher's report of the reap,
 * the cgroup's usage (or that there is none), and every captured output read to its end. They
 * arrive in any order, each with its own event; whichever comes last takes the parts, exactly
 * once, and makes the result: how it ended from the report and what the run saw
 * ({@link Usages#termination}), its usage from the cgroup where it counts and else from the reap
 * ({@link Usages#ofExit}).
 *
 * <pre>{@code
 * ResultAssembly parts = new ResultAssembly();
 * parts.exited(report);                          // the launcher reaped the container
 * parts.metered(Optional.of(usage));             // its cgroup was read
 * parts.take(stdio::outputsEnded)                // empty until all is in, and after it was taken
 *      .map(in -> in.result(seen, stdout, stderr));
 * }</pre>
 */
final class ResultAssembly {
    private ExitReport exit;
    private boolean metered;
    private Optional<CgroupUsage> usage = Optional.empty();
    private boolean taken;

    /**
     * What the run itself saw before the end.
     *
     * @param outputLimited   an output went past its limit (the container was killed for it)
     * @param timedOut        its timeout fired and killed it
     * @param cpuTimeExceeded its CPU-time limit was reached and it was killed
     * @param killedByCaller  the caller killed it
     * @param seccompConfined it ran under a seccomp filter
     */
    record Seen(boolean outputLimited, boolean timedOut, boolean cpuTimeExceeded, boolean killedByCaller,
                boolean seccompConfined) {}

    /**
     * Everything the result is made of, but the outputs.
     *
     * @param exit  the launcher's report of the reap
     * @param usage the cgroup's usage, if the container had a cgroup and it could be read
     */
    record Parts(ExitReport exit, Optional<CgroupUsage> usage) {
        /** @return the result, with the captured outputs' bytes */
        ContainerResult result(Seen seen, byte[] stdout, byte[] stderr) {
            boolean oomKilled = usage.map(u -> u.oomKills().orElse(0) > 0).orElse(false);
            Termination termination = Usages.termination(exit, new Usages.Causes(seen.outputLimited(), seen.timedOut(),
                    seen.cpuTimeExceeded(), oomKilled, seen.killedByCaller(), seen.seccompConfined()));
            return new ContainerResult(termination, exit.exitCode(), exit.signal(), stdout, stderr,
                    Usages.ofExit(exit, usage));
        }
    }

    /** @param report the launcher's report of the reap */
    synchronized void exited(ExitReport report) {
        exit = report;
    }

    /** @param usage the cgroup's usage after the reap; empty without a cgroup, or if it could not be read */
    synchronized void metered(Optional<CgroupUsage> usage) {
        this.usage = usage;
        metered = true;
    }

    /**
     * @param outputsEnded whether every captured output has ended (asked under this object's lock,
     *                     after the others' events, so that the last event sees all)
     * @return the parts, the one time all are in; empty before, and after they were taken
     */
    synchronized Optional<Parts> take(BooleanSupplier outputsEnded) {
        if (taken || exit == null || !metered || !outputsEnded.getAsBoolean()) {
            return Optional.empty();
        }
        taken = true;
        return Optional.of(new Parts(exit, usage));
    }
}
