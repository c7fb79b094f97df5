package dev.corral.namespaces;

/**
 * A kind of Linux namespace, with the {@code clone(2)} flag that creates one.
 *
 * <pre>{@code
 * NamespaceSet set = NamespaceSet.of(Namespace.PID, Namespace.MOUNT, Namespace.NETWORK);
 * set.contains(Namespace.PID);   // true
 * }</pre>
 */
public enum Namespace {
    /** Mount points ({@code CLONE_NEWNS}). */
    MOUNT(0x00020000, "mnt"),
    /** Control group root ({@code CLONE_NEWCGROUP}). */
    CGROUP(0x02000000, "cgroup"),
    /** Hostname and domain name ({@code CLONE_NEWUTS}). */
    UTS(0x04000000, "uts"),
    /** System V IPC and POSIX message queues ({@code CLONE_NEWIPC}). */
    IPC(0x08000000, "ipc"),
    /** User and group IDs and capabilities ({@code CLONE_NEWUSER}). */
    USER(0x10000000, "user"),
    /** Process IDs ({@code CLONE_NEWPID}). */
    PID(0x20000000, "pid"),
    /** Network devices, addresses, ports ({@code CLONE_NEWNET}). */
    NETWORK(0x40000000, "net"),
    /** Boot-time and monotonic clocks ({@code CLONE_NEWTIME}). */
    TIME(0x00000080, "time");

    private final int cloneFlag;
    private final String procName;

    Namespace(int cloneFlag, String procName) {
        this.cloneFlag = cloneFlag;
        this.procName = procName;
    }

    /** @return the {@code CLONE_NEW*} flag that creates this namespace */
    public int cloneFlag() {
        return cloneFlag;
    }

    /** @return the name of this namespace's link in {@code /proc/PID/ns/}, e.g. {@code "mnt"} */
    public String procName() {
        return procName;
    }
}
