package dev.corral.namespaces.launcher;

import dev.corral.namespaces.LaunchStep;
import java.util.Optional;

/**
 * The launcher's report that a container could not be started: the step, the errno of the
 * system call that failed, and which item of that step (the mount, the stdio fd, the rlimit).
 *
 * <pre>{@code
 * failure.step();        // LaunchStep.EXEC
 * failure.errnoName();   // "ENOENT"
 * failure.toString();    // "execute the command: ENOENT (No such file or directory)"
 * }</pre>
 *
 * @param step  the failed step, or empty if the launcher reported a step this build does not know
 * @param errno the errno value
 * @param index the index within the step
 */
public record LaunchFailure(Optional<LaunchStep> step, int errno, int index) {

    /** @return the errno's symbolic name, e.g. {@code EPERM} */
    public String errnoName() {
        return Errno.name(errno);
    }

    /** @return the errno's description, e.g. {@code Operation not permitted} */
    public String errnoDescription() {
        return Errno.description(errno);
    }

    @Override
    public String toString() {
        return step.map(LaunchStep::action).orElse("unknown step") + ": " + errnoName() + " (" + errnoDescription() + ")";
    }
}
