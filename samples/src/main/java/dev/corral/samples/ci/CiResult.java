package dev.corral.samples.ci;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.corral.ContainerResult;
import dev.corral.ResourceUsage;
import java.util.OptionalInt;

/**
 * How a build ended and what it used.
 *
 * <pre>{@code
 * CiResult r = CiRunner.run(job, System.out);
 * if (!r.passed()) System.err.println(r.status() + ": " + r.toJson());
 * }</pre>
 *
 * @param status      PASSED (exited 0), FAILED (exited otherwise), or how the sandbox ended it:
 *                    TIMED_OUT, OOM_KILLED, OUTPUT_LIMITED, SIGNALED, CPU_TIME_EXCEEDED, KILLED
 * @param exitCode    the build's exit code, when it exited
 * @param signal      the signal that ended it, when one did
 * @param outputBytes how much output it wrote (up to the limit)
 * @param usage       what it used
 */
public record CiResult(String status, OptionalInt exitCode, OptionalInt signal, long outputBytes, ResourceUsage usage) {

    private static final ObjectMapper JSON = new ObjectMapper();

    static CiResult of(ContainerResult r) {
        String status = switch (r.termination()) {
            case EXITED -> r.exitCode().orElse(-1) == 0 ? "PASSED" : "FAILED";
            default -> r.termination().name();
        };
        return new CiResult(status, r.exitCode(), r.signal(), r.stdoutBytes().length, r.usage());
    }

    /** @return whether the build exited 0 */
    public boolean passed() {
        return status.equals("PASSED");
    }

    /** @return the result as one line of JSON */
    public String toJson() {
        ObjectNode j = JSON.createObjectNode();
        j.put("status", status);
        exitCode.ifPresent(c -> j.put("exit_code", c));
        signal.ifPresent(s -> j.put("signal", s));
        j.put("wall_ms", usage.wallTime().toMillis());
        j.put("cpu_ms", usage.cpuTime().toMillis());
        j.put("peak_memory_bytes", usage.peakMemory().bytes());
        j.put("oom_kills", usage.oomKills());
        usage.pidsPeak().ifPresent(p -> j.put("pids_peak", p));
        j.put("output_bytes", outputBytes);
        return j.toString();
    }
}
