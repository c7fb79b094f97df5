package dev.corral.namespaces.seccomp;

/**
 * What a seccomp filter does with a system call: the kernel's {@code SECCOMP_RET_*} action and
 * its 16-bit data (the errno for {@link Kind#ERRNO}, the message for {@link Kind#TRACE}).
 *
 * <pre>{@code
 * SeccompAction.allow();
 * SeccompAction.errno(1);          // fail with EPERM, the call is not made
 * SeccompAction.killProcess();     // SIGSYS kills the whole process, the call is not made
 * SeccompAction.errno(1).returnValue();   // 0x00050001, what the BPF program returns
 * }</pre>
 *
 * @param kind the action
 * @param data the errno (0..4095) for {@code ERRNO}, the message (0..65535) for {@code TRACE},
 *             0 for every other kind
 */
public record SeccompAction(Kind kind, int data) {

    /** The largest errno a filter may return ({@code MAX_ERRNO} in the kernel). */
    public static final int MAX_ERRNO = 4095;

    /**
     * The seccomp actions, with their {@code SECCOMP_RET_*} values.
     *
     * <pre>{@code
     * SeccompAction.Kind.ERRNO.base();                 // 0x00050000
     * SeccompAction.errno(1).kind() == Kind.ERRNO;     // true
     * }</pre>
     */
    public enum Kind {
        /** Kill the whole process with SIGSYS ({@code SECCOMP_RET_KILL_PROCESS}, Linux 4.14). */
        KILL_PROCESS(0x80000000),
        /** Kill the calling thread with SIGSYS ({@code SECCOMP_RET_KILL_THREAD}). */
        KILL_THREAD(0x00000000),
        /** Send SIGSYS to the calling thread, which may handle it ({@code SECCOMP_RET_TRAP}). */
        TRAP(0x00030000),
        /** Do not make the call; return {@code -data} as its errno ({@code SECCOMP_RET_ERRNO}). */
        ERRNO(0x00050000),
        /** Stop for a ptrace tracer, or fail with ENOSYS without one ({@code SECCOMP_RET_TRACE}). */
        TRACE(0x7ff00000),
        /** Make the call and log it ({@code SECCOMP_RET_LOG}, Linux 4.14). */
        LOG(0x7ffc0000),
        /** Make the call ({@code SECCOMP_RET_ALLOW}). */
        ALLOW(0x7fff0000);

        private final int base;

        Kind(int base) {
            this.base = base;
        }

        /** @return the {@code SECCOMP_RET_*} value of this action, without data */
        public int base() {
            return base;
        }
    }

    /**
     * Validates the data for the kind.
     *
     * @throws IllegalArgumentException when the data is out of range for the kind
     */
    public SeccompAction {
        if (kind == null) {
            throw new IllegalArgumentException("seccomp action kind must not be null");
        }
        switch (kind) {
            case ERRNO:
                if (data < 0 || data > MAX_ERRNO) {
                    throw new IllegalArgumentException("seccomp errno must be in 0.." + MAX_ERRNO + ", was " + data);
                }
                break;
            case TRACE:
                if (data < 0 || data > 0xffff) {
                    throw new IllegalArgumentException("seccomp trace message must be in 0..65535, was " + data);
                }
                break;
            default:
                if (data != 0) {
                    throw new IllegalArgumentException("seccomp action " + kind + " takes no data, was " + data);
                }
        }
    }

    /** @return the action that lets the call through */
    public static SeccompAction allow() {
        return new SeccompAction(Kind.ALLOW, 0);
    }

    /**
     * @param errno the error number the call fails with, 0..4095 (e.g. 1 for EPERM, 38 for ENOSYS)
     * @return the action that fails the call with {@code errno} without making it
     */
    public static SeccompAction errno(int errno) {
        return new SeccompAction(Kind.ERRNO, errno);
    }

    /** @return the action that kills the whole process with SIGSYS */
    public static SeccompAction killProcess() {
        return new SeccompAction(Kind.KILL_PROCESS, 0);
    }

    /** @return the action that kills the calling thread with SIGSYS */
    public static SeccompAction killThread() {
        return new SeccompAction(Kind.KILL_THREAD, 0);
    }

    /** @return the action that sends SIGSYS to the calling thread */
    public static SeccompAction trap() {
        return new SeccompAction(Kind.TRAP, 0);
    }

    /** @return the action that makes the call and logs it */
    public static SeccompAction log() {
        return new SeccompAction(Kind.LOG, 0);
    }

    /**
     * @param message the value a ptrace tracer reads with {@code PTRACE_GETEVENTMSG}, 0..65535
     * @return the action that stops the caller for its tracer
     */
    public static SeccompAction trace(int message) {
        return new SeccompAction(Kind.TRACE, message);
    }

    /** @return the 32-bit value the BPF program returns for this action */
    public int returnValue() {
        return kind.base() | data;
    }

    /**
     * Decodes a value a seccomp program returned (the inverse of {@link #returnValue()}).
     *
     * @param value a {@code SECCOMP_RET_*} value with its data
     * @return the action
     * @throws IllegalArgumentException when the value is no known action
     */
    public static SeccompAction fromReturnValue(int value) {
        int base = value & 0xffff0000;
        int data = value & 0xffff;
        for (Kind k : Kind.values()) {
            if (k.base() == base) {
                return new SeccompAction(k, k == Kind.ERRNO || k == Kind.TRACE ? data : 0);
            }
        }
        throw new IllegalArgumentException(String.format("unknown seccomp return value 0x%08x", value));
    }

    @Override
    public String toString() {
        switch (kind) {
            case ERRNO:
                return "errno(" + data + ")";
            case TRACE:
                return "trace(" + data + ")";
            default:
                return kind.name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /*
     * equals and hashCode written out, with the same meaning as a record's own: those are
     * linked through invokedynamic on first use, which costs a short-lived JVM (the CLI) more
     * than compiling a whole profile; the compiler hashes rule lists to share their code.
     */
    @Override
    public boolean equals(Object o) {
        return o instanceof SeccompAction a && kind == a.kind && data == a.data;
    }

    @Override
    public int hashCode() {
        return 31 * kind.hashCode() + data;
    }
}
