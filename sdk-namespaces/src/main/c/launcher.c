/*
 * The launcher's main loop: one process per JVM. It connects to the JVM's Unix socket, then
 * runs an epoll loop over the control connection, SIGCHLD (signalfd), each container's report
 * and status pipes, and the stdio relays. See launcher.h for the protocol.
 *
 * Lifetime: when the control connection closes (the JVM exited or was killed), the launcher
 * kills every container it started, reaps them and exits. Each container's first process has
 * PR_SET_PDEATHSIG=SIGKILL, so if the launcher itself dies, its containers die too.
 */
#include "launcher.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_CONTAINERS 4096
#define MAX_RELAYS (3 * MAX_CONTAINERS)
#define MAX_MESSAGE (64u << 20)
#define TOKEN_BYTES 32

/* epoll keys: kind in the high 32 bits, slot in the low */
enum key_kind { K_CONTROL = 1, K_SIGNALS, K_REPORT, K_STATUS, K_RELAY_PIPE, K_RELAY_SOCK, K_POOL };
#define KEY(kind, slot) (((uint64_t)(kind) << 32) | (uint32_t)(slot))

struct container {
    int used;
    uint64_t id;
    pid_t pid;
    int report_fd, status_fd;
    int started_sent, failed;
    int have_command_status;
    int32_t command_status;
    struct timespec t0;
    /* The container's mount namespace, held from its exec on: unmounting its tree waits for an
       RCU grace period, which the init's exit would otherwise spend before the launcher learns
       of it. Closed after EXITED is sent, off the result's path. -1: none held */
    int mount_ns, own_mount_ns;
    /* The plan's counter files, then its counter reset files, NUL-separated (malloc'd; NULL:
       none): the first read once the first process is reaped and sent with EXITED (the JVM
       has them without reading them itself), the others written "0" right after */
    char *counter_paths;
    uint32_t n_counters, n_resets;
};

struct relay {
    int used;
    int pipe_fd, sock_fd;
    int outbound; /* 1: container -> JVM (stdout, stderr); 0: JVM -> container (stdin) */
};

static struct container containers[MAX_CONTAINERS];
static struct relay relays[MAX_RELAYS];
static struct plan plan; /* large: static, reused for every RUN */
static int epfd = -1, control_fd = -1, listen_path_fd = -1;
static unsigned char token[TOKEN_BYTES];

/* A few fresh namespaces, prepared ahead: creating a network namespace is the costliest part
   of a container (about 0.5 ms), and joining a prepared one is cheap. A small pool process
   makes them in parallel with everything else and passes their fds here (SCM_RIGHTS); each set
   is used by one container only, never reused. What a set holds is its profile, taken from the
   last plan that could use one: "n", network + IPC + UTS for a privileged container without a
   user namespace; or "u" + the ID maps, a user namespace with those maps written, owning a
   network, IPC and UTS namespace. (A PID namespace cannot be prepared: one without a process
   cannot be named. The clone creates it, so it belongs to the launcher's user namespace,
   which the launcher must be privileged in.) A new profile drops the sets of the old one; a
   profile the pool cannot make (the launcher lacks the rights) is not asked for again. */
#define POOL_TARGET 2
#define PROFILE_MAX 12288
struct pool_set {
    int fd[POOLED_KINDS];
};
static struct pool_set pool[POOL_TARGET];
static int pool_sock = -1, pooled, pool_asked, pool_refused;
static uint32_t pool_generation; /* of pool_profile; answers for an older one are dropped */
static char pool_profile[PROFILE_MAX];
static size_t pool_profile_len;
static int can_mount_detached;
static char listen_path[64];
sigset_t launcher_ignored_signals;
int launcher_last_cap; /* CAP_CHOWN (0) is always known */

__attribute__((noreturn)) static void die(const char *what) {
    int saved = errno;
    fprintf(stderr, "corral-launcher: %s: %s\n", what, strerror(saved));
    if (pool_sock >= 0) close(pool_sock);
    for (int i = 0; i < MAX_CONTAINERS; i++)
        if (containers[i].used) kill(containers[i].pid, SIGKILL);
    while (wait(NULL) > 0 || errno == EINTR) {}
    exit(1);
}

static void put_u32(unsigned char *p, uint32_t v) { memcpy(p, &v, 4); }
static void put_u64(unsigned char *p, uint64_t v) { memcpy(p, &v, 8); }

static void write_all(int fd, const void *buf, size_t len) {
    const unsigned char *p = buf;
    while (len > 0) {
        ssize_t w = write(fd, p, len);
        if (w < 0) {
            if (errno == EINTR) continue;
            if (errno == EAGAIN) {
                struct pollfd pfd = {fd, POLLOUT, 0};
                if (poll(&pfd, 1, -1) < 0 && errno != EINTR) die("poll control");
                continue;
            }
            if (errno == EPIPE || errno == ECONNRESET) return; /* the JVM is gone: the loop sees EOF */
            die("write control");
        }
        p += w;
        len -= (size_t)w;
    }
}

static void send_message(uint32_t type, const unsigned char *payload, uint32_t len) {
    unsigned char head[8];
    put_u32(head, len + 4);
    put_u32(head + 4, type);
    write_all(control_fd, head, 8);
    write_all(control_fd, payload, len);
}

/* ---- cgroup files, kept open from one container to the next ---- */

/* A container's cgroup is set back and given to the next container, so the files a child
   joins its cgroups through, the counters read at its reap and the files that set them back
   are opened once and kept: opening one walks six kernfs directories and costs about as much
   as a join. The JVM never gives two cgroups the same path in a launcher's life (see
   LaunchPlan), so a kept fd names the cgroup its path names, or one removed since, whose path
   is not asked for again; past CGROUP_FILES_KEPT (more than one plan's files), the least
   recently used is closed. */
#define CGROUP_FILES_KEPT 64
static struct cgroup_file {
    char *path; /* malloc'd; NULL: a free entry */
    int flags, fd;
    uint64_t used;
} cgroup_files[CGROUP_FILES_KEPT];
static uint64_t cgroup_files_clock;

static void forget_cgroup_file(struct cgroup_file *f) {
    if (f->path == NULL) return;
    close(f->fd);
    free(f->path);
    *f = (struct cgroup_file){0};
}

/* The kept file for path opened with flags (O_CLOEXEC added, its fd never 0-2), opened now if
   it is not kept yet; the cache owns its fd: the caller must not close it. NULL with errno if
   it cannot be opened. */
static struct cgroup_file *kept_cgroup_file(const char *path, int flags) {
    struct cgroup_file *oldest = &cgroup_files[0];
    for (int i = 0; i < CGROUP_FILES_KEPT; i++) {
        struct cgroup_file *f = &cgroup_files[i];
        if (f->path && f->flags == flags && strcmp(f->path, path) == 0) {
            f->used = ++cgroup_files_clock;
            return f;
        }
        if (f->used < oldest->used) oldest = f;
    }
    int fd = open(path, flags | O_CLOEXEC);
    if (fd >= 0 && fd < 3) { /* the launcher's stdio was closed: keep 0-2 for the child's own */
        int high = fcntl(fd, F_DUPFD_CLOEXEC, 3);
        close(fd);
        fd = high;
    }
    if (fd < 0) return NULL;
    char *copy = strdup(path);
    if (copy == NULL) {
        close(fd);
        errno = ENOMEM;
        return NULL;
    }
    forget_cgroup_file(oldest);
    *oldest = (struct cgroup_file){copy, flags, fd, ++cgroup_files_clock};
    return oldest;
}

/* Closes every kept cgroup file: after a join failed, in case one named a removed cgroup. */
static void forget_cgroup_files(void) {
    for (int i = 0; i < CGROUP_FILES_KEPT; i++) forget_cgroup_file(&cgroup_files[i]);
}

static void send_failed(uint64_t id, int32_t step, int32_t err, int32_t index) {
    unsigned char m[20];
    if (step == STEP_CGROUP_JOIN) forget_cgroup_files();
    put_u64(m, id);
    memcpy(m + 8, &step, 4);
    memcpy(m + 12, &err, 4);
    memcpy(m + 16, &index, 4);
    send_message(MSG_FAILED, m, sizeof m);
}

static void send_started(struct container *c) {
    unsigned char m[12];
    int32_t pid = c->pid;
    put_u64(m, c->id);
    memcpy(m + 8, &pid, 4);
    send_message(MSG_STARTED, m, sizeof m);
    c->started_sent = 1;
}

static int64_t micros(struct timeval tv) { return (int64_t)tv.tv_sec * 1000000 + tv.tv_usec; }

/* Reads a counter file whole into out, through a kept fd (a read at offset 0 is a fresh one);
   returns its length, -1 if it does not exist, -2 if it cannot be read whole (the JVM then
   reads it itself). */
static int32_t read_counter_file(const char *path, unsigned char *out) {
    ssize_t n = -1;
    for (int attempt = 0; attempt < 2; attempt++) {
        struct cgroup_file *f = kept_cgroup_file(path, O_RDONLY);
        if (f == NULL) return errno == ENOENT ? -1 : -2;
        do n = pread(f->fd, out, COUNTER_FILE_BYTES, 0); while (n < 0 && errno == EINTR);
        if (n >= 0 || errno != ENODEV) break;
        forget_cgroup_file(f); /* its cgroup was removed: open the path anew, once */
    }
    return n < 0 || n == COUNTER_FILE_BYTES ? -2 : (int32_t)n;
}

/* Writes "0" to each counter reset file, through kept fds (with write: kernfs refuses pwrite
   on its seq files, and a cgroup file takes a write at any offset); 1 if every write took. */
static int reset_counters(const char *path, uint32_t n) {
    int ok = n > 0;
    for (uint32_t i = 0; i < n; i++, path += strlen(path) + 1) {
        struct cgroup_file *f = kept_cgroup_file(path, O_WRONLY);
        ssize_t w = -1;
        if (f != NULL)
            do w = write(f->fd, "0", 1); while (w < 0 && errno == EINTR);
        if (w != 1) {
            if (f != NULL) forget_cgroup_file(f);
            ok = 0;
        }
    }
    return ok;
}

/* EXITED: id, how, value, wall, user and system time (µs), max RSS (KiB); then the number of
   counter files and, for each in the plan's order, an i32 length (-1 absent, -2 unread) and
   its bytes; then a u32, 1 if the counter reset files were all written "0" after the counter
   files were all read (which is only tried then) */
static void send_exited(struct container *c, int status, const struct rusage *ru) {
    static unsigned char m[48 + 4 + MAX_COUNTER_FILES * (4 + COUNTER_FILE_BYTES) + 4];
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    int32_t how = WIFSIGNALED(status) ? EXIT_HOW_SIGNALED : EXIT_HOW_EXITED;
    int32_t value = WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status);
    int64_t wall = (int64_t)(now.tv_sec - c->t0.tv_sec) * 1000000 + (now.tv_nsec - c->t0.tv_nsec) / 1000;
    int64_t ut = micros(ru->ru_utime), st = micros(ru->ru_stime), rss = ru->ru_maxrss;
    put_u64(m, c->id);
    memcpy(m + 8, &how, 4);
    memcpy(m + 12, &value, 4);
    memcpy(m + 16, &wall, 8);
    memcpy(m + 24, &ut, 8);
    memcpy(m + 32, &st, 8);
    memcpy(m + 40, &rss, 8);
    size_t len = 48;
    uint32_t n = c->n_counters;
    memcpy(m + len, &n, 4);
    len += 4;
    const char *path = c->counter_paths;
    int all_read = 1;
    for (uint32_t i = 0; i < n; i++) {
        int32_t got = read_counter_file(path, m + len + 4);
        memcpy(m + len, &got, 4);
        len += 4 + (got > 0 ? (size_t)got : 0);
        path += strlen(path) + 1;
        if (got == -2) all_read = 0;
    }
    uint32_t reset = all_read && n > 0 && reset_counters(path, c->n_resets);
    memcpy(m + len, &reset, 4);
    len += 4;
    send_message(MSG_EXITED, m, (uint32_t)len);
}

/* Keeps the plan's counter and counter reset files for the reap; without memory, none: the
   JVM reads the counters and sets them back itself. */
static void keep_counter_files(struct container *c) {
    size_t total = 0;
    c->counter_paths = NULL;
    c->n_counters = c->n_resets = 0;
    for (size_t i = 0; i < plan.n_counter_files; i++) total += strlen(plan.counter_files[i]) + 1;
    for (size_t i = 0; i < plan.n_counter_resets; i++) total += strlen(plan.counter_resets[i]) + 1;
    if (total == 0 || (c->counter_paths = malloc(total)) == NULL) return;
    char *at = c->counter_paths;
    for (size_t i = 0; i < plan.n_counter_files + plan.n_counter_resets; i++) {
        const char *p = i < plan.n_counter_files ? plan.counter_files[i] : plan.counter_resets[i - plan.n_counter_files];
        size_t l = strlen(p) + 1;
        memcpy(at, p, l);
        at += l;
    }
    c->n_counters = (uint32_t)plan.n_counter_files;
    c->n_resets = (uint32_t)plan.n_counter_resets;
}

static void watch(int fd, uint32_t events, uint64_t key) {
    struct epoll_event ev = {.events = events, .data.u64 = key};
    if (epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) < 0) die("epoll_ctl add");
}

static void rewatch(int fd, uint32_t events, uint64_t key) {
    struct epoll_event ev = {.events = events, .data.u64 = key};
    if (epoll_ctl(epfd, EPOLL_CTL_MOD, fd, &ev) < 0) die("epoll_ctl mod");
}

static void close_fd(int *fd) {
    if (*fd >= 0) {
        close(*fd); /* closing also removes it from the epoll set */
        *fd = -1;
    }
}

static void set_nonblocking(int fd) {
    int fl = fcntl(fd, F_GETFL);
    if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0) die("fcntl O_NONBLOCK");
}

/* ---- stdio relays: splice between the container's pipe and a socket to the JVM ---- */

static void relay_close(int slot) {
    struct relay *r = &relays[slot];
    close_fd(&r->pipe_fd);
    close_fd(&r->sock_fd);
    r->used = 0;
}

static void relay_pump(int slot) {
    struct relay *r = &relays[slot];
    int from = r->outbound ? r->pipe_fd : r->sock_fd;
    int to = r->outbound ? r->sock_fd : r->pipe_fd;
    for (;;) {
        ssize_t n = splice(from, NULL, to, NULL, 1 << 20, SPLICE_F_NONBLOCK | SPLICE_F_MOVE);
        if (n > 0) continue;
        if (n == 0) { /* end of input: pass the EOF on by closing */
            relay_close(slot);
            return;
        }
        if (errno == EINTR) continue;
        if (errno != EAGAIN) { /* EPIPE, ECONNRESET: the other side is gone */
            relay_close(slot);
            return;
        }
        int pending = 0;
        if (ioctl(from, FIONREAD, &pending) < 0) pending = 0;
        /* input waiting means the output is full: wait for room, else wait for input */
        int from_key = r->outbound ? K_RELAY_PIPE : K_RELAY_SOCK;
        int to_key = r->outbound ? K_RELAY_SOCK : K_RELAY_PIPE;
        rewatch(from, pending > 0 ? 0 : EPOLLIN, KEY(from_key, slot));
        rewatch(to, pending > 0 ? EPOLLOUT : 0, KEY(to_key, slot));
        return;
    }
}

/* Connects to the JVM for one stdio stream; the JVM knows the stream from the header. */
static int connect_stream(uint64_t id, uint32_t stream) {
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    memcpy(addr.sun_path, listen_path, strlen(listen_path) + 1);
    int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (s < 0) return -1;
    if (connect(s, (struct sockaddr *)&addr, sizeof addr) < 0) {
        int saved = errno;
        close(s);
        errno = saved;
        return -1;
    }
    unsigned char head[TOKEN_BYTES + 12];
    memcpy(head, token, TOKEN_BYTES);
    put_u64(head + TOKEN_BYTES, id);
    put_u32(head + TOKEN_BYTES + 8, stream);
    if (write(s, head, sizeof head) != (ssize_t)sizeof head) {
        int saved = errno;
        close(s);
        errno = saved ? saved : EPIPE;
        return -1;
    }
    return s;
}

static int free_relay(void) {
    for (int i = 0; i < MAX_RELAYS; i++)
        if (!relays[i].used) return i;
    return -1;
}

static int write_file(const char *path, const char *text) {
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    size_t len = strlen(text);
    ssize_t w = write(fd, text, len);
    int saved = errno;
    close(fd);
    if (w != (ssize_t)len) {
        errno = w < 0 ? saved : EIO;
        return -1;
    }
    return 0;
}

/* Runs newuidmap/newgidmap (setuid root, checks /etc/subuid) as "TOOL PID <map words>" and
   waits for it. A failure is EPERM; the tool's own message goes to the launcher's stderr. */
static int run_map_tool(const char *tool, pid_t pid, const char *map) {
    char words[4096], pidtext[16];
    char *argv[3 + 3 * 340 + 1];
    size_t len = strlen(map);
    int n = 0;
    if (len >= sizeof words) {
        errno = E2BIG;
        return -1;
    }
    memcpy(words, map, len + 1);
    snprintf(pidtext, sizeof pidtext, "%d", pid);
    argv[n++] = (char *)tool;
    argv[n++] = pidtext;
    for (char *save = NULL, *w = strtok_r(words, " \t\n", &save); w; w = strtok_r(NULL, " \t\n", &save)) {
        if (n >= (int)(sizeof argv / sizeof argv[0]) - 1) {
            errno = E2BIG;
            return -1;
        }
        argv[n++] = w;
    }
    argv[n] = NULL;
    char *envp[] = {"PATH=/usr/sbin:/usr/bin:/sbin:/bin", NULL};
    pid_t t = fork();
    if (t < 0) return -1;
    if (t == 0) {
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        int null = open("/dev/null", O_RDWR);
        if (null >= 0) { dup2(null, 0); dup2(null, 1); }
        execve(tool, argv, envp);
        _exit(127);
    }
    int status;
    while (waitpid(t, &status, 0) < 0)
        if (errno != EINTR) return -1;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        errno = WIFEXITED(status) && WEXITSTATUS(status) == 127 ? ENOENT : EPERM;
        return -1;
    }
    return 0;
}

/* Writes a new user namespace's ID maps, as the launcher or a setuid tool (rootless) may:
   uid_map, then "deny" to setgroups where asked, then gid_map. 0, or -1 with errno and *step,
   *index naming the write that failed (index 1: by the tool). */
static int write_id_maps(pid_t pid, const char *uid_map, const char *uid_tool, const char *gid_map,
                         const char *gid_tool, int deny_setgroups, int32_t *step, int32_t *index) {
    char path[64];
    if (uid_map) {
        snprintf(path, sizeof path, "/proc/%d/uid_map", pid);
        *step = STEP_UID_MAP;
        *index = uid_tool ? 1 : 0;
        if ((uid_tool ? run_map_tool(uid_tool, pid, uid_map) : write_file(path, uid_map)) < 0) return -1;
    }
    if (gid_map) {
        snprintf(path, sizeof path, "/proc/%d/setgroups", pid);
        *step = STEP_SETGROUPS_DENY;
        *index = 0;
        if (deny_setgroups && write_file(path, "deny") < 0 && errno != ENOENT) return -1;
        snprintf(path, sizeof path, "/proc/%d/gid_map", pid);
        *step = STEP_GID_MAP;
        *index = gid_tool ? 1 : 0;
        if ((gid_tool ? run_map_tool(gid_tool, pid, gid_map) : write_file(path, gid_map)) < 0) return -1;
    }
    return 0;
}

/* In the pool process: a user namespace with the profile's ID maps, owning fresh network (lo
   up), IPC and UTS namespaces. A helper child creates them and waits while this process writes
   its maps and opens its namespaces; fds[] gets them in pooled_kind order. 0, or -1. */
static int pool_make_user_set(const char *profile, size_t len, int fds[POOLED_KINDS]) {
    static const char *const names[POOLED_KINDS] = {"net", "ipc", "uts", "user"};
    const char *field[4], *p = profile + 2, *end = profile + len;
    for (int k = 0; k < 4; k++) { /* "u" deny, then uid tool, uid map, gid tool, gid map: NUL-ended */
        const char *nul = memchr(p, 0, (size_t)(end - p));
        if (nul == NULL) return -1;
        field[k] = p;
        p = nul + 1;
    }
    /* to_helper: EOF when the helper may exit; from_helper: 'y' or 'n' once its loopback is up */
    int to_helper[2], from_helper[2];
    if (pipe2(to_helper, O_CLOEXEC) < 0) return -1;
    if (pipe2(from_helper, O_CLOEXEC) < 0) {
        close(to_helper[0]);
        close(to_helper[1]);
        return -1;
    }
    pid_t pool_pid = getpid();
    pid_t h = (pid_t)syscall(SYS_clone, CLONE_NEWUSER | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS | SIGCHLD, 0, 0, 0, 0);
    if (h == 0) { /* full capabilities in the new user namespace, even before its maps */
        int at;
        /* gone at once with the pool process (which goes with the launcher) */
        if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0 || getppid() != pool_pid) _exit(1);
        char ok = loopback_up(&at) == 0 ? 'y' : 'n', ignored;
        close(to_helper[1]);
        close(from_helper[0]);
        if (write(from_helper[1], &ok, 1) != 1) _exit(1);
        while (read(to_helper[0], &ignored, 1) < 0 && errno == EINTR) {}
        _exit(0); /* the namespaces live on, held by the fds opened meanwhile */
    }
    close(to_helper[0]);
    close(from_helper[1]);
    int ok = h > 0;
    int32_t step, index;
    char status = 'n', path[64];
    ssize_t n;
    if (ok)
        ok = write_id_maps(h, field[1], *field[0] ? field[0] : NULL, field[3], *field[2] ? field[2] : NULL,
                           profile[1] == '1', &step, &index) == 0;
    if (ok) {
        do n = read(from_helper[0], &status, 1); while (n < 0 && errno == EINTR);
        ok = n == 1 && status == 'y';
    }
    for (int k = 0; k < POOLED_KINDS; k++) {
        fds[k] = -1;
        if (!ok) continue;
        snprintf(path, sizeof path, "/proc/%d/ns/%s", h, names[k]);
        if ((fds[k] = open(path, O_RDONLY | O_CLOEXEC)) < 0) ok = 0;
    }
    close(to_helper[1]); /* the helper exits */
    close(from_helper[0]);
    if (h > 0)
        while (waitpid(h, NULL, 0) < 0 && errno == EINTR) {}
    if (!ok)
        for (int k = 0; k < POOLED_KINDS; k++)
            if (fds[k] >= 0) close(fds[k]);
    return ok ? 0 : -1;
}

/* In the pool process: network (lo up), IPC and UTS namespaces of the launcher's own user
   namespace, made by leaving the previous set. 0, or -1. */
static int pool_make_plain_set(int fds[POOLED_KINDS]) {
    static const char *const paths[POOLED_USER] = {"/proc/self/ns/net", "/proc/self/ns/ipc", "/proc/self/ns/uts"};
    int at, ok = unshare(CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS) == 0;
    for (int k = 0; k < POOLED_KINDS; k++) {
        fds[k] = -1;
        if (ok && k < POOLED_USER && (fds[k] = open(paths[k], O_RDONLY | O_CLOEXEC)) < 0) ok = 0;
    }
    if (ok && loopback_up(&at) < 0) ok = 0;
    if (!ok)
        for (int k = 0; k < POOLED_USER; k++)
            if (fds[k] >= 0) close(fds[k]);
    return ok ? 0 : -1;
}

/* The pool process: for each request (u32 generation, profile), one set of that profile, sent
   back as (u32 generation, 'y') with its fds, or (generation, 'n'). */
__attribute__((noreturn)) static void pool_serve(int sock) {
    static unsigned char req[4 + PROFILE_MAX];
    if (sock > 3 && syscall(SYS_close_range, 3U, (unsigned)sock - 1, 0) < 0 && errno != ENOSYS) _exit(1);
    if (syscall(SYS_close_range, (unsigned)sock + 1, ~0U, 0) < 0 && errno != ENOSYS) _exit(1);
    prctl(PR_SET_NAME, "corral-nspool", 0, 0, 0);
    for (;;) {
        ssize_t len = recv(sock, req, sizeof req, 0);
        if (len < 0 && errno == EINTR) continue;
        if (len < 5) _exit(0); /* the launcher is gone */
        int fds[POOLED_KINDS], n_fds = req[4] == 'u' ? POOLED_KINDS : POOLED_USER;
        int ok = (req[4] == 'u' ? pool_make_user_set((const char *)req + 4, (size_t)len - 4, fds)
                                : req[4] == 'n' ? pool_make_plain_set(fds) : -1) == 0;
        unsigned char answer[5];
        memcpy(answer, req, 4);
        answer[4] = ok ? 'y' : 'n';
        union { struct cmsghdr h; char buf[CMSG_SPACE(sizeof fds)]; } u;
        struct iovec iov = {answer, sizeof answer};
        struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};
        if (ok) {
            msg.msg_control = u.buf;
            msg.msg_controllen = CMSG_SPACE(n_fds * sizeof(int));
            struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
            c->cmsg_level = SOL_SOCKET;
            c->cmsg_type = SCM_RIGHTS;
            c->cmsg_len = CMSG_LEN(n_fds * sizeof(int));
            memcpy(CMSG_DATA(c), fds, n_fds * sizeof(int));
        }
        if (sendmsg(sock, &msg, MSG_NOSIGNAL) < 0) _exit(0);
        if (ok)
            for (int k = 0; k < n_fds; k++) close(fds[k]);
    }
}

/* The profile of set a plan could use (see above), in out; its length, or 0 for none. */
static size_t pool_profile_of(const struct plan *pl, char *out, size_t size) {
    uint32_t f = pl->clone_flags, shared = CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS;
    /* both kinds need a privileged launcher: "u" for the PID namespace the clone makes */
    if ((f & shared) != shared || geteuid() != 0) return 0;
    if (!(f & CLONE_NEWUSER)) {
        out[0] = 'n';
        return 1;
    }
    if (!(f & CLONE_NEWPID) || !can_mount_detached || pl->uid_map == NULL || pl->gid_map == NULL) return 0;
    const char *field[4] = {pl->uid_map_tool ? pl->uid_map_tool : "", pl->uid_map,
                            pl->gid_map_tool ? pl->gid_map_tool : "", pl->gid_map};
    size_t len = 2;
    out[0] = 'u';
    out[1] = pl->deny_setgroups ? '1' : '0';
    for (int k = 0; k < 4; k++) {
        size_t n = strlen(field[k]) + 1;
        if (len + n > size) return 0;
        memcpy(out + len, field[k], n);
        len += n;
    }
    return len;
}

static void pool_ask(void) {
    static unsigned char msg[4 + PROFILE_MAX];
    if (pool_profile_len == 0 || pool_refused) return;
    put_u32(msg, pool_generation);
    memcpy(msg + 4, pool_profile, pool_profile_len);
    while (pool_sock >= 0 && pooled + pool_asked < POOL_TARGET) {
        if (send(pool_sock, msg, 4 + pool_profile_len, MSG_NOSIGNAL) < 0) {
            if (errno != EAGAIN && errno != EINTR) close_fd(&pool_sock);
            return;
        }
        pool_asked++;
    }
}

static void pool_drop(struct pool_set *set) {
    for (int k = 0; k < POOLED_KINDS; k++) close_fd(&set->fd[k]);
}

/* From now on, sets of this profile: those of the previous one are closed. */
static void pool_switch(const char *profile, size_t len) {
    while (pooled > 0) pool_drop(&pool[--pooled]);
    pool_asked = 0; /* answers still on the way carry the old generation */
    pool_refused = 0;
    pool_generation++;
    memcpy(pool_profile, profile, len);
    pool_profile_len = len;
    pool_ask();
}

static void pool_start(void) {
    int sv[2];
    const char *off = getenv("CORRAL_NAMESPACE_POOL");
    if ((off && strcmp(off, "0") == 0) || socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) return;
    /* the child of a prepared user namespace mounts /proc by fsopen (5.2) before joining it */
    int probe = (int)syscall(SYS_fsopen, "proc", K_FSOPEN_CLOEXEC);
    can_mount_detached = probe >= 0;
    if (probe >= 0) close(probe);
    pid_t launcher_pid = getpid();
    pid_t pid = (pid_t)syscall(SYS_clone, SIGCHLD, 0, 0, 0, 0);
    if (pid == 0) {
        if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0 || getppid() != launcher_pid) _exit(1);
        close(sv[0]);
        pool_serve(sv[1]);
    }
    close(sv[1]);
    if (pid < 0) {
        close(sv[0]);
        return;
    }
    pool_sock = sv[0];
    set_nonblocking(pool_sock);
    watch(pool_sock, EPOLLIN, KEY(K_POOL, 0));
}

static void pool_receive(void) {
    for (;;) {
        unsigned char answer[5];
        int fds[POOLED_KINDS];
        union { struct cmsghdr h; char buf[CMSG_SPACE(sizeof fds)]; } u;
        struct iovec iov = {answer, sizeof answer};
        struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof u.buf};
        ssize_t n = recvmsg(pool_sock, &msg, MSG_CMSG_CLOEXEC);
        if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
        if (n != (ssize_t)sizeof answer || (msg.msg_flags & MSG_CTRUNC)) {
            close_fd(&pool_sock); /* the pool process is gone */
            return;
        }
        struct pool_set set;
        int n_fds = 0;
        for (int k = 0; k < POOLED_KINDS; k++) set.fd[k] = -1;
        struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
        if (c && c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
            n_fds = (int)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
            memcpy(set.fd, CMSG_DATA(c), (size_t)n_fds * sizeof(int));
        }
        uint32_t generation;
        memcpy(&generation, answer, 4);
        int expected = pool_profile[0] == 'u' ? POOLED_KINDS : POOLED_USER;
        if (generation != pool_generation) { /* for a profile no longer wanted */
            pool_drop(&set);
            continue;
        }
        pool_asked--;
        if (answer[4] != 'y' || n_fds != expected) {
            pool_drop(&set);
            pool_refused = 1; /* not permitted here: not asked for again */
            continue;
        }
        pool[pooled++] = set;
    }
}

/* ---- mount sources, opened before clone ---- */

#ifndef SYS_open_tree
#define SYS_open_tree 428
#endif
#define K_OPEN_TREE_CLONE 1
#define K_OPEN_TREE_CLOEXEC O_CLOEXEC
#define K_MOUNT_ATTR_IDMAP 0x00100000ULL
#define K_CLONE_INTO_CGROUP 0x200000000ULL
#ifndef SYS_clone3
#define SYS_clone3 435
#endif
#define MAX_KEEP (16 + MAX_MOUNTS * 4)

static int bind_tree[MAX_MOUNTS];
static char *overlay_opts[MAX_MOUNTS];
static int overlay_trees[MAX_KEEP], overlay_first[MAX_MOUNTS], overlay_count[MAX_MOUNTS];
static int source_fds[MAX_KEEP], n_source_fds;
#define KEEP_FIXED 10 /* report, release, status, stdio, pooled namespaces */
static int keep_fds[KEEP_FIXED + MAX_KEEP + MAX_CGROUPS + 1];
static int clone_into_cgroup_works; /* clone3 put a container into its v2 cgroup once: it always does */

static int int_order(const void *a, const void *b) {
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

static int remember_fd(int fd) {
    if (fd >= 0) {
        if (n_source_fds == MAX_KEEP) {
            close(fd);
            errno = EMFILE;
            return -1;
        }
        source_fds[n_source_fds++] = fd;
    }
    return fd;
}

static int append_text(char *out, size_t size, size_t *len, const char *s, size_t n) {
    if (*len + n + 1 > size) {
        errno = ENAMETOOLONG; /* the kernel reads one page of options */
        return -1;
    }
    memcpy(out + *len, s, n);
    *len += n;
    out[*len] = 0;
    return 0;
}

/* A layer of overlay mount i: cloned here into a detached tree (the child attaches it at
   /ovl-I/J in its staging tmpfs, where overlay can use it) and named by that staging path; or,
   where this launcher may not clone trees (unprivileged), named by its host path below
   /oldroot for the child to reach with its own rights. */
static int append_layer(char *out, size_t size, size_t *len, size_t mount, const char *path, size_t n,
                        int *trees, int *n_trees) {
    char host[PATH_MAX], ref[64];
    if (n >= sizeof host) {
        errno = ENAMETOOLONG;
        return -1;
    }
    memcpy(host, path, n);
    host[n] = 0;
    int tree = (int)syscall(SYS_open_tree, AT_FDCWD, host, K_OPEN_TREE_CLONE | K_OPEN_TREE_CLOEXEC);
    if (tree < 0) {
        if (errno != EPERM && errno != ENOSYS) return -1;
        return append_text(out, size, len, "/oldroot", 8) < 0 ? -1 : append_text(out, size, len, host, n);
    }
    if (remember_fd(tree) < 0) return -1;
    int r = snprintf(ref, sizeof ref, "/ovl-%zu/%d", mount, *n_trees);
    trees[(*n_trees)++] = tree;
    return append_text(out, size, len, ref, (size_t)r);
}

/* "lowerdir=L1:L2,upperdir=U,workdir=W,opts" from the plan (source: host lower dirs joined by
   ':'; data: options, upperdir= and workdir= holding host paths in one directory, which is
   cloned once since overlay wants them on one mount). Java has checked no path holds ',', ':'
   or '\\'. */
static int overlay_option_string(size_t mount, const struct mount_op *m, char **result, int *trees, int *n_trees) {
    size_t size = 4096, len = 0;
    char *out = malloc(size);
    const char *upper = NULL, *work = NULL;
    size_t upper_n = 0, work_n = 0;
    if (!out) return -1;
    out[0] = 0;
    if (append_text(out, size, &len, "lowerdir=", 9) < 0) goto failed;
    for (const char *p = m->source; *p;) {
        const char *end = strchr(p, ':');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        if (p != m->source && append_text(out, size, &len, ":", 1) < 0) goto failed;
        if (append_layer(out, size, &len, mount, p, n, trees, n_trees) < 0) goto failed;
        p += n;
        if (*p == ':') p++;
    }
    for (const char *p = m->data; *p;) {
        const char *end = strchr(p, ',');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        if (n > 9 && memcmp(p, "upperdir=", 9) == 0) {
            upper = p + 9, upper_n = n - 9;
        } else if (n > 8 && memcmp(p, "workdir=", 8) == 0) {
            work = p + 8, work_n = n - 8;
        } else if (append_text(out, size, &len, ",", 1) < 0 || append_text(out, size, &len, p, n) < 0) {
            goto failed;
        }
        p += n;
        if (*p == ',') p++;
    }
    if (upper && work) {
        const char *us = memrchr(upper, '/', upper_n), *ws = memrchr(work, '/', work_n);
        size_t parent = us ? (size_t)(us - upper) : 0;
        if (!us || !ws || (size_t)(ws - work) != parent || memcmp(upper, work, parent) != 0) {
            errno = EINVAL; /* Java keeps upper and work side by side */
            goto failed;
        }
        int before = *n_trees;
        if (append_text(out, size, &len, ",upperdir=", 10) < 0) goto failed;
        if (append_layer(out, size, &len, mount, upper, parent, trees, n_trees) < 0) goto failed;
        if (append_text(out, size, &len, us, upper_n - parent) < 0) goto failed;
        if (append_text(out, size, &len, ",workdir=", 9) < 0) goto failed;
        if (*n_trees > before) { /* the same cloned parent */
            char ref[64];
            int r = snprintf(ref, sizeof ref, "/ovl-%zu/%d", mount, *n_trees - 1);
            if (append_text(out, size, &len, ref, (size_t)r) < 0) goto failed;
        } else if (append_text(out, size, &len, "/oldroot", 8) < 0 || append_text(out, size, &len, work, parent) < 0) {
            goto failed;
        }
        if (append_text(out, size, &len, ws, work_n - parent) < 0) goto failed;
    } else if (upper || work) {
        errno = EINVAL;
        goto failed;
    }
    *result = out;
    return 0;
failed: {
        int saved = errno;
        free(out);
        errno = saved;
        return -1;
    }
}

void close_child_sources(const struct plan *pl) {
    for (int i = 0; i < n_source_fds; i++) close(source_fds[i]);
    n_source_fds = 0;
    for (size_t i = 0; i < pl->n_mounts; i++) {
        free(overlay_opts[i]);
        overlay_opts[i] = NULL;
        bind_tree[i] = -1;
    }
}

int open_child_sources(const struct plan *pl, struct child_fds *cf, int *failed_index, int *failed_step) {
    int used_trees = 0;
    for (size_t i = 0; i < pl->n_mounts; i++) {
        overlay_count[i] = 0;
        const struct mount_op *m = &pl->mounts[i];
        bind_tree[i] = -1;
        overlay_opts[i] = NULL;
        *failed_index = (int)i;
        if (m->kind == MOUNT_BIND) {
            *failed_step = STEP_MOUNT_BIND;
            unsigned flags = K_OPEN_TREE_CLONE | K_OPEN_TREE_CLOEXEC | (m->flags & MF_RECURSIVE ? K_AT_RECURSIVE : 0);
            int tree = (int)syscall(SYS_open_tree, AT_FDCWD, m->source, flags);
            if (tree < 0 && errno != EPERM && errno != ENOSYS) return -1; /* ENOENT, ENOTDIR, EACCES: say so now */
            if (remember_fd(tree) < 0 && tree >= 0) return -1;
            bind_tree[i] = tree; /* -1: the child opens it by path, with its own rights */
        } else if (m->kind == MOUNT_OVERLAY) {
            *failed_step = STEP_MOUNT_OVERLAY;
            overlay_first[i] = used_trees;
            if (overlay_option_string(i, m, &overlay_opts[i], overlay_trees + used_trees, &overlay_count[i]) < 0)
                return -1;
            used_trees += overlay_count[i];
        }
    }
    /* The files the child joins its cgroups through (v1 tasks files, a v2 cgroup.procs),
       opened with the launcher's rights, and kept for the next container in the same cgroups:
       the child joins itself once its mounts are set up, so that they are made outside its
       memory cgroup and the launcher spends no time on them. The v2 one only until clone3 has
       put a container straight into its cgroup once. */
    *failed_step = STEP_CGROUP_JOIN;
    for (size_t i = 0; i <= pl->n_cgroups; i++) {
        *failed_index = (int)i;
        const char *procs = i < pl->n_cgroups ? pl->cgroup_join[i] : NULL;
        char v2procs[PATH_MAX];
        cf->cgroup_join[i] = -1;
        if (i == pl->n_cgroups && pl->cgroup_dir && !clone_into_cgroup_works) {
            if (snprintf(v2procs, sizeof v2procs, "%s/cgroup.procs", pl->cgroup_dir) >= (int)sizeof v2procs) {
                errno = ENAMETOOLONG;
                return -1;
            }
            procs = v2procs;
        }
        if (procs == NULL) continue;
        struct cgroup_file *f = kept_cgroup_file(procs, O_WRONLY);
        if (f == NULL) return -1;
        cf->cgroup_join[i] = f->fd;
    }
    int fixed[] = {cf->report, cf->release, cf->status, cf->stdio[0], cf->stdio[1], cf->stdio[2],
                   cf->pooled_ns[0], cf->pooled_ns[1], cf->pooled_ns[2], cf->pooled_ns[3]};
    _Static_assert(sizeof fixed / sizeof fixed[0] == KEEP_FIXED, "keep_fds is sized for these");
    size_t n = 0;
    for (size_t k = 0; k < sizeof fixed / sizeof fixed[0]; k++)
        if (fixed[k] >= 0) keep_fds[n++] = fixed[k];
    for (int k = 0; k < n_source_fds; k++) keep_fds[n++] = source_fds[k];
    for (size_t i = 0; i <= pl->n_cgroups; i++)
        if (cf->cgroup_join[i] >= 0) keep_fds[n++] = cf->cgroup_join[i];
    qsort(keep_fds, n, sizeof keep_fds[0], int_order);
    cf->keep = keep_fds;
    cf->n_keep = n;
    cf->bind_tree = bind_tree;
    cf->overlay_options = overlay_opts;
    cf->overlay_trees = overlay_trees;
    cf->overlay_first = overlay_first;
    cf->overlay_count = overlay_count;
    return 0;
}

/* In a user namespace, the container's root is an unprivileged host ID, to which the layers of
   an image (owned by host IDs as unpacked) would look foreign and the per-run upper directory
   unwritable. So the detached layer clones become idmapped mounts for the container's user
   namespace (5.12; overlay on idmapped layers 5.19): the layers' host root is its root, and its
   writes land with host IDs, as a privileged container's would. Done after the ID maps are
   written and before the child attaches the clones. */
static int idmap_store_mounts(pid_t pid, int user_ns, int *failed_index) {
    char path[64];
    int ns = -1;
    if (!plan.uid_map) return 0;
    for (size_t i = 0; i < plan.n_mounts; i++) {
        int bind = plan.mounts[i].kind == MOUNT_BIND && (plan.mounts[i].flags & MF_IDMAP) && bind_tree[i] >= 0;
        if (overlay_count[i] == 0 && !bind) continue;
        *failed_index = (int)i;
        if (ns < 0) {
            snprintf(path, sizeof path, "/proc/%d/ns/user", pid);
            ns = user_ns >= 0 ? fcntl(user_ns, F_DUPFD_CLOEXEC, 3) /* prepared: not the child's yet */
                              : open(path, O_RDONLY | O_CLOEXEC);
            if (ns < 0) return -1;
        }
        for (int k = 0; k < (bind ? 1 : overlay_count[i]); k++) {
            struct { uint64_t set, clr, propagation, userns_fd; } attr = {K_MOUNT_ATTR_IDMAP, 0, 0, (uint64_t)ns};
            int tree = bind ? bind_tree[i] : overlay_trees[overlay_first[i] + k];
            if (syscall(SYS_mount_setattr, tree, "", AT_EMPTY_PATH, &attr, sizeof attr) < 0) {
                int saved = errno;
                close(ns);
                errno = saved;
                return -1;
            }
        }
    }
    if (ns >= 0) close(ns);
    return 0;
}

/* Clones the container; with a cgroup v2 directory in the plan, straight into that cgroup
   (clone3 CLONE_INTO_CGROUP, 5.7), so that not even its first page fault is accounted
   elsewhere. Where clone3 or the flag is missing, a plain clone, and *into_cgroup stays 0. */
static pid_t clone_container(long flags, int *into_cgroup) {
    if (plan.cgroup_dir) {
        struct cgroup_file *dir = kept_cgroup_file(plan.cgroup_dir, O_PATH | O_DIRECTORY);
        if (dir != NULL) {
            int cg = dir->fd;
            struct {
                uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls, set_tid,
                    set_tid_size, cgroup;
            } args = {(uint64_t)(flags & ~0xffL) | K_CLONE_INTO_CGROUP, 0, 0, 0, SIGCHLD, 0, 0, 0, 0, 0, (uint64_t)cg};
            pid_t pid = (pid_t)syscall(SYS_clone3, &args, sizeof args);
            int saved = errno;
            if (pid == 0) return 0; /* the child: cg is close-on-exec and closed with the rest */
            if (pid > 0) {
                *into_cgroup = 1;
                clone_into_cgroup_works = 1;
                return pid;
            }
            if (saved != ENOSYS && saved != E2BIG && saved != EINVAL && saved != EOPNOTSUPP) {
                errno = saved;
                return -1;
            }
        }
    }
    return (pid_t)syscall(SYS_clone, flags, 0, 0, 0, 0);
}

/* ---- RUN: prepare descriptors, clone, write ID maps, release ---- */

/* The failure the container's first process reported, if it did and its report is there to
   read now; 1 if so. */
static int child_failure(int report_fd, struct report *r) {
    struct pollfd p = {.fd = report_fd, .events = POLLIN};
    if (report_fd < 0 || poll(&p, 1, 0) != 1 || !(p.revents & POLLIN)) return 0;
    ssize_t n;
    do n = read(report_fd, r, sizeof *r); while (n < 0 && errno == EINTR);
    return n == (ssize_t)sizeof *r;
}

static void run_container(uint64_t id, const unsigned char *buf, size_t len) {
    struct child_fds cf = {.report = -1, .release = -1, .status = -1, .stdio = {-1, -1, -1}, .pooled_ns = {-1, -1, -1, -1}};
    for (size_t i = 0; i <= MAX_CGROUPS; i++) cf.cgroup_join[i] = -1;
    int report_r = -1, release_w = -1, status_r = -1;
    int relay_slot[3] = {-1, -1, -1};
    int slot = -1;
    int32_t fstep = STEP_PLAN_DECODE, findex = 0;

    if (plan_decode(buf, len, &plan) < 0) goto failed;
    for (int i = 0; i < MAX_CONTAINERS; i++)
        if (!containers[i].used) {
            slot = i;
            break;
        }
    fstep = STEP_CLONE;
    if (slot < 0) {
        errno = EAGAIN;
        goto failed;
    }

    for (int i = 0; i < 3; i++) {
        const struct stdio_op *s = &plan.stdio[i];
        findex = i;
        uint32_t kind = s->present ? s->kind : STDIO_NULL;
        if (kind == STDIO_INHERIT) {
            fstep = STEP_STDIO_OPEN;
            if ((cf.stdio[i] = fcntl(i, F_DUPFD_CLOEXEC, 3)) < 0) goto failed;
        } else if (kind == STDIO_NULL) {
            fstep = STEP_STDIO_OPEN;
            if ((cf.stdio[i] = open("/dev/null", O_RDWR | O_CLOEXEC)) < 0) goto failed;
        } else if (kind == STDIO_FILE) {
            fstep = STEP_STDIO_OPEN;
            cf.stdio[i] = open(s->path, (int)s->open_flags | O_CLOEXEC | O_NOCTTY, s->mode);
            if (cf.stdio[i] < 0) goto failed;
            if (cf.stdio[i] < 3) { /* keep sources >= 3: see exec_command */
                int fd = fcntl(cf.stdio[i], F_DUPFD_CLOEXEC, 3);
                close(cf.stdio[i]);
                if ((cf.stdio[i] = fd) < 0) goto failed;
            }
        } else {
            int p[2], r;
            fstep = STEP_STDIO_PIPE;
            if ((r = free_relay()) < 0) {
                errno = EAGAIN;
                goto failed;
            }
            if (pipe2(p, O_CLOEXEC) < 0) goto failed;
            /* the pipe is host root's, 0600: a container whose root is an unprivileged host ID
               could not reopen it as /dev/stdout; only who may ptrace the container reaches
               its /proc/PID/fd, so 0666 opens nothing to anyone else */
            if (fchmod(p[0], 0666) < 0) {
                close(p[0]);
                close(p[1]);
                goto failed;
            }
            relays[r] = (struct relay){1, i == 0 ? p[1] : p[0], -1, i != 0};
            relay_slot[i] = r;
            cf.stdio[i] = i == 0 ? p[0] : p[1];
            fstep = STEP_STDIO_CONNECT;
            if ((relays[r].sock_fd = connect_stream(id, (uint32_t)i)) < 0) goto failed;
        }
    }

    findex = 0;
    fstep = STEP_REPORT_PIPE;
    int p1[2], p2[2], p3[2];
    if (pipe2(p1, O_CLOEXEC) < 0) goto failed;
    report_r = p1[0], cf.report = p1[1];
    if (pipe2(p2, O_CLOEXEC) < 0) goto failed;
    cf.release = p2[0], release_w = p2[1];
    if (pipe2(p3, O_CLOEXEC) < 0) goto failed;
    status_r = p3[0], cf.status = p3[1];

    struct container *c = &containers[slot];
    memset(c, 0, sizeof *c);
    clock_gettime(CLOCK_MONOTONIC, &c->t0);
    fstep = STEP_CLONE;
    /* A cgroup namespace is entered by the child after it has been moved into its cgroup. */
    /* ...and a time namespace by unshare in the child: CLONE_NEWTIME (0x80) is an exit signal bit here */
    const long clone_flags = (long)(plan.clone_flags & ~((uint32_t)CLONE_NEWCGROUP | 0x80u)) | SIGCHLD;
    long flags = clone_flags;
    static char profile[PROFILE_MAX];
    size_t profile_len = pool_profile_of(&plan, profile, sizeof profile);
    struct pool_set now = {{-1, -1, -1, -1}}, *set = NULL;
    if (profile_len && (profile_len != pool_profile_len || memcmp(profile, pool_profile, profile_len) != 0))
        pool_switch(profile, profile_len);
    if (profile_len && pooled > 0) {
        set = &pool[--pooled];
        pool_ask();
    } else if (profile_len && profile[0] == 'u' && !pool_refused
               && pool_make_user_set(profile, profile_len, now.fd) == 0) {
        /* none ready: one made now, the same way, so that every container of a privileged
           launcher has its PID namespace owned alike (a network namespace on the path) */
        set = &now;
    }
    if (set) {
        for (int k = 0; k < POOLED_KINDS; k++) cf.pooled_ns[k] = set->fd[k];
        flags &= ~(long)(CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS);
        if (cf.pooled_ns[POOLED_USER] >= 0) /* the child makes its mount namespace in this one */
            flags &= ~(long)(CLONE_NEWUSER | CLONE_NEWNS);
    }
    int src_index, src_step;
    if (open_child_sources(&plan, &cf, &src_index, &src_step) < 0) {
        fstep = src_step, findex = src_index;
        goto failed;
    }
    int into_cgroup = 0;
    pid_t pid = clone_container(flags, &into_cgroup);
    if (pid < 0 && errno == EPERM && cf.pooled_ns[POOLED_USER] >= 0) {
        /* a PID namespace outside a new user namespace needs a privileged launcher: never mind
           the prepared ones (closed by the failure path, or now) */
        for (int k = 0; k < POOLED_KINDS; k++) close_fd(&cf.pooled_ns[k]);
        pool_refused = 1;
        flags = clone_flags;
        close_child_sources(&plan);
        if (open_child_sources(&plan, &cf, &src_index, &src_step) < 0) {
            fstep = src_step, findex = src_index;
            goto failed;
        }
        pid = clone_container(flags, &into_cgroup);
    }
    if (pid == 0) container_main(&plan, &cf);
    if (pid < 0) goto failed;

    c->used = 1;
    c->id = id;
    c->pid = pid;
    keep_counter_files(c);
    c->mount_ns = -1;
    c->own_mount_ns = (plan.clone_flags & CLONE_NEWNS) != 0;
    c->report_fd = report_r;
    c->status_fd = status_r;
    report_r = status_r = -1;
    close_fd(&cf.report);
    close_fd(&cf.release);
    close_fd(&cf.status);
    for (int i = 0; i < 3; i++) close_fd(&cf.stdio[i]);
    for (int k = 0; k < POOLED_KINDS; k++)
        if (k != POOLED_USER) close_fd(&cf.pooled_ns[k]);

    /* a prepared user namespace has its maps */
    if (cf.pooled_ns[POOLED_USER] < 0
        && write_id_maps(pid, plan.uid_map, plan.uid_map_tool, plan.gid_map, plan.gid_map_tool, (int)plan.deny_setgroups,
                         &fstep, &findex) < 0)
        goto kill_child;
    findex = 0;
    if (idmap_store_mounts(pid, cf.pooled_ns[POOLED_USER], &findex) < 0) {
        fstep = plan.mounts[findex].kind == MOUNT_BIND ? STEP_MOUNT_BIND : STEP_MOUNT_OVERLAY;
        goto kill_child;
    }
    close_fd(&cf.pooled_ns[POOLED_USER]);
    fstep = STEP_RELEASE_CHILD;
    char go = plan.cgroup_dir && !into_cgroup ? RELEASE_JOIN_V2 : RELEASE_GO;
    if (write(release_w, &go, 1) != 1) goto kill_child;
    close_fd(&release_w);
    close_child_sources(&plan);

    set_nonblocking(c->report_fd);
    set_nonblocking(c->status_fd);
    watch(c->report_fd, EPOLLIN, KEY(K_REPORT, slot));
    watch(c->status_fd, EPOLLIN, KEY(K_STATUS, slot));
    for (int i = 0; i < 3; i++) {
        int r = relay_slot[i];
        if (r < 0) continue;
        set_nonblocking(relays[r].pipe_fd);
        set_nonblocking(relays[r].sock_fd);
        watch(relays[r].pipe_fd, relays[r].outbound ? EPOLLIN : 0, KEY(K_RELAY_PIPE, r));
        watch(relays[r].sock_fd, relays[r].outbound ? 0 : EPOLLIN, KEY(K_RELAY_SOCK, r));
    }
    return;

kill_child: {
        int saved = errno;
        struct report own;
        close_child_sources(&plan);
        close_fd(&cf.pooled_ns[POOLED_USER]);
        /* a child that failed on its own (a broken release pipe says it is gone) reported why
           before it exited: that is the failure, not the pipe */
        if (child_failure(c->report_fd, &own)) fstep = own.step, saved = own.err, findex = own.index;
        kill(c->pid, SIGKILL);
        c->failed = 1; /* reaped by the SIGCHLD handler, silently */
        close_fd(&c->report_fd);
        close_fd(&c->status_fd);
        close_fd(&release_w);
        for (int i = 0; i < 3; i++)
            if (relay_slot[i] >= 0) relay_close(relay_slot[i]);
        send_failed(id, fstep, saved, findex);
        return;
    }
failed: {
        int saved = errno;
        close_child_sources(&plan);
        close_fd(&cf.report);
        close_fd(&cf.release);
        close_fd(&cf.status);
        for (int k = 0; k < POOLED_KINDS; k++) close_fd(&cf.pooled_ns[k]);
        close_fd(&report_r);
        close_fd(&release_w);
        close_fd(&status_r);
        for (int i = 0; i < 3; i++) {
            close_fd(&cf.stdio[i]);
            if (relay_slot[i] >= 0) relay_close(relay_slot[i]);
        }
        send_failed(id, fstep, saved, findex);
    }
}

/* ---- container events ---- */

static void read_report(struct container *c) {
    struct report r;
    ssize_t n;
    do n = read(c->report_fd, &r, sizeof r); while (n < 0 && errno == EINTR);
    if (n < 0 && errno == EAGAIN) return;
    close_fd(&c->report_fd);
    if (n == 0) { /* closed on exec: the command runs */
        if (!c->failed) send_started(c);
        if (c->own_mount_ns && c->mount_ns < 0) {
            char path[64];
            snprintf(path, sizeof path, "/proc/%d/ns/mnt", c->pid);
            c->mount_ns = open(path, O_RDONLY | O_CLOEXEC); /* -1 (already gone): nothing to spare */
        }
        return;
    }
    if (n != (ssize_t)sizeof r) r = (struct report){STEP_EXEC, EPROTO, -1};
    if (!c->failed) {
        c->failed = 1;
        send_failed(c->id, r.step, r.err, r.index);
    }
    kill(c->pid, SIGKILL);
}

static void read_status(struct container *c) {
    int32_t st;
    ssize_t n;
    do n = read(c->status_fd, &st, sizeof st); while (n < 0 && errno == EINTR);
    if (n < 0 && errno == EAGAIN) return;
    if (n == (ssize_t)sizeof st) {
        c->have_command_status = 1;
        c->command_status = st;
    }
    close_fd(&c->status_fd);
}

static void reap(void) {
    int status;
    struct rusage ru;
    pid_t pid;
    while ((pid = wait4(-1, &status, WNOHANG, &ru)) > 0) {
        for (int i = 0; i < MAX_CONTAINERS; i++) {
            struct container *c = &containers[i];
            if (!c->used || c->pid != pid) continue;
            /* every writer is dead now (a PID namespace dies with its init): drain */
            if (c->report_fd >= 0) read_report(c);
            if (c->status_fd >= 0) read_status(c);
            if (!c->failed) {
                if (!c->started_sent) send_started(c);
                send_exited(c, c->have_command_status ? c->command_status : status, &ru);
            }
            close_fd(&c->report_fd);
            close_fd(&c->status_fd);
            close_fd(&c->mount_ns); /* its mounts go now, after the result */
            free(c->counter_paths);
            c->counter_paths = NULL;
            c->used = 0;
            break;
        }
    }
}

static void signal_container(uint64_t id, int sig) {
    for (int i = 0; i < MAX_CONTAINERS; i++)
        if (containers[i].used && containers[i].id == id) {
            kill(containers[i].pid, sig);
            return;
        }
}

/* ---- the control connection ---- */

static unsigned char *inbuf;
static size_t in_len, in_cap;

static void handle_message(uint32_t type, const unsigned char *p, uint32_t len) {
    uint64_t id;
    if (len < 8) die("short message from the JVM");
    memcpy(&id, p, 8);
    if (type == MSG_RUN) {
        run_container(id, p + 8, len - 8);
    } else if (type == MSG_SIGNAL && len == 12) {
        int32_t sig;
        memcpy(&sig, p + 8, 4);
        signal_container(id, sig);
    } else {
        errno = EPROTO;
        die("unknown message from the JVM");
    }
}

/* returns 0 when the JVM closed the connection */
static int read_control(void) {
    for (;;) {
        if (in_cap - in_len < 65536) {
            size_t cap = in_cap ? in_cap * 2 : 1 << 20;
            unsigned char *b = realloc(inbuf, cap);
            if (!b) die("realloc");
            inbuf = b, in_cap = cap;
        }
        ssize_t n = read(control_fd, inbuf + in_len, in_cap - in_len);
        if (n == 0) return 0;
        if (n < 0) {
            if (errno == EINTR) continue;
            if (errno == EAGAIN) break;
            if (errno == ECONNRESET) return 0;
            die("read control");
        }
        in_len += (size_t)n;
    }
    size_t at = 0;
    while (in_len - at >= 8) {
        uint32_t mlen, type;
        memcpy(&mlen, inbuf + at, 4);
        memcpy(&type, inbuf + at + 4, 4);
        if (mlen < 4 || mlen > MAX_MESSAGE) {
            errno = EPROTO;
            die("bad message length from the JVM");
        }
        if (in_len - at < 4 + (size_t)mlen) break;
        handle_message(type, inbuf + at + 8, mlen - 4);
        at += 4 + mlen;
    }
    memmove(inbuf, inbuf + at, in_len - at);
    in_len -= at;
    return 1;
}

static int hexval(char ch) {
    if (ch >= '0' && ch <= '9') return ch - '0';
    if (ch >= 'a' && ch <= 'f') return ch - 'a' + 10;
    return -1;
}

static int describe_plan(void) {
    size_t cap = 1 << 20, len = 0;
    unsigned char *buf = malloc(cap);
    for (;;) {
        if (!buf) return 2;
        ssize_t n = read(0, buf + len, cap - len);
        if (n < 0) return 2;
        if (n == 0) break;
        len += (size_t)n;
        if (len == cap) buf = realloc(buf, cap *= 2);
    }
    if (plan_decode(buf, len, &plan) < 0) {
        printf("error %s\n", strerror(errno));
        return 1;
    }
    plan_describe(&plan, 1);
    return 0;
}

int main(int argc, char **argv) {
    if (argc == 2 && strcmp(argv[1], "--describe-plan") == 0) return describe_plan();
    if (argc == 2 && strcmp(argv[1], "--version") == 0) {
        printf("corral-launcher protocol %d\n", PROTOCOL_VERSION);
        return 0;
    }
    const char *hex = getenv("CORRAL_LAUNCHER_TOKEN");
    if (argc != 2 || hex == NULL || strlen(hex) != 2 * TOKEN_BYTES) {
        fprintf(stderr, "usage: CORRAL_LAUNCHER_TOKEN=HEX corral-launcher SOCKET\n"
                        "  (started by Corral's Java driver; not meant to be run by hand)\n");
        return 2;
    }
    for (int i = 0; i < TOKEN_BYTES; i++) {
        int hi = hexval(hex[2 * i]), lo = hexval(hex[2 * i + 1]);
        if (hi < 0 || lo < 0) {
            fprintf(stderr, "corral-launcher: bad token\n");
            return 2;
        }
        token[i] = (unsigned char)(hi << 4 | lo);
    }
    memset((char *)hex, 'x', 2 * TOKEN_BYTES); /* gone from /proc/PID/environ */
    prctl(PR_SET_NAME, "corral-launcher", 0, 0, 0); /* run from a memfd, its name would be a number */
    if (unsetenv("CORRAL_LAUNCHER_TOKEN") < 0) die("unsetenv");

    /* Hold the socket by an O_PATH fd, so the JVM may delete its path at once: nothing is
       left in the file system even if both processes are killed. */
    listen_path_fd = open(argv[1], O_PATH | O_CLOEXEC);
    if (listen_path_fd < 0) die("open socket path");
    snprintf(listen_path, sizeof listen_path, "/proc/self/fd/%d", listen_path_fd);
    control_fd = connect_stream(0, 0xffffffffu);
    if (control_fd < 0) die("connect to the JVM");

    sigset_t chld;
    sigemptyset(&chld);
    sigaddset(&chld, SIGCHLD);
    if (sigprocmask(SIG_BLOCK, &chld, NULL) < 0) die("sigprocmask");
    int sfd = signalfd(-1, &chld, SFD_NONBLOCK | SFD_CLOEXEC);
    if (sfd < 0) die("signalfd");
    sigemptyset(&launcher_ignored_signals);
    for (int sig = 1; sig < _NSIG; sig++) {
        struct sigaction old;
        if (sigaction(sig, NULL, &old) == 0 && old.sa_handler == SIG_IGN) sigaddset(&launcher_ignored_signals, sig);
    }
    if (signal(SIGPIPE, SIG_IGN) == SIG_ERR) die("signal SIGPIPE");
    sigaddset(&launcher_ignored_signals, SIGPIPE);
    while (launcher_last_cap < 63 && prctl(PR_CAPBSET_READ, launcher_last_cap + 1, 0, 0, 0) >= 0) launcher_last_cap++;

    epfd = epoll_create1(EPOLL_CLOEXEC);
    if (epfd < 0) die("epoll_create1");
    set_nonblocking(control_fd);
    watch(control_fd, EPOLLIN, KEY(K_CONTROL, 0));
    watch(sfd, EPOLLIN, KEY(K_SIGNALS, 0));

    unsigned char hello[8];
    int32_t self = getpid();
    put_u32(hello, PROTOCOL_VERSION);
    memcpy(hello + 4, &self, 4);
    send_message(MSG_HELLO, hello, sizeof hello);

    pool_start();
    struct epoll_event events[64];
    for (;;) {
        int n = epoll_wait(epfd, events, 64, -1);
        if (n < 0) {
            if (errno == EINTR) continue;
            die("epoll_wait");
        }
        for (int e = 0; e < n; e++) {
            uint32_t kind = (uint32_t)(events[e].data.u64 >> 32);
            uint32_t slot = (uint32_t)events[e].data.u64;
            switch (kind) {
            case K_CONTROL:
                if (!read_control()) { /* the JVM is gone: take every container with it */
                    close_fd(&pool_sock); /* and the pool process, which then reads EOF */
                    for (int i = 0; i < MAX_CONTAINERS; i++)
                        if (containers[i].used) kill(containers[i].pid, SIGKILL);
                    while (wait(NULL) > 0 || errno == EINTR) {}
                    return 0;
                }
                break;
            case K_SIGNALS: {
                struct signalfd_siginfo si;
                while (read(sfd, &si, sizeof si) == (ssize_t)sizeof si) {}
                reap();
                break;
            }
            case K_REPORT:
                if (containers[slot].used && containers[slot].report_fd >= 0) read_report(&containers[slot]);
                break;
            case K_STATUS:
                if (containers[slot].used && containers[slot].status_fd >= 0) read_status(&containers[slot]);
                break;
            case K_POOL:
                if (pool_sock >= 0) pool_receive();
                break;
            case K_RELAY_PIPE:
            case K_RELAY_SOCK:
                if (relays[slot].used) relay_pump((int)slot);
                break;
            }
        }
    }
}
