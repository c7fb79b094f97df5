package dev.corral;

import dev.corral.namespaces.LaunchStep;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * This process may not create the namespaces or mounts a container needs (no privilege, user namespaces disabled, or a restrictive seccomp filter around the JVM).
 *
 * <pre>{@code
 * try {
 *     Container.builder().run("true")   // as an unprivileged user where user namespaces are off;
 * } catch (NamespacePermissionException e) {
 *     e.hint();  // names the sysctl or the privilege to grant
 * }
 * }</pre>
 */
public class NamespacePermissionException extends ContainerStartException {
    private static final long serialVersionUID = 1L;

    /**
     * @param what      what failed
     * @param step      the launcher step
     * @param errno     the errno value, if a system call failed
     * @param errnoName its name, present with {@code errno}
     * @param hint      what to do about it
     */
    public NamespacePermissionException(String what, Optional<LaunchStep> step, OptionalInt errno,
            Optional<String> errnoName, String hint) {
        super(what, step, errno, errnoName, hint, null);
    }
}
