package dev.corral.cgroups.internal;

import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The owner record of the cgroups one JVM creates, kept in the name of their common directory:
 * {@code jvm-<pid namespace inode>-<pid>-<start time>}. The start time (clock ticks after boot,
 * from /proc/PID/stat) tells a live owner from a later process that reuses its PID.
 *
 * @param pidNamespace the inode of the owner's PID namespace
 * @param pid the owner's PID in that namespace
 * @param startTime the owner's start time in clock ticks after boot
 */
public record OwnerTag(long pidNamespace, long pid, long startTime) {

    private static final Pattern NAME = Pattern.compile("jvm-(\\d{1,19})-(\\d{1,19})-(\\d{1,19})");

    /** @return the tag of this JVM */
    public static OwnerTag current(ProcInfo proc) {
        long pid = ProcessHandle.current().pid();
        long start = proc.startTime(pid).orElseThrow(() -> new IllegalStateException("cannot read /proc/" + pid + "/stat"));
        return new OwnerTag(proc.pidNamespace(), pid, start);
    }

    /** @return the tag of process {@code pid}, if it exists */
    public static Optional<OwnerTag> of(ProcInfo proc, long pid) {
        long ns = proc.pidNamespace();
        return proc.startTime(pid).stream().mapToObj(start -> new OwnerTag(ns, pid, start)).findFirst();
    }

    /** @return the tag a directory name encodes, empty if the name is not an owner record */
    public static Optional<OwnerTag> parse(String name) {
        Matcher m = NAME.matcher(name);
        if (!m.matches()) {
            return Optional.empty();
        }
        try {
            return Optional.of(new OwnerTag(Long.parseLong(m.group(1)), Long.parseLong(m.group(2)), Long.parseLong(m.group(3))));
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
    }

    /*
     * equals and hashCode written out: a record's generated ones are bootstrapped through
     * invokedynamic (ObjectMethods) on first use, which spins method handles and classes at run
     * time; the stale sweep of every short-lived CLI run compares tags.
     */
    @Override
    public boolean equals(Object o) {
        return o instanceof OwnerTag t && t.pidNamespace == pidNamespace && t.pid == pid && t.startTime == startTime;
    }

    @Override
    public int hashCode() {
        return Long.hashCode(pidNamespace) * 961 + Long.hashCode(pid) * 31 + Long.hashCode(startTime);
    }

    /** @return the directory name */
    public String directoryName() {
        return "jvm-" + pidNamespace + "-" + pid + "-" + startTime;
    }

    /**
     * @return whether the owner is certainly dead: it is in our PID namespace and no process with
     *     its PID and start time exists. An owner in another PID namespace cannot be judged and
     *     counts as alive.
     */
    public boolean isDead(ProcInfo proc) {
        if (pidNamespace != proc.pidNamespace()) {
            return false;
        }
        return proc.startTime(pid).orElse(-1) != startTime;
    }
}
