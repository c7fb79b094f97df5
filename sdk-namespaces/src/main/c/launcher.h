/*
 * corral-launcher: everything between clone and execve, for one JVM.
 *
 * The JVM starts one launcher and hands it fully resolved plans over a Unix socket; the
 * launcher clones each container, reports its PID or the exact (step, errno, index) that
 * failed, relays its stdio, and reports its exit status and rusage. It decides nothing: all
 * policy (defaults, validation, mount lists, ID maps, seccomp programs) is Java's.
 *
 * Files: launcher.c (main loop, protocol, relays), plan.c (the plan reader), container.c (the
 * code that runs in the container between clone and execve). Every wire constant is defined
 * in wire.def, the Java side's source too; the plan format is described in
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

/* ---- the wire, from wire.def (also the source of the Java side's constants) ---- */
#define WIRE_VERSION(value) enum { PROTOCOL_VERSION = value };
#include "wire.def"

/* steps, numbered by their place in the list */
enum step {
#define STEP(name, text) STEP_##name,
#include "wire.def"
    STEP_COUNT
};

/* messages on the control socket: u32 length (of type + payload), u32 type, payload */
enum message {
#define MSG(name, value, text) MSG_##name = value,
#include "wire.def"
};

/* how MSG_EXITED says the command ended */
enum exit_how {
#define EXIT_HOW(name, value, text) EXIT_HOW_##name = value,
#include "wire.def"
};

/* the plan: a version tag, then (u16 tag, u32 length, value) records */
enum plan_tag {
#define TAG(name, value, text) TAG_##name = value,
#include "wire.def"
};

/* an overlay's source holds host lower dirs joined by ':', top first, and its data options
   where upperdir= and workdir= hold host paths; the launcher prefixes every host path with
   /oldroot */
enum mount_kind {
#define MOUNT_KIND(name, value, text) MOUNT_##name = value,
#include "wire.def"
};

enum mount_flag {
#define MOUNT_FLAG(name, value, text) MF_##name = value,
#include "wire.def"
};

enum stdio_kind {
#define STDIO_KIND(name, value, text) STDIO_##name = value,
#include "wire.def"
};

enum wire_limit {
#define LIMIT(name, value, text) name = value,
#include "wire.def"
};

#define MAX_MOUNTS 512
#define MAX_ARGS 8192
#define MAX_ENV 8192
#define MAX_GROUPS 64
#define MAX_RLIMITS 16
#define MAX_CGROUPS 16
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
