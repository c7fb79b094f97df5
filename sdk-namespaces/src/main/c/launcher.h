/*
 * corral-launcher: everything between clone and execve, for one JVM.
 *
 * The JVM starts one launcher and hands it fully resolved plans over a Unix socket; the
 * launcher clones each container, reports its PID or the exact (step, errno, index) that
 * failed, relays its stdio, and reports its exit status and rusage. It decides nothing: all
 * policy (defaults, validation, mount lists, ID maps, seccomp programs) is Java's.
 *
 * Files: launcher.c (main loop, protocol, relays), plan.c (the plan reader), container.c (the
 * code that runs in the container between clone and execve). The wire format is described in
 * dev.corral.namespaces.launcher.PlanCodec, its only writer.
 */
#ifndef CORRAL_LAUNCHER_H
#define CORRAL_LAUNCHER_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <sys/types.h>

#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "the launcher protocol is little-endian; big-endian hosts are not supported"
#endif

#define PROTOCOL_VERSION 1

/* Kernel interfaces both launcher.c and container.c use, newer than some libcs' headers; the
   numbers are the same on x86_64 and aarch64 (the unified syscall table since Linux 5.1). */
#ifndef SYS_fsopen
#define SYS_fsopen 430
#endif
#ifndef SYS_mount_setattr
#define SYS_mount_setattr 442
#endif
#define K_FSOPEN_CLOEXEC 1
#define K_AT_RECURSIVE 0x8000

/* ---- steps: one list, shared with Java (steps.def) ---- */
enum step {
#define STEP(name, text) STEP_##name,
#include "steps.def"
#undef STEP
    STEP_COUNT
};

/* ---- messages on the control socket: u32 length (of type + payload), u32 type, payload ---- */
enum message {
    MSG_HELLO = 1,   /* launcher -> JVM: u32 version, i32 launcher pid */
    MSG_STARTED = 2, /* launcher -> JVM: u64 id, i32 pid */
    MSG_FAILED = 3,  /* launcher -> JVM: u64 id, i32 step, i32 errno, i32 index */
    MSG_EXITED = 4,  /* launcher -> JVM: u64 id, i32 how, i32 value, i64 wall_us, i64 utime_us,
                        i64 stime_us, i64 maxrss_kib, counter files, u32 counters reset
                        (see send_exited) */
    MSG_RUN = 16,    /* JVM -> launcher: u64 id, plan */
    MSG_SIGNAL = 17, /* JVM -> launcher: u64 id, i32 signal */
};
#define EXIT_HOW_EXITED 1
#define EXIT_HOW_SIGNALED 2

/* ---- the plan: a version tag, then (u16 tag, u32 length, value) records ---- */
enum plan_tag {
    TAG_VERSION = 1,       /* u32 */
    TAG_CLONE_FLAGS = 2,   /* u32: CLONE_NEW* */
    TAG_COMMAND_AS_PID1 = 3, /* u32: 1 = no init, the command is PID 1 */
    TAG_STAGING = 4,       /* str: an existing host directory to mount the staging tmpfs on */
    TAG_MOUNT = 5,         /* u32 kind, u32 flags, u32 mode, u32 major, u32 minor, str source,
                              str target, str data */
    TAG_ROOT_READONLY = 6, /* u32 */
    TAG_HOSTNAME = 7,      /* str */
    TAG_LOOPBACK = 8,      /* u32: bring lo up */
    TAG_STDIO = 9,         /* u32 fd, u32 kind, u32 open flags, u32 mode, str path */
    TAG_ARG = 10,          /* str, repeated */
    TAG_ENV = 11,          /* str "K=V", repeated */
    TAG_SEARCH_PATH = 12,  /* str: the PATH to look up a command without '/' in */
    TAG_CWD = 13,          /* str */
    TAG_USER = 14,         /* u32 uid, u32 gid */
    TAG_GROUP = 15,        /* u32, repeated: supplementary groups */
    TAG_RLIMIT = 16,       /* u32 resource, u64 soft, u64 hard */
    TAG_NO_NEW_PRIVS = 17, /* u32 */
    TAG_SECCOMP = 18,      /* bytes: struct sock_filter[] */
    TAG_UMASK = 19,        /* u32 */
    TAG_CGROUP_JOIN = 20,  /* str, repeated: v1 tasks files the child writes "0" to */
    TAG_UID_MAP = 21,      /* str: /proc/PID/uid_map contents */
    TAG_GID_MAP = 22,      /* str */
    TAG_CAPS = 23,         /* u64 bounding, u64 effective, u64 permitted, u64 inheritable, u64 ambient */
    TAG_DENY_SETGROUPS = 24, /* u32: 1 = write deny to /proc/PID/setgroups, never call setgroups() */
    TAG_UID_MAP_TOOL = 25, /* str: newuidmap, run as "TOOL PID <uid_map words>" instead of writing uid_map */
    TAG_GID_MAP_TOOL = 26, /* str: newgidmap, likewise */
    TAG_EXEC_FD = 27,      /* u32: open the program O_PATH onto this fd before the rlimits, execveat it */
    TAG_CGROUP_DIR = 28,   /* str: a cgroup v2 directory to clone into (clone3 CLONE_INTO_CGROUP) */
    TAG_COUNTER_FILE = 29, /* str, repeated: a file (a cgroup's counters) read right after the
                              container's first process is reaped, sent with EXITED */
    TAG_COUNTER_RESET = 30, /* str, repeated: a file written "0" right after the counter files
                               were all read (sets a reused cgroup's counters back) */
};

enum mount_kind {
    MOUNT_BIND = 1, MOUNT_TMPFS = 2, MOUNT_PROC = 3, MOUNT_DEVPTS = 4, MOUNT_MQUEUE = 5,
    MOUNT_MKDIR = 6, MOUNT_SYMLINK = 7, MOUNT_MKNOD = 8,
    MOUNT_MASK = 9,     /* if the target exists: /dev/null over a file, an empty ro tmpfs over a directory */
    MOUNT_READONLY = 10, /* if the target exists: bind it onto itself, recursively read-only */
    /* source: host lower dirs joined by ':', top first; data: options, where upperdir= and
       workdir= hold host paths; the launcher prefixes every host path with /oldroot */
    MOUNT_OVERLAY = 11,
};
#define MF_RDONLY 1u
#define MF_NOSUID 2u
#define MF_NODEV 4u
#define MF_NOEXEC 8u
#define MF_RECURSIVE 16u
#define MF_IDMAP 32u /* a bind, idmapped for the container's user namespace */

enum stdio_kind { STDIO_INHERIT = 1, STDIO_NULL = 2, STDIO_FILE = 3, STDIO_RELAY = 4 };

#define MAX_MOUNTS 512
#define MAX_ARGS 8192
#define MAX_ENV 8192
#define MAX_GROUPS 64
#define MAX_RLIMITS 16
#define MAX_CGROUPS 16
#define MAX_COUNTER_FILES 16
#define COUNTER_FILE_BYTES 1024 /* read at most this much of each */
#define MAX_SECCOMP_INSNS 4096

struct mount_op {
    uint32_t kind, flags, mode, major, minor;
    const char *source, *target, *data;
};

struct stdio_op {
    int present;
    uint32_t kind, open_flags, mode;
    const char *path;
};

struct rlimit_op {
    uint32_t resource;
    uint64_t soft, hard;
};

struct plan {
    uint32_t version, clone_flags, command_as_pid1, root_readonly, loopback, no_new_privs;
    int has_user, has_umask, has_caps;
    uint32_t uid, gid, umask;
    const char *staging, *hostname, *search_path, *cwd, *uid_map, *gid_map;
    size_t n_mounts, n_args, n_env, n_groups, n_rlimits, n_cgroups;
    struct stdio_op stdio[3];
    uint32_t groups[MAX_GROUPS];
    struct rlimit_op rlimits[MAX_RLIMITS];
    const char *cgroup_join[MAX_CGROUPS];
    const unsigned char *seccomp;
    size_t seccomp_len;
    uint64_t cap_bounding, cap_effective, cap_permitted, cap_inheritable, cap_ambient;
    uint32_t deny_setgroups;
    int has_exec_fd;
    const char *cgroup_dir;
    uint32_t exec_fd;
    const char *uid_map_tool, *gid_map_tool;
    const char *counter_files[MAX_COUNTER_FILES];
    size_t n_counter_files;
    const char *counter_resets[MAX_COUNTER_FILES];
    size_t n_counter_resets;
    /* Last, and not cleared per plan (their counts bound them): ~150 KiB that the launcher
       would otherwise write for every container, a page fault per page after each clone. */
    struct mount_op mounts[MAX_MOUNTS];
    const char *args[MAX_ARGS + 1];
    const char *env[MAX_ENV + 1];
};

/* plan.c: parses buf into plan (pointers into buf); returns 0 or -1 with errno = EPROTO/E2BIG */
int plan_decode(const unsigned char *buf, size_t len, struct plan *plan);
/* plan.c: prints the plan as the text that PlanCodec.describe() prints */
void plan_describe(const struct plan *plan, int fd);

/* The prepared namespaces, in this order: the first three (up to POOLED_USER) for either kind
   of set, the user namespace only for a container that has one. */
enum pooled_kind { POOLED_NET, POOLED_IPC, POOLED_UTS, POOLED_USER, POOLED_KINDS };

/* Descriptors the container's first process keeps; everything else is closed in it. */
struct child_fds {
    int report;   /* write end: (step, errno, index) records; close-on-exec */
    int release;  /* read end: one byte from the launcher when the child may go on */
    int status;   /* write end: the command's wait status, written by the init */
    int stdio[3]; /* what becomes fds 0, 1, 2 */
    /* Namespaces prepared ahead by the launcher's pool, to join instead of creating them, or -1:
       network (loopback up), IPC, UTS, and, for a container with a user namespace, that
       namespace (ID maps written), which owns the other three. With a prepared user namespace
       the child creates its mount namespace itself, after joining it, so that it owns that too. */
    int pooled_ns[POOLED_KINDS];
    /* Mount sources the launcher opened before clone, with the host's view and rights, so the
       container's (possibly unprivileged) root needs no access to the paths leading to them:
       for a bind, a detached copy of the source tree (open_tree) or -1 to open it by path; for
       an overlay, detached copies of its layers, which the child attaches at /ovl-I/J in the
       staging tmpfs, and its option string naming them there. */
    const int *bind_tree;
    char *const *overlay_options;
    const int *overlay_trees, *overlay_first, *overlay_count; /* mount i's trees: [first, first+count) */
    /* Files the launcher opened for the child, which moves itself in through them once its
       mounts are set up (writing "0"; the kernel checks the opener's rights): its v1
       hierarchies' tasks files, then a v2 cgroup.procs, used only when the release byte says clone3 could not
       put it there (RELEASE_JOIN_V2). -1: none. */
    int cgroup_join[MAX_CGROUPS + 1];
    const int *keep; /* every fd the child keeps, sorted ascending */
    size_t n_keep;
};

/* The byte on the release pipe: go on; or go on, and join the v2 cgroup yourself too. */
#define RELEASE_GO 'g'
#define RELEASE_JOIN_V2 'G'

/* launcher.c, found once at its start: the signals it inherited ignored (and SIGPIPE, which
   it ignores), for the command to reset; and the highest capability the kernel knows */
extern sigset_t launcher_ignored_signals;
extern int launcher_last_cap;

/* container.c: runs in the cloned child; never returns */
__attribute__((noreturn)) void container_main(const struct plan *plan, const struct child_fds *fds);

/* container.c: brings up lo in the current network namespace; 0, or -1 with errno and the
   sub-step that failed (0 socket, 1 get flags, 2 set flags) */
int loopback_up(int *failed_at);

/* launcher.c: opens, before clone, what the child gets from the launcher's view and rights:
   the plan's mount sources and the files to join its cgroups through; 0, or -1 with errno, *failed_step and
   *failed_index (the mount, or the cgroup file) naming what failed */
int open_child_sources(const struct plan *plan, struct child_fds *fds, int *failed_index, int *failed_step);
/* launcher.c: closes what open_child_sources opened */
void close_child_sources(const struct plan *plan);

/* a failure record, as the launcher and the container's processes report it */
struct report {
    int32_t step, err, index;
};

#endif
