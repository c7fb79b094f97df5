package dev.corral;

import dev.corral.image.WritableLayer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * How a container's run ended, what it printed (when captured) and what it used. A setup
 * failure is never a result: it is a {@link ContainerStartException}.
 *
 * <pre>{@code
 * ContainerResult r = Container.builder().run("/bin/sh", "-c", "echo hi");
 * r.termination();   // EXITED
 * r.exitCode();      // OptionalInt[0]
 * r.stdout();        // "hi\n"
 * r.usage().wallTime();
 * }</pre>
 *
 * @param termination why it ended
 * @param exitCode    the command's exit code, when it exited
 * @param signal      the signal that ended it, when one did
 * @param stdoutBytes captured standard output (empty unless captured)
 * @param stderrBytes captured standard error (empty unless captured)
 * @param usage       what it used
 * @param writableLayer the run's writable layer, when it was kept
 *                      ({@link ContainerSpec.Builder#keepWritableLayer(boolean)})
 * @param files       the files copied out of its {@link ScratchDirectory}, when it had one
 */
public record ContainerResult(Termination termination, OptionalInt exitCode, OptionalInt signal, byte[] stdoutBytes,
                              byte[] stderrBytes, ResourceUsage usage, Optional<WritableLayer> writableLayer,
                              Optional<CopiedFiles> files) {

    /**
     * A result without copied files.
     *
     * @param termination   why it ended
     * @param exitCode      the exit code, when it exited
     * @param signal        the signal that ended it, when one did
     * @param stdoutBytes   captured standard output
     * @param stderrBytes   captured standard error
     * @param usage         what it used
     * @param writableLayer the kept writable layer, if any
     */
    public ContainerResult(Termination termination, OptionalInt exitCode, OptionalInt signal, byte[] stdoutBytes,
                           byte[] stderrBytes, ResourceUsage usage, Optional<WritableLayer> writableLayer) {
        this(termination, exitCode, signal, stdoutBytes, stderrBytes, usage, writableLayer, Optional.empty());
    }

    /**
     * A result without a kept writable layer.
     *
     * @param termination why it ended
     * @param exitCode    the exit code, when it exited
     * @param signal      the signal that ended it, when one did
     * @param stdoutBytes captured standard output
     * @param stderrBytes captured standard error
     * @param usage       what it used
     */
    public ContainerResult(Termination termination, OptionalInt exitCode, OptionalInt signal, byte[] stdoutBytes,
                           byte[] stderrBytes, ResourceUsage usage) {
        this(termination, exitCode, signal, stdoutBytes, stderrBytes, usage, Optional.empty(), Optional.empty());
    }

    /** Checks the fields and copies the arrays. */
    public ContainerResult {
        Objects.requireNonNull(writableLayer, "writableLayer");
        Objects.requireNonNull(files, "files");
        Objects.requireNonNull(termination, "termination");
        Objects.requireNonNull(exitCode, "exitCode");
        Objects.requireNonNull(signal, "signal");
        Objects.requireNonNull(usage, "usage");
        stdoutBytes = stdoutBytes.clone();
        stderrBytes = stderrBytes.clone();
    }

    /** @return captured standard output as UTF-8 text */
    public String stdout() {
        return new String(stdoutBytes, StandardCharsets.UTF_8);
    }

    /** @return captured standard error as UTF-8 text */
    public String stderr() {
        return new String(stderrBytes, StandardCharsets.UTF_8);
    }

    @Override
    public byte[] stdoutBytes() {
        return stdoutBytes.clone();
    }

    @Override
    public byte[] stderrBytes() {
        return stderrBytes.clone();
    }

    /**
     * @param layer the kept writable layer
     * @return this result with it
     */
    public ContainerResult withWritableLayer(Optional<WritableLayer> layer) {
        return new ContainerResult(termination, exitCode, signal, stdoutBytes, stderrBytes, usage, layer, files);
    }

    /**
     * @param copied the files copied out of the run's scratch directory
     * @return this result with them
     */
    public ContainerResult withFiles(Optional<CopiedFiles> copied) {
        return new ContainerResult(termination, exitCode, signal, stdoutBytes, stderrBytes, usage, writableLayer, copied);
    }

    /** @return whether the command exited with code 0 */
    public boolean succeeded() {
        return termination == Termination.EXITED && exitCode.orElse(-1) == 0;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ContainerResult r && termination == r.termination && exitCode.equals(r.exitCode)
                && signal.equals(r.signal) && Arrays.equals(stdoutBytes, r.stdoutBytes)
                && Arrays.equals(stderrBytes, r.stderrBytes) && usage.equals(r.usage)
                && writableLayer.equals(r.writableLayer) && files.equals(r.files);
    }

    @Override
    public int hashCode() {
        return Objects.hash(termination, exitCode, signal, Arrays.hashCode(stdoutBytes), Arrays.hashCode(stderrBytes), usage, writableLayer, files);
    }

    @Override
    public String toString() {
        return "ContainerResult[" + termination + (exitCode.isPresent() ? " code " + exitCode.getAsInt() : "")
                + (signal.isPresent() ? " signal " + signal.getAsInt() : "") + ", stdout " + stdoutBytes.length
                + " bytes, stderr " + stderrBytes.length + " bytes, " + usage
                + writableLayer.map(l -> ", kept layer " + l.directory()).orElse("")
                + files.map(f -> ", " + f).orElse("") + "]";
    }
}
