package dev.corral.internal.limits;

import dev.corral.ContainerStartException;
import dev.corral.ResourceLimits;
import dev.corral.cgroups.Cgroup;
import dev.corral.cgroups.CgroupException;
import dev.corral.cgroups.Cgroups;
import dev.corral.cgroups.Controller;
import dev.corral.cgroups.ControllerUnavailableException;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where a container's cgroup comes from: one {@link Cgroups} placement per JVM, opened on the
 * first limited container (which also removes cgroups left by JVMs killed earlier), closed when
 * the JVM exits. A container without limits gets no cgroup.
 */
public final class ContainerCgroups {
    private static final Logger log = LoggerFactory.getLogger(ContainerCgroups.class);
    private static Cgroups placement;

    private ContainerCgroups() {}

    private static synchronized Cgroups placement() {
        if (placement == null) {
            placement = Cgroups.open();
            Cgroups p = placement;
            Runtime.getRuntime().addShutdownHook(new Thread(p::close, "corral-cgroups-close"));
        }
        return placement;
    }

    /**
     * @param limits the container's limits
     * @param name   a name unique in this JVM
     * @return its cgroup, limits applied; empty if it needs none, or if cgroups are unavailable
     *     and every limit asked for was explicitly allowed to go unenforced
     * @throws ContainerStartException naming the missing controller or why no cgroup can be made
     */
    public static Optional<Cgroup> create(ResourceLimits limits, String name) {
        if (!limits.needsCgroup()) {
            return Optional.empty();
        }
        try {
            Cgroups p = placement();
            if (p.unavailableReason().isPresent() && limits.cpuTime().isEmpty()
                    && limits.cgroup().allowedUnenforced().containsAll(limits.cgroup().requiredControllers())) {
                log.debug("container {} runs without a cgroup, as its limits allow: {}", name, p.unavailableReason().get());
                return Optional.empty();
            }
            if (limits.cpuTime().isPresent() && !p.availableControllers().contains(Controller.CPUACCT)) {
                throw new ControllerUnavailableException(Controller.CPUACCT,
                        "a CPU-time limit is read from the cgroup's CPU accounting, which is not available here"
                                + p.unavailableReason().map(r -> ": " + r).orElse(""));
            }
            return Optional.of(p.create(name, limits.cgroup()));
        } catch (ControllerUnavailableException e) {
            throw new ContainerStartException("apply the resource limits", Optional.empty(), 0, "", e.getMessage()
                    + "; or allow running without it: limits(CgroupLimits.builder()...allowUnenforced(...))", e);
        } catch (CgroupException e) {
            throw new ContainerStartException("create the container's cgroup", Optional.empty(), 0, "", e.getMessage(), e);
        }
    }
}
