package dev.corral;

import dev.corral.namespaces.LaunchStep;
import java.util.Optional;

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
     * @param errno     the errno value
     * @param errnoName its name
     * @param hint      what to do about it
     */
    public CommandNotFoundException(String what, Optional<LaunchStep> step, int errno, String errnoName, String hint) {
        super(what, step, errno, errnoName, hint, null);
    }
}
