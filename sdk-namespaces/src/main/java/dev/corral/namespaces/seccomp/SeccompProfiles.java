package dev.corral.namespaces.seccomp;

import static dev.corral.namespaces.seccomp.ArgCondition.eq;
import static dev.corral.namespaces.seccomp.ArgCondition.maskedEquals;
import static dev.corral.namespaces.seccomp.ArgCondition.ne;

/**
 * The profiles Corral ships: {@link #defaultProfile()} for ordinary containers,
 * {@link #strictJudge()} for running untrusted solutions in an online judge, and
 * {@link #unconfined()} for no filter at all.
 *
 * <pre>{@code
 * SeccompProgram p = SeccompProfiles.defaultProfile().compile(SeccompArchitecture.X86_64);
 * SeccompProfiles.unconfined().compile(SeccompArchitecture.X86_64).isEmpty();   // true
 * }</pre>
 */
public final class SeccompProfiles {

    /** {@code EPERM}: what the default profile answers for the calls it blocks. */
    public static final int EPERM = 1;
    /** {@code ENOSYS}: what the default profile answers for calls it does not know. */
    public static final int ENOSYS = 38;
    private static final int ENOTTY = 25;

    /** {@code CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET}. */
    static final long CLONE_NAMESPACE_FLAGS = 0x7E020000L;
    /** {@code CLONE_NEWTIME}: in {@code unshare(2)} only; in {@code clone(2)} this bit is part of the exit signal. */
    static final long CLONE_NEWTIME = 0x80L;
    static final long CLONE_THREAD = 0x10000L;
    static final long AT_EMPTY_PATH = 0x1000L;
    static final long AF_VSOCK = 40;
    static final long AF_UNIX = 1;

    /**
     * The file descriptor through which {@link #strictJudge()} lets the first program be
     * executed: {@code execveat(JUDGE_EXEC_FD, "", argv, envp, AT_EMPTY_PATH)}.
     */
    public static final int JUDGE_EXEC_FD = 1023;

    private SeccompProfiles() {
    }

    /**
     * No filter: the compiled program is empty and the launcher installs nothing.
     *
     * @return the unconfined profile
     */
    public static SeccompProfile unconfined() {
        return SeccompProfile.unconfined();
    }

    /**
     * A profile comparable to Docker's default, for containers without capabilities. It is an
     * allow list: the calls an ordinary program needs are allowed; the calls below fail with
     * {@code EPERM} and are never made; any other call, including calls newer than the syscall
     * tables, fails with {@code ENOSYS}, so that a C library falls back to an older call.
     *
     * <p>Blocked with EPERM:
     * <ul>
     *   <li>mounting: {@code mount, umount2, pivot_root, fsopen, fsconfig, fsmount,
     *       fspick, move_mount, open_tree, mount_setattr, chroot}</li>
     *   <li>new namespaces: {@code setns}; {@code unshare} with any {@code CLONE_NEW*} flag;
     *       {@code clone} with any {@code CLONE_NEW*} flag; {@code clone3} fails with ENOSYS (its
     *       flags are in memory a filter cannot read) so the C library falls back to {@code clone}</li>
     *   <li>debugging other processes: {@code ptrace, process_vm_readv, process_vm_writev, kcmp,
     *       pidfd_getfd, process_madvise}</li>
     *   <li>kernel keyrings: {@code keyctl, add_key, request_key}</li>
     *   <li>the kernel itself: {@code bpf, perf_event_open, userfaultfd, kexec_load, kexec_file_load,
     *       init_module, finit_module, delete_module, reboot, swapon, swapoff, syslog, acct,
     *       quotactl, quotactl_fd, lookup_dcookie, iopl, ioperm, _sysctl, uselib, ustat, sysfs,
     *       nfsservctl, vhangup, fanotify_init}</li>
     *   <li>host files by handle: {@code open_by_handle_at}</li>
     *   <li>io_uring, whose operations bypass this filter: {@code io_uring_setup, io_uring_enter,
     *       io_uring_register}</li>
     *   <li>clocks and host names: {@code settimeofday, clock_settime, adjtimex, clock_adjtime,
     *       sethostname, setdomainname}</li>
     *   <li>NUMA policy of other processes: {@code mbind, set_mempolicy, get_mempolicy,
     *       migrate_pages, move_pages, set_mempolicy_home_node}</li>
     *   <li>{@code personality} with any value but 0, {@code PER_LINUX32} (8), {@code UNAME26}
     *       (0x20000), both (0x20008), and the query 0xffffffff</li>
     *   <li>{@code socket(AF_VSOCK, ...)}, which reaches the hypervisor host</li>
     * </ul>
     *
     * @return the default profile, for x86_64 and aarch64
     */
    public static SeccompProfile defaultProfile() {
        SeccompAction allow = SeccompAction.allow();
        SeccompAction eperm = SeccompAction.errno(EPERM);
        SeccompProfile.Builder b = SeccompProfile.builder(SeccompAction.errno(ENOSYS));
        b.allow(DEFAULT_ALLOWED);
        for (String s : DEFAULT_ALLOWED_X86_64) {
            b.rule(SyscallRule.of(s, allow).onlyOn(SeccompArchitecture.X86_64));
        }
        // new namespaces: only without CLONE_NEW* flags
        b.rule("clone", allow, maskedEquals(0, CLONE_NAMESPACE_FLAGS, 0));
        b.rule("clone", eperm);
        b.rule("clone3", SeccompAction.errno(ENOSYS));
        b.rule("unshare", allow, maskedEquals(0, CLONE_NAMESPACE_FLAGS | CLONE_NEWTIME, 0));
        b.rule("unshare", eperm);
        for (long persona : new long[] {0x0, 0x8, 0x20000, 0x20008, 0xffffffffL}) {
            b.rule("personality", allow, eq(0, persona));
        }
        b.rule("personality", eperm);
        b.rule("socket", allow, ne(0, AF_VSOCK));
        b.rule("socket", eperm);
        for (String s : DEFAULT_DENIED) {
            b.rule(s, eperm);
        }
        for (String s : DEFAULT_DENIED_X86_64) {
            b.rule(SyscallRule.of(s, eperm).onlyOn(SeccompArchitecture.X86_64));
        }
        return b.build();
    }

    /**
     * A small allow list for running one compiled or interpreted solution in an online judge:
     * any call not listed kills the process (a "restricted function" verdict, reported as killed
     * by SIGSYS). Allowed: reading and writing open files and the standard streams, opening files
     * (what is visible and writable is the mounts' business), memory management, signals,
     * clocks and sleeping, threads ({@code clone} with {@code CLONE_THREAD} and no
     * {@code CLONE_NEW*} flag), and process information. Not allowed: sockets, new processes
     * ({@code fork}, {@code vfork}, {@code clone} without {@code CLONE_THREAD}), and any
     * {@code execve}.
     *
     * <p><b>The one exec.</b> The filter is installed before the launcher executes the solution,
     * so that first exec must pass it, and no later one may. The profile therefore allows only
     * {@code execveat(JUDGE_EXEC_FD, "", argv, envp, AT_EMPTY_PATH)}: the launcher opens the
     * program as {@link #JUDGE_EXEC_FD} with {@code O_PATH | O_CLOEXEC}, sets a hard
     * {@code RLIMIT_NOFILE} of at most {@code JUDGE_EXEC_FD}, installs the filter and calls
     * {@code execveat}. The exec closes the descriptor, and the file limit keeps the solution
     * from ever getting a descriptor with that number again, so no second exec can pass.
     *
     * <p>Calls that runtimes probe and survive get an error instead of a kill: {@code clone3}
     * (ENOSYS, the C library falls back to {@code clone}), {@code ioctl} (ENOTTY: nothing is a
     * terminal), {@code socket(AF_UNIX, ...)} (EPERM: the C library's user lookups probe nscd
     * through one, the JVM does at startup; every other socket kills),
     * {@code prlimit64} and {@code setrlimit} that set a limit (EPERM), {@code prctl}
     * other than getting or setting the thread name (EPERM), and calls that change the file
     * system tree ({@code mkdir}, {@code unlink}, {@code rename}, ... EPERM).
     *
     * @return the strict judge profile, for x86_64 and aarch64
     */
    public static SeccompProfile strictJudge() {
        SeccompAction allow = SeccompAction.allow();
        SeccompAction eperm = SeccompAction.errno(EPERM);
        SeccompProfile.Builder b = SeccompProfile.builder(SeccompAction.killProcess());
        b.allow(JUDGE_ALLOWED);
        for (String s : JUDGE_ALLOWED_X86_64) {
            b.rule(SyscallRule.of(s, allow).onlyOn(SeccompArchitecture.X86_64));
        }
        b.rule("execveat", allow, eq(0, JUDGE_EXEC_FD), maskedEquals(4, AT_EMPTY_PATH, AT_EMPTY_PATH));
        b.execThroughDescriptor(JUDGE_EXEC_FD);
        b.rule("clone", allow, maskedEquals(0, CLONE_THREAD, CLONE_THREAD),
                maskedEquals(0, CLONE_NAMESPACE_FLAGS, 0));
        b.rule("clone3", SeccompAction.errno(ENOSYS));
        b.rule("ioctl", SeccompAction.errno(ENOTTY));
        b.rule("socket", eperm, eq(0, AF_UNIX));
        b.rule("prlimit64", allow, eq(2, 0));
        b.rule("prlimit64", eperm);
        b.rule("setrlimit", eperm);
        b.rule("prctl", allow, eq(0, 15)); // PR_SET_NAME
        b.rule("prctl", allow, eq(0, 16)); // PR_GET_NAME
        b.rule("prctl", eperm);
        for (String s : JUDGE_TREE_CHANGES) {
            b.rule(s, eperm);
        }
        for (String s : JUDGE_TREE_CHANGES_X86_64) {
            b.rule(SyscallRule.of(s, eperm).onlyOn(SeccompArchitecture.X86_64));
        }
        return b.build();
    }

    private static final String[] DEFAULT_ALLOWED = {
        "accept", "accept4", "bind", "brk", "capget", "capset", "chdir", "clock_getres", "clock_gettime",
        "clock_nanosleep", "close", "close_range", "connect", "copy_file_range", "dup", "dup3",
        "epoll_create1", "epoll_ctl", "epoll_pwait", "epoll_pwait2", "eventfd2", "execve", "execveat", "exit",
        "exit_group", "faccessat", "faccessat2", "fadvise64", "fallocate", "fanotify_mark", "fchdir", "fchmod",
        "fchmodat", "fchown", "fchownat", "fcntl", "fdatasync", "fgetxattr", "flistxattr", "flock",
        "fremovexattr", "fsetxattr", "fstat", "fstatfs", "fsync", "ftruncate", "futex", "futex_waitv",
        "get_robust_list", "getcpu", "getcwd", "getdents64", "getegid", "geteuid", "getgid", "getgroups",
        "getitimer", "getpeername", "getpgid", "getpid", "getppid", "getpriority", "getrandom", "getresgid",
        "getresuid", "getrlimit", "getrusage", "getsid", "getsockname", "getsockopt", "gettid", "gettimeofday",
        "getuid", "getxattr", "inotify_add_watch", "inotify_init1", "inotify_rm_watch", "io_cancel",
        "io_destroy", "io_getevents", "io_pgetevents", "io_setup", "io_submit", "ioctl", "ioprio_get",
        "ioprio_set", "kill", "landlock_add_rule", "landlock_create_ruleset", "landlock_restrict_self",
        "lgetxattr", "linkat", "listen", "listxattr", "llistxattr", "lremovexattr", "lseek", "lsetxattr",
        "madvise", "membarrier", "memfd_create", "mincore", "mkdirat", "mknodat", "mlock", "mlock2", "mlockall",
        "mmap", "mprotect", "mq_getsetattr", "mq_notify", "mq_open", "mq_timedreceive", "mq_timedsend",
        "mq_unlink", "mremap", "msgctl", "msgget", "msgrcv", "msgsnd", "msync", "munlock", "munlockall",
        "munmap", "name_to_handle_at", "nanosleep", "newfstatat", "openat", "openat2", "pidfd_open",
        "pidfd_send_signal", "pipe2", "pkey_alloc", "pkey_free", "pkey_mprotect", "ppoll", "prctl", "pread64",
        "preadv", "preadv2", "prlimit64", "process_mrelease", "pselect6", "pwrite64", "pwritev", "pwritev2",
        "read", "readahead", "readlinkat", "readv", "recvfrom", "recvmmsg", "recvmsg", "remap_file_pages",
        "removexattr", "renameat", "renameat2", "restart_syscall", "rseq", "rt_sigaction", "rt_sigpending",
        "rt_sigprocmask", "rt_sigqueueinfo", "rt_sigreturn", "rt_sigsuspend", "rt_sigtimedwait",
        "rt_tgsigqueueinfo", "sched_get_priority_max", "sched_get_priority_min", "sched_getaffinity",
        "sched_getattr", "sched_getparam", "sched_getscheduler", "sched_rr_get_interval", "sched_setaffinity",
        "sched_setattr", "sched_setparam", "sched_setscheduler", "sched_yield", "seccomp", "semctl", "semget",
        "semop", "semtimedop", "sendfile", "sendmmsg", "sendmsg", "sendto", "set_robust_list",
        "set_tid_address", "setfsgid", "setfsuid", "setgid", "setgroups", "setitimer", "setpgid", "setpriority",
        "setregid", "setresgid", "setresuid", "setreuid", "setrlimit", "setsid", "setsockopt", "setuid",
        "setxattr", "shmat", "shmctl", "shmdt", "shmget", "shutdown", "sigaltstack", "signalfd4", "socketpair",
        "splice", "statfs", "statx", "symlinkat", "sync", "sync_file_range", "syncfs", "sysinfo", "tee",
        "tgkill", "timer_create", "timer_delete", "timer_getoverrun", "timer_gettime", "timer_settime",
        "timerfd_create", "timerfd_gettime", "timerfd_settime", "times", "tkill", "truncate", "umask", "uname",
        "unlinkat", "utimensat", "vmsplice", "wait4", "waitid", "write", "writev",
    };

    private static final String[] DEFAULT_ALLOWED_X86_64 = {
        "access", "alarm", "arch_prctl", "chmod", "chown", "creat", "dup2", "epoll_create", "epoll_wait",
        "eventfd", "fork", "futimesat", "get_thread_area", "getdents", "getpgrp", "inotify_init", "lchown",
        "link", "lstat", "mkdir", "mknod", "modify_ldt", "open", "pause", "pipe", "poll", "readlink", "rename",
        "rmdir", "select", "set_thread_area", "signalfd", "stat", "symlink", "time", "unlink", "utime", "utimes",
        "vfork",
    };

    private static final String[] DEFAULT_DENIED = {
        "mount", "umount2", "pivot_root", "fsopen", "fsconfig", "fsmount", "fspick", "move_mount", "open_tree",
        "mount_setattr", "chroot", "setns", "ptrace", "process_vm_readv", "process_vm_writev", "kcmp",
        "pidfd_getfd", "process_madvise", "keyctl", "add_key", "request_key", "bpf", "perf_event_open",
        "userfaultfd", "kexec_load", "kexec_file_load", "init_module", "finit_module", "delete_module", "reboot",
        "swapon", "swapoff", "syslog", "acct", "quotactl", "quotactl_fd", "lookup_dcookie", "nfsservctl",
        "vhangup", "fanotify_init", "open_by_handle_at", "io_uring_setup", "io_uring_enter",
        "io_uring_register", "settimeofday", "clock_settime", "adjtimex", "clock_adjtime", "sethostname",
        "setdomainname", "mbind", "set_mempolicy", "get_mempolicy", "migrate_pages", "move_pages",
        "set_mempolicy_home_node",
    };

    private static final String[] DEFAULT_DENIED_X86_64 = {
        "iopl", "ioperm", "_sysctl", "uselib", "ustat", "sysfs",
    };

    private static final String[] JUDGE_ALLOWED = {
        "read", "write", "readv", "writev", "pread64", "pwrite64", "preadv", "pwritev", "lseek", "close",
        "close_range", "openat", "fstat", "newfstatat", "statx", "statfs", "fstatfs", "faccessat", "faccessat2",
        "readlinkat", "getdents64", "getcwd", "chdir", "fchdir", "fcntl", "flock", "dup", "dup3", "pipe2", "ppoll",
        "pselect6", "epoll_create1", "epoll_ctl", "epoll_pwait", "eventfd2", "fadvise64", "sendfile", "umask",
        "mmap", "munmap", "mprotect", "mremap", "brk", "madvise", "mincore", "msync", "membarrier",
        "memfd_create", "rt_sigaction", "rt_sigprocmask", "rt_sigreturn", "rt_sigsuspend", "rt_sigpending",
        "rt_sigtimedwait", "sigaltstack", "kill", "tgkill", "tkill", "futex", "set_robust_list",
        "get_robust_list", "set_tid_address", "rseq", "sched_yield", "sched_getaffinity", "sched_getparam",
        "sched_getscheduler", "sched_get_priority_min", "sched_get_priority_max", "getpid", "gettid", "getppid",
        "getuid", "geteuid", "getgid", "getegid", "getresuid", "getresgid", "getgroups", "getpgid", "getsid",
        "uname", "sysinfo", "getrusage", "times", "getrlimit", "getrandom", "getcpu", "clock_gettime",
        "clock_getres", "clock_nanosleep", "nanosleep", "gettimeofday", "getitimer", "setitimer",
        "timer_create", "timer_settime", "timer_gettime", "timer_delete", "timer_getoverrun", "wait4", "waitid",
        "restart_syscall", "exit", "exit_group",
    };

    private static final String[] JUDGE_ALLOWED_X86_64 = {
        "arch_prctl", "open", "stat", "lstat", "access", "readlink", "getdents", "dup2", "pipe", "poll",
        "select", "epoll_create", "epoll_wait", "time", "alarm", "getpgrp", "pause",
    };

    private static final String[] JUDGE_TREE_CHANGES = {
        "mkdirat", "unlinkat", "renameat", "renameat2", "linkat", "symlinkat", "fchmod", "fchmodat", "fchown",
        "fchownat", "truncate", "ftruncate", "fallocate", "utimensat", "mknodat", "setxattr", "lsetxattr",
        "fsetxattr", "removexattr", "lremovexattr", "fremovexattr",
    };

    private static final String[] JUDGE_TREE_CHANGES_X86_64 = {
        "mkdir", "rmdir", "unlink", "rename", "link", "symlink", "chmod", "chown", "lchown", "creat", "mknod",
        "utime", "utimes", "futimesat",
    };
}
