package dev.corral;

import dev.corral.cgroups.CgroupLimits;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * A container's resource limits: the cgroup limits (memory, CPU, cpuset, pids, I/O) and a
 * CPU-time limit over all of its processes. A container with any of them runs in a cgroup of
 * its own, which also meters it; one without runs in none and is metered by {@code wait4}.
 *
 * <pre>{@code
 * Container.builder().memory(DataSize.ofMebibytes(256)).cpus(1.5).pids(64)
 *         .cpuTimeLimit(Duration.ofSeconds(2)).build().resources();
 * }</pre>
 *
 * @param cgroup  the cgroup limits; {@link CgroupLimits#none()} for none
 * @param cpuTime the most CPU time (user plus system, all processes) before the container is killed
 */
public record ResourceLimits(CgroupLimits cgroup, Optional<Duration> cpuTime) {

    /** Checks both are given and the CPU time is positive. */
    public ResourceLimits {
        Objects.requireNonNull(cgroup, "cgroup");
        Objects.requireNonNull(cpuTime, "cpuTime");
        cpuTime.ifPresent(t -> {
            if (t.isNegative() || t.isZero()) {
                throw new InvalidSpecException("cpuTimeLimit", "must be positive, not " + t);
            }
        });
    }

    /** @return no limits at all */
    public static ResourceLimits none() {
        return new ResourceLimits(CgroupLimits.none(), Optional.empty());
    }

    /** @return whether the container needs a cgroup of its own */
    public boolean needsCgroup() {
        return !cgroup.equals(CgroupLimits.none()) || cpuTime.isPresent();
    }
}
