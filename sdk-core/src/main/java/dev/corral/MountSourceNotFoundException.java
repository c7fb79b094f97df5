package dev.corral;

import dev.corral.namespaces.LaunchStep;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * The host path of a bind mount does not exist.
 *
 * <pre>{@code
 * try {
 *     Container.builder().mount(Mount.bind(Path.of("/nope"), "/data")).run("true");
 * } catch (MountSourceNotFoundException e) {
 *     e.errnoName();  // Optional[ENOENT]
 * }
 * }</pre>
 */
public class MountSourceNotFoundException extends ContainerStartException {
    private static final long serialVersionUID = 1L;

    /**
     * @param what      what failed
     * @param step      the launcher step
     * @param errno     the errno value, if a system call failed
     * @param errnoName its name, present with {@code errno}
     * @param hint      what to do about it
     */
    public MountSourceNotFoundException(String what, Optional<LaunchStep> step, OptionalInt errno,
            Optional<String> errnoName, String hint) {
        super(what, step, errno, errnoName, hint, null);
    }
}
