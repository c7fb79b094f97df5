package dev.corral.cgroups;

import java.util.Optional;

/**
 * A cgroup controller Corral uses, with its name on cgroup v1 and on cgroup v2.
 *
 * <p>Some controllers exist on one version only: {@code cpuacct} and {@code freezer} are
 * built into every v2 cgroup ({@code cpu.stat}, {@code cgroup.freeze}); {@code blkio} on v1 is
 * {@code io} on v2.
 *
 * <pre>{@code
 * Controller.IO.v1Name();   // "blkio"
 * Controller.IO.v2Name();   // Optional[io]
 * Controller.FREEZER.v2Name();   // Optional.empty: built into cgroup v2
 * }</pre>
 */
public enum Controller {
    /** CPU bandwidth (quota) and weight. */
    CPU("cpu", "cpu"),
    /** CPU time accounting (v1 only; v2 reports it in {@code cpu.stat}). */
    CPUACCT("cpuacct", null),
    /** Which CPUs and memory nodes may be used. */
    CPUSET("cpuset", "cpuset"),
    /** Memory and swap limits, peak memory, OOM kills. */
    MEMORY("memory", "memory"),
    /** The number of processes and threads. */
    PIDS("pids", "pids"),
    /** Block I/O weight and bandwidth ({@code blkio} on v1, {@code io} on v2). */
    IO("blkio", "io"),
    /** Freezing (v1 only; v2 has {@code cgroup.freeze} in every cgroup). */
    FREEZER("freezer", null);

    private final String v1Name;
    private final String v2Name;

    Controller(String v1Name, String v2Name) {
        this.v1Name = v1Name;
        this.v2Name = v2Name;
    }

    /** @return the name of this controller's hierarchy on cgroup v1, e.g. {@code blkio} */
    public String v1Name() {
        return v1Name;
    }

    /** @return the name in {@code cgroup.controllers} on cgroup v2, empty if built in */
    public Optional<String> v2Name() {
        return Optional.ofNullable(v2Name);
    }

    /**
     * @param v1Name a name as in a v1 mount's options, e.g. {@code cpuacct}
     * @return the controller, or empty if Corral does not use it (e.g. {@code devices})
     */
    public static Optional<Controller> ofV1Name(String v1Name) {
        for (Controller c : values()) {
            if (c.v1Name.equals(v1Name)) {
                return Optional.of(c);
            }
        }
        return Optional.empty();
    }

    /**
     * @param v2Name a name as in {@code cgroup.controllers}, e.g. {@code io}
     * @return the controller, or empty if Corral does not use it (e.g. {@code hugetlb})
     */
    public static Optional<Controller> ofV2Name(String v2Name) {
        for (Controller c : values()) {
            if (v2Name.equals(c.v2Name)) {
                return Optional.of(c);
            }
        }
        return Optional.empty();
    }
}
