package dev.corral;

import dev.corral.namespaces.LaunchStep;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * The command exists in the container but cannot be executed (exit code 126 in a shell): no execute permission, a noexec mount, or not a program this kernel runs.
 *
 * <pre>{@code
 * try {
 *     spec.run("/data/input.txt");
 * } catch (CommandNotExecutableException e) {
 *     e.errnoName();  // Optional[EACCES]
 * }
 * }</pre>
 */
public class CommandNotExecutableException extends ContainerStartException {
    private static final long serialVersionUID = 1L;

    /**
     * @param what      what failed
     * @param step      the launcher step
     * @param errno     the errno value, if a system call failed
     * @param errnoName its name, present with {@code errno}
     * @param hint      what to do about it
     */
    public CommandNotExecutableException(String what, Optional<LaunchStep> step, OptionalInt errno,
            Optional<String> errnoName, String hint) {
        super(what, step, errno, errnoName, hint, null);
    }
}
