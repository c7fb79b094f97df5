package dev.corral.samples.judge;

/**
 * A judge's verdict on one test case or on a whole submission.
 *
 * <pre>{@code
 * Verdict.MLE.folderVerdict();   // RTE: a memory-limit kill counts as run_time_error
 * }</pre>
 */
public enum Verdict {
    /** Accepted. */
    AC,
    /** Wrong answer: the output validator rejected the output. */
    WA,
    /** Time limit exceeded: CPU time past the limit, or the wall-clock limit. */
    TLE,
    /** Memory limit exceeded: the kernel's OOM killer ended it in its memory cgroup. */
    MLE,
    /** Run-time error: a non-zero exit, a signal, the pids limit, a forbidden system call. */
    RTE,
    /** Output limit exceeded. */
    OLE,
    /** Compile error (or a submission over the code size limit). */
    CE,
    /** Judge error: a validator that neither accepted nor rejected, or one over its limits. */
    JE;

    /**
     * @return the verdict as the package format's submission folders count it: MLE and OLE are
     *     run-time errors there
     */
    public Verdict folderVerdict() {
        return this == MLE || this == OLE ? RTE : this;
    }
}
