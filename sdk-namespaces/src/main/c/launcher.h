/*
 * corral-launcher: everything between clone and execve, for one JVM.
 *
 * The JVM starts one launcher and hands it fully resolved plans over a Unix socket; the
 * launcher clones each container, reports its PID or the exact (step, errno, index) that
 * failed, relays its stdio, and reports its exit status and rusage. It decides nothing: all
 * policy (defaults, validation, mount lists, ID maps, seccomp programs) is Java's.
 *
 * Files, one concern each, with its state in one struct of its own:
 *   launcher.c  the control connection to the JVM and the event loop
 *   run.c       starting containers (RUN) and following them to their end (EXITED)
 *   relay.c     stdio: files, /dev/null, and streams relayed to the JVM
 *   pool.c      namespace sets made ahead for the JVM
 *   idmaps.c    user namespace ID maps
 *   plan.c      the plan reader
 *   container.c the container's first process and its init, up to execve
 *   mounts.c    the container's mount table and pivot_root
 * Every wire constant is defined
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
#define TAG(name, value, shape, text) TAG_##name = value,
#include "wire.def"
};
#define MAX_TAG 64 /* above every tag's value (plan.c checks) */

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
#define COUNTER_FILE_BYTES 1024 /* read at most this much of each */
#define MAX_SECCOMP_INSNS 4096

/* The plan, as plan_decode fills it: each record is decoded by its shape (wire.def) into its
   field here, field after field at their natural alignment, which is how C lays out these
   structs; n[TAG] counts the records of a tag. Strings point into the message. */
struct mount_op {
    uint32_t kind, flags, mode, major, minor;
    const char *source, *target, *data;
};

struct stdio_op {
    uint32_t fd, kind, open_flags, mode;
    const char *path;
};

struct plan {
    size_t n[MAX_TAG];
    uint32_t version, clone_flags, command_as_pid1, root_readonly, loopback, no_new_privs, umask, deny_setgroups, exec_fd;
    uint32_t command_parent_death, gate;
    const char *staging, *hostname, *search_path, *cwd, *uid_map, *gid_map, *uid_map_tool, *gid_map_tool;
    struct { uint32_t uid, gid; } user;
    uint32_t groups[MAX_GROUPS];
    struct { uint32_t resource; uint64_t soft, hard; } rlimits[MAX_RLIMITS];
    struct { const unsigned char *bytes; size_t len; } seccomp;
    struct { uint64_t bounding, effective, permitted, inheritable, ambient; } caps;
    struct stdio_op stdio_ops[3];
    const struct stdio_op *stdio[3]; /* by fd: stdio_ops' entry for it, NULL if none */
    /* Descriptor operations: each names one of the plan's descriptors by its place (see
       MAX_PLAN_DESCRIPTORS); fd[] holds them once received, -1 past n_fds. */
    uint32_t n_fds;
    int fd[MAX_PLAN_DESCRIPTORS];
    uint32_t write_zero[MAX_PLAN_DESCRIPTORS], read_at_reap[MAX_COUNTER_FILES], zero_at_reap[MAX_COUNTER_FILES];
    uint32_t attach[MAX_PLAN_DESCRIPTORS];
    struct { uint32_t dir, procs; } cgroup;
    struct { uint32_t fd, nstype; } setns[MAX_SETNS];
    struct { uint32_t master, slave; } tty;
    int setns_user; /* which SETNS joins a user namespace, or -1 */
    uint32_t idmap[MAX_PLAN_DESCRIPTORS];
    /* Last, and not cleared per plan (their counts bound them): ~150 KiB that the launcher
       would otherwise write for every container, a page fault per page after each clone. */
    struct mount_op mounts[MAX_MOUNTS];
    struct { uint32_t mount, fd; } mount_trees[MAX_MOUNTS];
    int tree[MAX_MOUNTS]; /* by mount: its FD_MOUNT_TREE descriptor's place, or -1 */
    const char *args[MAX_ARGS + 1];
    const char *env[MAX_ENV + 1];
};

/* plan.c: parses buf into plan (pointers into buf), whose descriptor operations may name n_fds
   descriptors; returns 0 or -1 with errno = EPROTO/E2BIG */
int plan_decode(const unsigned char *buf, size_t len, uint32_t n_fds, struct plan *plan);
/* plan.c: prints the plan as PlanCodec.describe() does: each record as decoded, by tag */
void plan_describe(const struct plan *plan);

/* A namespace set's namespaces, in this order: the first three for either kind of set, the
   user namespace only for a "u" set (pool.c). */
enum namespace_kind { NAMESPACE_NET, NAMESPACE_IPC, NAMESPACE_UTS, NAMESPACE_USER, NAMESPACE_KINDS };

/* Descriptors the container's first process keeps; everything else is closed in it. */
struct child_fds {
    int report;   /* write end: (step, errno, index) records; close-on-exec */
    int release;  /* read end: one byte from the launcher when the child may go on */
    int status;   /* write end: the command's wait status, written by the init */
    int stdio[3]; /* what becomes fds 0, 1, 2 */
    const int *keep; /* every fd the child keeps, sorted ascending */
    size_t n_keep;
};

/* The byte on the release pipe: go on; or go on, and write 0 to FD_CLONE_INTO_CGROUP's
   cgroup.procs too (clone3 could not put it there). */
#define RELEASE_GO 'g'
#define RELEASE_JOIN_V2 'G'

/* ---- the launcher process (launcher.c) ---- */

#define MAX_CONTAINERS 4096
#define MAX_RELAYS (3 * MAX_CONTAINERS)
/* bytes of EXITED's counters: a count, each descriptor's length and bytes, the reset flag */
#define COUNTERS_BYTES (4 + MAX_COUNTER_FILES * (4 + COUNTER_FILE_BYTES) + 4)

/* epoll keys: kind in the high 32 bits, slot in the low */
enum key_kind { K_CONTROL = 1, K_SIGNALS, K_REPORT, K_STATUS, K_RELAY };
#define KEY(kind, slot) (((uint64_t)(kind) << 32) | (uint32_t)(slot))

/* What the launcher finds out about its host once, at its start. */
struct launcher_host {
    sigset_t ignored_signals; /* inherited ignored, and SIGPIPE: for the command to reset */
    int last_cap;             /* the highest capability the kernel knows */
};
extern struct launcher_host host;

__attribute__((noreturn)) void die(const char *what);
void put_u32(unsigned char *p, uint32_t v);
void put_u64(unsigned char *p, uint64_t v);
void send_message(uint32_t type, const unsigned char *payload, uint32_t len);
void watch(int fd, uint32_t events, uint64_t key);
void rewatch(int fd, uint32_t events, uint64_t key);
void close_fd(int *fd);
void set_nonblocking(int fd);
/* a new connection to the JVM, for a container's stdio stream (or the control stream); -1 with
   errno and *step */
int connect_to_jvm(uint64_t id, uint32_t stream, int32_t *step);
/* receives exactly n descriptors (close-on-exec) sent with one plan into fds; 0, or -1 with
   errno and *step */
int receive_descriptors(uint32_t n, int *fds, int32_t *step, int32_t *index);
/* the connection the JVM's and the launcher's descriptors travel on */
int jvm_descriptor_socket(void);

/* ---- containers (run.c) ---- */
void run_container(uint64_t id, const unsigned char *buf, size_t len);
void signal_container(uint64_t id, int sig);
void container_event(uint32_t kind, uint32_t slot);
void reap(void);
void kill_containers(void);

/* ---- stdio (relay.c) ---- */
int relay_open_stdio(uint64_t id, const struct plan *pl, int stdio[3], int32_t *step, int32_t *index);
void relay_drop(uint64_t id);
void relay_event(uint32_t slot);

/* ---- namespace sets made ahead (pool.c) ---- */
void pool_request(uint64_t request, const unsigned char *profile, size_t len);

/* ---- ID maps (idmaps.c): uid_map, then "deny" to setgroups where asked, then gid_map; 0, or
   -1 with errno and *step, *index naming the write that failed (index 1: by the tool) ---- */
int write_id_maps(pid_t pid, const char *uid_map, const char *uid_tool, const char *gid_map,
                  const char *gid_tool, int deny_setgroups, int32_t *step, int32_t *index);

/* ---- what runs in the container (container.c, mounts.c) ---- */
/* runs in the cloned child; never returns */
__attribute__((noreturn)) void container_main(const struct plan *plan, const struct child_fds *fds);
/* reports (step, errno, index) on the report pipe and exits */
__attribute__((noreturn)) void child_fail(enum step step, int index);
/* with a user namespace to join: the plan's MF_BEFORE_USERNS file systems, made before joining it */
void mounts_prepare_early(const struct plan *pl);
/* the staging tmpfs, the plan's mounts in the new root, pivot_root into it */
void mounts_set_up(const struct plan *pl);
/* brings up lo in the current network namespace; 0, or -1 with errno and the sub-step that
   failed (0 socket, 1 get flags, 2 set flags) */
int loopback_up(int *failed_at);

/* a failure record, as the launcher and the container's processes report it */
struct report {
    int32_t step, err, index;
};
/* pool.c: a namespace set of profile into fds (namespace_kind order); how many, or -1 with why */
int make_set(const char *profile, size_t len, int fds[NAMESPACE_KINDS], struct report *why);

#endif
