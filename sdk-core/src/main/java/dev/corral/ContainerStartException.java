package dev.corral;

import dev.corral.namespaces.LaunchStep;
import java.util.Optional;

/**
 * A container could not be started: the launcher reported the step that failed with the
 * errno of its system call, and Corral adds a hint on what to do. Subclasses name the common
 * cases.
 *
 * <pre>{@code
 * try {
 *     spec.run("gcc", "main.c");
 * } catch (CommandNotFoundException e) {
 *     e.step();        // Optional[EXEC]
 *     e.errnoName();   // "ENOENT"
 *     e.hint();        // "install it in the root file system, or give its full path"
 * }
 * }</pre>
 */
public class ContainerStartException extends ContainerException {
    private static final long serialVersionUID = 1L;
    private final transient Optional<LaunchStep> step;
    private final int errno;
    private final String errnoName;
    private final String hint;

    /**
     * @param what      what failed, in the user's terms, e.g. "mount /proc"
     * @param step      the launcher step
     * @param errno     the errno value (0 if none)
     * @param errnoName its name, e.g. "EPERM"
     * @param hint      what to do about it
     * @param cause     the underlying exception, or null
     */
    public ContainerStartException(String what, Optional<LaunchStep> step, int errno, String errnoName, String hint,
                                   Throwable cause) {
        super(what + (errno != 0 ? ": " + errnoName : "") + (hint.isEmpty() ? "" : " — " + hint), cause);
        this.step = step;
        this.errno = errno;
        this.errnoName = errnoName;
        this.hint = hint;
    }

    /** @return the launcher step that failed, if the failure came from the launcher */
    public Optional<LaunchStep> step() {
        return step;
    }

    /** @return the errno of the failed system call, 0 if there was none */
    public int errno() {
        return errno;
    }

    /** @return the errno's symbolic name, e.g. {@code EPERM} */
    public String errnoName() {
        return errnoName;
    }

    /** @return what the caller can do about it */
    public String hint() {
        return hint;
    }
}
