package dev.corral;

import dev.corral.namespaces.LaunchStep;
import java.util.Optional;
import java.util.OptionalInt;

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
 *     e.errnoName();   // Optional[ENOENT]
 *     e.hint();        // "install it in the root file system, or give its full path"
 * }
 * }</pre>
 */
public class ContainerStartException extends ContainerException {
    private static final long serialVersionUID = 1L;
    private final transient Optional<LaunchStep> step;
    private final transient OptionalInt errno;
    private final transient Optional<String> errnoName;
    private final String hint; /* null: none */

    /**
     * @param what      what failed, in the user's terms, e.g. "mount /proc"
     * @param step      the launcher step, if the failure came from the launcher
     * @param errno     the errno value, if a system call failed
     * @param errnoName its name, e.g. "EPERM": present exactly when {@code errno} is
     * @param hint      what to do about it (null or blank: no hint, as with the constructor without one)
     * @param cause     the underlying exception, or null
     */
    public ContainerStartException(String what, Optional<LaunchStep> step, OptionalInt errno, Optional<String> errnoName,
                                   String hint, Throwable cause) {
        this(what, step, errno, errnoName, Optional.ofNullable(hint).filter(h -> !h.isBlank()), cause);
    }

    /**
     * A failure Corral has no advice for.
     *
     * @param what      what failed, in the user's terms, e.g. "mount /proc"
     * @param step      the launcher step, if the failure came from the launcher
     * @param errno     the errno value, if a system call failed
     * @param errnoName its name, e.g. "EPERM": present exactly when {@code errno} is
     * @param cause     the underlying exception, or null
     */
    public ContainerStartException(String what, Optional<LaunchStep> step, OptionalInt errno, Optional<String> errnoName,
                                   Throwable cause) {
        this(what, step, errno, errnoName, Optional.empty(), cause);
    }

    private ContainerStartException(String what, Optional<LaunchStep> step, OptionalInt errno, Optional<String> errnoName,
                                    Optional<String> hint, Throwable cause) {
        super(what + errnoName.map(n -> ": " + n).orElse("") + hint.map(h -> " — " + h).orElse(""), cause);
        if (errno.isPresent() != errnoName.isPresent()) {
            throw new IllegalArgumentException("errno " + errno + " and its name " + errnoName + " go together");
        }
        this.step = step;
        this.errno = errno;
        this.errnoName = errnoName;
        this.hint = hint.orElse(null);
    }

    /** @return the launcher step that failed, if the failure came from the launcher */
    public Optional<LaunchStep> step() {
        return step;
    }

    /** @return the errno of the failed system call, if a system call failed */
    public OptionalInt errno() {
        return errno;
    }

    /** @return the errno's symbolic name, e.g. {@code EPERM}, if a system call failed */
    public Optional<String> errnoName() {
        return errnoName;
    }

    /** @return what the caller can do about it, if Corral knows */
    public Optional<String> hint() {
        return Optional.ofNullable(hint);
    }
}
