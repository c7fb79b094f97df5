package dev.corral.samples.cli;

import dev.corral.Container;
import dev.corral.ContainerException;
import dev.corral.ContainerResult;
import dev.corral.cgroups.CgroupHierarchy;
import dev.corral.cgroups.Cgroups;
import dev.corral.namespaces.CapabilitySet;
import dev.corral.namespaces.HostSecurity;
import dev.corral.namespaces.Namespace;
import dev.corral.namespaces.UserNamespace;
import dev.corral.namespaces.seccomp.SeccompArchitecture;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * {@code corral doctor}: what this machine allows (namespaces, user namespaces and ID maps,
 * cgroups and delegation, overlay, seccomp, kernel features) and which Corral features follow.
 * It reads /proc and /sys, and starts one real container to prove the default works; it writes
 * no cgroup.
 */
@Command(name = "doctor", mixinStandardHelpOptions = true,
        description = {"Print what this machine allows Corral to do, and which features follow.",
                "Exit code 0 when a default container starts, 1 when it cannot."})
final class DoctorCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        HostSecurity host = HostSecurity.probe();
        List<String> features = new ArrayList<>();

        out.println("== identity");
        out.printf("  uid %d (%s), gid %d, %s%n", host.uid(), host.userName(), host.gid(),
                host.privileged() ? "privileged (CAP_SYS_ADMIN, CAP_SETUID, CAP_SETGID)" : "unprivileged");
        out.printf("  nested in a container's user namespace: %s%s%n", host.nested() ? "yes" : "no",
                host.nested() ? " (uid map " + host.ownUidMap() + ")" : "");
        out.printf("  own seccomp filter: %s; no_new_privs: %s%n",
                host.seccompMode() == 2 ? "yes (it may forbid namespaces)" : host.seccompMode() == 0 ? "none" : "strict",
                host.noNewPrivs() ? "set" : "not set");

        out.println("== namespaces");
        for (Namespace n : Namespace.values()) {
            out.printf("  %-8s %s%n", n.procName(), Files.exists(Path.of("/proc/self/ns", n.procName())) ? "supported" : "missing");
        }
        out.printf("  user.max_user_namespaces = %s%n", host.maxUserNamespaces().isPresent()
                ? Long.toString(host.maxUserNamespaces().getAsLong()) : "unknown");
        host.unprivilegedUsernsClone().ifPresent(v -> out.printf("  kernel.unprivileged_userns_clone = %d%n", v));
        host.apparmorRestrictUserns().ifPresent(v -> out.printf("  kernel.apparmor_restrict_unprivileged_userns = %d%n", v));
        host.userNamespaceBlocker().ifPresentOrElse(b -> out.println("  user namespaces: NOT AVAILABLE: " + b),
                () -> out.println("  user namespaces: allowed by the sysctls"));
        out.printf("  newuidmap: %s; newgidmap: %s; subordinate uids for %s: %s%n",
                host.newuidmap().map(Path::toString).orElse("not installed"),
                host.newgidmap().map(Path::toString).orElse("not installed"), host.userName(),
                host.subuids().isEmpty() ? "none" : host.subuids().toString());
        try {
            out.println("  default ID maps: " + host.resolve(UserNamespace.auto()).note());
        } catch (IllegalStateException e) {
            out.println("  default ID maps: impossible: " + e.getMessage());
        }

        out.println("== cgroups");
        try {
            CgroupHierarchy h = CgroupHierarchy.detect();
            out.println("  hierarchy: " + h.mode() + " (driver " + h.driverVersion() + ")");
            h.unifiedMount().ifPresent(m -> out.println("  cgroup2 at " + m + ", controllers " + h.unifiedControllers()));
            h.ownUnifiedDirectory().ifPresent(d -> out.println("  own v2 cgroup " + d + (Files.isWritable(d.resolve("cgroup.procs"))
                    ? " (writable)" : " (not writable: no delegation)")));
            try (Cgroups c = Cgroups.builder().hierarchy(h).removeStaleOnOpen(false).build()) {
                out.println("  controllers Corral can use: " + c.availableControllers()
                        + c.unavailableReason().map(r -> "; " + r).orElse(""));
                if (!c.availableControllers().isEmpty()) {
                    features.add("resource limits (" + c.availableControllers() + ")");
                }
            }
        } catch (RuntimeException e) {
            out.println("  unavailable: " + e.getMessage());
        }

        out.println("== kernel");
        out.println("  release " + System.getProperty("os.version") + ", " + System.getProperty("os.arch"));
        out.println("  capabilities known: 0-" + CapabilitySet.lastCap());
        out.println("  seccomp syscall table: " + SeccompArchitecture.host().map(SeccompArchitecture::canonicalName)
                .orElse("none for this architecture (seccomp profiles unavailable)"));
        boolean overlay = fileSystems().contains("overlay");
        out.println("  overlayfs: " + (overlay ? "available" : "not loaded"));
        out.println("  pidfd, clone3: " + (Files.exists(Path.of("/proc/self/fdinfo")) ? "likely (5.3+)" : "unknown"));

        out.println("== a default container");
        boolean works;
        try {
            ContainerResult r = Container.builder().run("/bin/sh", "-c", "cat /proc/self/uid_map; grep -E 'Seccomp:|CapEff' /proc/self/status");
            works = r.succeeded();
            out.print(indent(r.stdout()));
            if (!works) {
                out.println("  ran but failed: " + r + " " + r.stderr());
            }
        } catch (ContainerException e) {
            works = false;
            out.println("  CANNOT START: " + e.getMessage());
        }

        out.println("== features");
        if (works) {
            features.add(0, "containers with user, mount, PID, UTS, IPC, network and cgroup namespaces");
            features.add("seccomp profiles (default, strict judge, OCI JSON)");
            if (host.uid() == 0 && !host.nested()) {
                features.add("container root mapped to an unprivileged host range; privilegedRoot() possible");
            } else {
                features.add("rootless" + (host.newuidmap().isPresent() && !host.subuids().isEmpty()
                        ? " with subordinate IDs" : ": only the caller's own ID is mapped (user(...) other than 0 fails)"));
            }
            if (overlay) {
                features.add("overlay root file systems");
            }
        }
        features.forEach(f -> out.println("  yes: " + f));
        if (!works) {
            out.println("  no containers here" + host.namespaceHint().map(h -> ": " + h).orElse(""));
        }
        if (host.nested()) {
            out.println("  nested: privilegedRoot() and host IDs outside this container's map are unavailable");
        }
        out.flush();
        return works ? 0 : 1;
    }

    private static String fileSystems() {
        try {
            return Files.readString(Path.of("/proc/filesystems"));
        } catch (IOException e) {
            return "";
        }
    }

    private static String indent(String s) {
        StringBuilder b = new StringBuilder();
        s.lines().forEach(l -> b.append("  ").append(l.trim()).append('\n'));
        return b.toString();
    }
}
