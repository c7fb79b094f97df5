package dev.corral.internal.run;

import dev.corral.ContainerSpec;
import dev.corral.Input;
import dev.corral.Output;
import dev.corral.internal.mounts.MountPlanner.PlannedMount;
import dev.corral.namespaces.Namespace;
import dev.corral.namespaces.launcher.LaunchPlan;
import dev.corral.namespaces.launcher.LaunchPlan.StdioOp;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.List;

/** Turns a validated spec into the launcher's fully resolved plan. */
final class PlanFactory {
    /** The search path when the container's environment has no PATH. */
    static final String DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

    private static final int NAMESPACES = Namespace.PID.cloneFlag() | Namespace.MOUNT.cloneFlag()
            | Namespace.UTS.cloneFlag() | Namespace.IPC.cloneFlag() | Namespace.NETWORK.cloneFlag();

    private static final String STAGING = pickStaging();

    private PlanFactory() {}

    static LaunchPlan plan(ContainerSpec spec, List<String> command, List<PlannedMount> mounts) {
        LaunchPlan.Builder b = LaunchPlan.builder()
                .cloneFlags(NAMESPACES)
                .commandAsPid1(spec.commandAsPid1())
                .stagingDir(STAGING)
                .rootReadOnly(spec.readOnlyRoot())
                .hostname(spec.hostname())
                .loopback(true)
                .stdio(0, stdin(spec.stdin()))
                .stdio(1, output(spec.stdout()))
                .stdio(2, output(spec.stderr()))
                .argv(command)
                .env(spec.environment().entrySet().stream().map(e -> e.getKey() + "=" + e.getValue()).toList())
                .searchPath(searchPath(spec))
                .cwd(spec.workingDirectory())
                .noNewPrivs(true)
                .umask(022);
        mounts.forEach(m -> b.mount(m.op()));
        spec.user().ifPresent(u -> b.user(new LaunchPlan.UserIds(u.uid(), u.gid(), List.of())));
        return b.build();
    }

    static String searchPath(ContainerSpec spec) {
        return spec.environment().getOrDefault("PATH", DEFAULT_PATH);
    }

    private static StdioOp stdin(Input in) {
        if (in instanceof Input.Empty) {
            return StdioOp.devNull();
        } else if (in instanceof Input.Inherit) {
            return StdioOp.inherit();
        } else if (in instanceof Input.FromFile f) {
            return StdioOp.file(f.path().toAbsolutePath().toString(), StdioOp.O_RDONLY, 0);
        }
        return StdioOp.relay(); /* bytes and pipes */
    }

    private static StdioOp output(Output out) {
        if (out instanceof Output.Discard) {
            return StdioOp.devNull();
        } else if (out instanceof Output.Inherit) {
            return StdioOp.inherit();
        } else if (out instanceof Output.ToFile f) {
            return StdioOp.file(f.path().toAbsolutePath().toString(),
                    f.append() ? StdioOp.O_WRITE_APPEND : StdioOp.O_WRITE_TRUNCATE, 0644);
        }
        return StdioOp.relay(); /* captures and pipes */
    }

    /** The staging tmpfs goes on a real directory of the host; /tmp is the usual one. */
    private static String pickStaging() {
        for (String dir : List.of("/tmp", "/mnt", "/run", "/var/tmp", "/media", "/srv")) {
            if (Files.isDirectory(Path.of(dir), LinkOption.NOFOLLOW_LINKS)) {
                return dir;
            }
        }
        throw new IllegalStateException("no directory for the launcher's staging tmpfs: none of /tmp, /mnt, /run, "
                + "/var/tmp, /media, /srv is a directory on this host");
    }
}
