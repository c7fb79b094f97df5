package dev.corral.image;

import java.util.List;
import java.util.Objects;

/**
 * What an image's configuration says a container of it should run, and how. These are
 * defaults: see {@link dev.corral.Rootfs#image} for how a spec's own values combine with them.
 *
 * <pre>{@code
 * ImageConfig c = store.config("busybox:1.36");
 * c.cmd();   // [sh]
 * }</pre>
 *
 * @param entrypoint the program and its first arguments ({@code Entrypoint}), may be empty
 * @param cmd        the arguments after the entrypoint, or the command without one ({@code Cmd})
 * @param env        {@code K=V} variables ({@code Env})
 * @param workingDir the working directory ({@code WorkingDir}), empty for none
 * @param user       {@code user[:group]}, by name or number ({@code User}), empty for root
 */
public record ImageConfig(List<String> entrypoint, List<String> cmd, List<String> env, String workingDir, String user) {
    /** Copies the lists. */
    public ImageConfig {
        entrypoint = List.copyOf(entrypoint);
        cmd = List.copyOf(cmd);
        env = List.copyOf(env);
        Objects.requireNonNull(workingDir, "workingDir");
        Objects.requireNonNull(user, "user");
    }
}
