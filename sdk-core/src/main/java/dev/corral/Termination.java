package dev.corral;

/**
 * Why a container's run ended.
 *
 * <pre>{@code
 * switch (result.termination()) {
 *     case EXITED -> ...;          // result.exitCode() holds the code
 *     case TIMED_OUT -> ...;       // the wall-clock timeout killed it
 *     default -> ...;
 * }
 * }</pre>
 */
public enum Termination {
    /** The command exited by itself; {@link ContainerResult#exitCode()} holds its code. */
    EXITED,
    /** A signal ended the command; {@link ContainerResult#signal()} holds it. */
    SIGNALED,
    /** The wall-clock timeout ran out and the whole container was killed. */
    TIMED_OUT,
    /** The memory limit was reached and the kernel's OOM killer ended the command. */
    OOM_KILLED,
    /** The CPU-time limit ran out and the whole container was killed. */
    CPU_TIME_EXCEEDED,
    /** A captured output passed its limit and the whole container was killed. */
    OUTPUT_LIMITED,
    /** The caller killed or closed the container before it ended. */
    KILLED,
    /**
     * The command was killed by {@code SIGSYS} while a seccomp profile was installed: it made a
     * system call the profile kills for (the strict judge's "restricted function" verdict);
     * {@link ContainerResult#signal()} holds 31. A program that sends itself SIGSYS with
     * {@code kill} looks the same; under {@code SeccompProfiles.unconfined()} SIGSYS is
     * {@link #SIGNALED}.
     */
    SECCOMP_KILLED
}
