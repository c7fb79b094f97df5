package dev.corral;

import dev.corral.namespaces.CapabilitySet;
import dev.corral.namespaces.Namespace;
import dev.corral.namespaces.NamespaceSet;
import dev.corral.namespaces.Rlimit;
import dev.corral.namespaces.UserNamespace;
import dev.corral.namespaces.seccomp.SeccompProfile;
import dev.corral.namespaces.seccomp.SeccompProfiles;
import java.util.List;
import java.util.Objects;

/**
 * A container's security settings, set through {@link ContainerSpec.Builder}'s security methods
 * and read back from {@link ContainerSpec#security()}.
 *
 * <p>The default ({@link #defaults()}), for root and for any other user alike:
 * <ol>
 *   <li>Its own user namespace first, which owns every other namespace of the container:
 *       the container's root is root only inside. As root, container IDs 0-65535 are an
 *       unprivileged host range ({@link UserNamespace#auto()}), so through the host's read-only
 *       view {@code /etc/shadow} is unreadable and nothing of the host's is writable; as another
 *       user, the caller's own ID (and its subordinate IDs, when configured) is all it has.</li>
 *   <li>Mount, PID, UTS, IPC, network and cgroup namespaces.</li>
 *   <li>No capability at all, in any set ({@link CapabilitySet#none()}), and
 *       {@code no_new_privs}: setuid programs and file capabilities grant nothing.</li>
 *   <li>The seccomp profile {@link SeccompProfiles#defaultProfile()}, installed last before
 *       {@code execve}.</li>
 *   <li>Resource limits: no core dumps ({@code core=0}), {@code nofile=1024:4096}.</li>
 *   <li>OCI masked and read-only paths in {@code /proc}: {@code kcore, keys, timer_list,
 *       sysrq-trigger, latency_stats, sched_debug, acpi, scsi} masked; {@code sys, bus, fs,
 *       irq} read-only.</li>
 * </ol>
 *
 * <pre>{@code
 * SecurityPolicy p = Container.builder().build().security();
 * p.capabilities().isEmpty();        // true
 * p.namespaces().contains(Namespace.USER);   // true
 * }</pre>
 *
 * @param namespaces      the namespaces the container gets
 * @param userNamespace   how its user namespace maps IDs
 * @param privilegedRoot  no user namespace: the container's root is the host's root (explicit opt-in)
 * @param capabilities    the command's capabilities, in every set
 * @param noNewPrivileges set {@code no_new_privs}
 * @param seccomp         the seccomp profile ({@link SeccompProfiles#unconfined()} for none)
 * @param rlimits         resource limits, one per resource at most
 * @param maskedPaths     mask and write-protect the OCI paths in {@code /proc} (and {@code /sys/firmware});
 *                        off only for a container that must mount its own {@code /proc}, such as one
 *                        that runs Corral or another runtime inside (Kubernetes' {@code procMount: Unmasked})
 */
public record SecurityPolicy(NamespaceSet namespaces, UserNamespace userNamespace, boolean privilegedRoot,
                             CapabilitySet capabilities, boolean noNewPrivileges, SeccompProfile seccomp,
                             List<Rlimit> rlimits, boolean maskedPaths) {

    /** Resource limits every container gets unless it sets its own for the resource. */
    public static final List<Rlimit> DEFAULT_RLIMITS = List.of(Rlimit.of(Rlimit.Resource.CORE, 0),
            Rlimit.of(Rlimit.Resource.NOFILE, 1024, 4096));

    private static final SecurityPolicy DEFAULTS = new SecurityPolicy(NamespaceSet.defaults(), UserNamespace.auto(),
            false, CapabilitySet.none(), true, SeccompProfiles.defaultProfile(), DEFAULT_RLIMITS, true);

    /** Checks the combination; see {@link ContainerSpec.Builder#privilegedRoot()}. */
    public SecurityPolicy {
        Objects.requireNonNull(namespaces, "namespaces");
        Objects.requireNonNull(userNamespace, "userNamespace");
        Objects.requireNonNull(capabilities, "capabilities");
        Objects.requireNonNull(seccomp, "seccomp");
        rlimits = List.copyOf(rlimits);
        if (!namespaces.contains(Namespace.MOUNT) || !namespaces.contains(Namespace.PID)) {
            throw new InvalidSpecException("namespaces", "must include MOUNT and PID (the root file system and the "
                    + "init depend on them), not " + namespaces.members());
        }
        if (privilegedRoot && namespaces.contains(Namespace.USER)) {
            throw new InvalidSpecException("namespaces", "privilegedRoot() means no user namespace: remove USER");
        }
        if (!privilegedRoot && !namespaces.contains(Namespace.USER)) {
            throw new InvalidSpecException("namespaces", "without a USER namespace the container's root is the host's "
                    + "root: call privilegedRoot() to accept that explicitly");
        }
        long distinct = rlimits.stream().map(Rlimit::resource).distinct().count();
        if (distinct != rlimits.size()) {
            throw new InvalidSpecException("rlimits", "one limit per resource: " + rlimits);
        }
    }

    /** @return the safe defaults listed above */
    public static SecurityPolicy defaults() {
        return DEFAULTS;
    }

    /** @param resource a resource @return its limit, if set */
    public java.util.Optional<Rlimit> rlimit(Rlimit.Resource resource) {
        return rlimits.stream().filter(r -> r.resource() == resource).findFirst();
    }
}
