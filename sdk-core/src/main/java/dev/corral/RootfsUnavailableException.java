package dev.corral;

import dev.corral.namespaces.LaunchStep;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * The root file system cannot be used: it does not exist or is not a directory.
 *
 * <pre>{@code
 * try {
 *     Container.builder().rootfs(Rootfs.directory(Path.of("/nope"))).run("true");
 * } catch (RootfsUnavailableException e) {
 *     e.errnoName();  // Optional[ENOENT]
 * }
 * }</pre>
 */
public class RootfsUnavailableException extends ContainerStartException {
    private static final long serialVersionUID = 1L;

    /**
     * @param what      what failed
     * @param step      the launcher step
     * @param errno     the errno value, if a system call failed
     * @param errnoName its name, present with {@code errno}
     * @param hint      what to do about it
     */
    public RootfsUnavailableException(String what, Optional<LaunchStep> step, OptionalInt errno,
            Optional<String> errnoName, String hint) {
        super(what, step, errno, errnoName, hint, null);
    }
}
