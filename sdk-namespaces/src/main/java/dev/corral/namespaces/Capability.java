package dev.corral.namespaces;

import java.util.Locale;
import java.util.Optional;

/**
 * The Linux capabilities this library knows by name, with their numbers ({@code capability.h}).
 * A kernel may know more ({@code /proc/sys/kernel/cap_last_cap}); {@link CapabilitySet} takes
 * those by number.
 *
 * <pre>{@code
 * Capability.NET_BIND_SERVICE.number();       // 10
 * Capability.fromName("cap_sys_admin");       // Optional[SYS_ADMIN]
 * }</pre>
 */
public enum Capability {
    /** Change file ownership. */ CHOWN,
    /** Bypass file read, write and execute permission checks. */ DAC_OVERRIDE,
    /** Bypass file read and directory search checks. */ DAC_READ_SEARCH,
    /** Bypass checks that the file's owner is the caller. */ FOWNER,
    /** Keep set-user-ID bits on modification. */ FSETID,
    /** Send signals to any process. */ KILL,
    /** Change group IDs. */ SETGID,
    /** Change user IDs. */ SETUID,
    /** Change capability sets. */ SETPCAP,
    /** Set immutable and append-only file attributes. */ LINUX_IMMUTABLE,
    /** Bind ports below 1024. */ NET_BIND_SERVICE,
    /** Broadcast and listen to multicast. */ NET_BROADCAST,
    /** Network administration. */ NET_ADMIN,
    /** Raw and packet sockets. */ NET_RAW,
    /** Lock memory. */ IPC_LOCK,
    /** Bypass System V IPC permission checks. */ IPC_OWNER,
    /** Load and unload kernel modules. */ SYS_MODULE,
    /** Raw I/O ports. */ SYS_RAWIO,
    /** chroot. */ SYS_CHROOT,
    /** ptrace any process. */ SYS_PTRACE,
    /** Process accounting. */ SYS_PACCT,
    /** Mount, namespaces, and much else: the new root. */ SYS_ADMIN,
    /** Reboot and kexec. */ SYS_BOOT,
    /** Raise priorities, set other processes' priorities. */ SYS_NICE,
    /** Override resource limits. */ SYS_RESOURCE,
    /** Set the system clock. */ SYS_TIME,
    /** Configure ttys. */ SYS_TTY_CONFIG,
    /** Create device nodes. */ MKNOD,
    /** File leases. */ LEASE,
    /** Write the audit log. */ AUDIT_WRITE,
    /** Configure auditing. */ AUDIT_CONTROL,
    /** Set file capabilities. */ SETFCAP,
    /** Override MAC. */ MAC_OVERRIDE,
    /** Configure MAC. */ MAC_ADMIN,
    /** Configure the kernel log. */ SYSLOG,
    /** Set wake alarms. */ WAKE_ALARM,
    /** Block system suspend. */ BLOCK_SUSPEND,
    /** Read the audit log. */ AUDIT_READ,
    /** Performance monitoring. */ PERFMON,
    /** BPF programs and maps. */ BPF,
    /** Checkpoint and restore. */ CHECKPOINT_RESTORE;

    /** @return the kernel's number for it, e.g. 21 for {@link #SYS_ADMIN} */
    public int number() {
        return ordinal();
    }

    /** @return the conventional name, e.g. {@code CAP_SYS_ADMIN} */
    public String capName() {
        return "CAP_" + name();
    }

    /**
     * @param name {@code CAP_SYS_ADMIN}, {@code sys_admin}, any case
     * @return the capability, if known
     */
    public static Optional<Capability> fromName(String name) {
        String n = name.trim().toUpperCase(Locale.ROOT);
        if (n.startsWith("CAP_")) {
            n = n.substring(4);
        }
        for (Capability c : values()) {
            if (c.name().equals(n)) {
                return Optional.of(c);
            }
        }
        return Optional.empty();
    }

    /** @param number a capability number @return the capability, if this library names it */
    public static Optional<Capability> fromNumber(int number) {
        return number >= 0 && number < values().length ? Optional.of(values()[number]) : Optional.empty();
    }
}
