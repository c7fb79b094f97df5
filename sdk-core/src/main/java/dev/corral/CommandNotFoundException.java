package dev.corral;

import dev.corral.namespaces.LaunchStep;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * The command does not exist in the container (exit code 127 in a shell).
 *
 * <pre>{@code
 * try {
 *     spec.run("gcc");
 * } catch (CommandNotFoundException e) {
 *     e.getMessage();  // "command 'gcc' not found in the container (searched /usr/local/sbin:...): ENOENT — ..."
 * }
 * }</pre>
 */
public class CommandNotFoundException extends ContainerStartException {
    private static final long serialVersionUID = 1L;

    /**
     * @param what      what failed
     * @param step      the launcher step
     * @param errno     the errno value, if a system call failed
     * @param errnoName its name, present with {@code errno}
     * @param hint      what to do about it
     */
    public CommandNotFoundException(String what, Optional<LaunchStep> step, OptionalInt errno,
            Optional<String> errnoName, String hint) {
        super(what, step, errno, errnoName, hint, null);
    }
}
