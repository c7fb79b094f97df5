/*
 * The namespace pool.
 */
#include "launcher.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

/* A few fresh namespaces, prepared ahead: creating a network namespace is the costliest part
   of a container (about 0.5 ms), and joining a prepared one is cheap. A small pool process
   makes them in parallel with everything else and passes their fds here (SCM_RIGHTS); each set
   is used by one container only, never reused. What a set holds is its profile, which the JVM
   chooses (MSG_POOL): "n", network + IPC + UTS; or "u" + the ID maps, a user namespace with
   those maps written, owning a network, IPC and UTS namespace. (A PID namespace cannot be
   prepared: one without a process cannot be named. The clone creates it, so it belongs to the
   launcher's user namespace, which the launcher must be privileged in.) A new profile drops
   the sets of the old one. A set that cannot be made or used is reported to the JVM
   (MSG_POOL_FAILED), and none is asked for again until the JVM sends a profile again. */
#define POOL_MAX 4
#define PROFILE_MAX 12288
struct pool_set {
    int fd[POOLED_KINDS];
};
/* what the pool process answers for a request */
struct pool_answer {
    uint32_t generation;
    int32_t ok;
    struct report why; /* when not ok */
};
static struct {
    struct pool_set ready[POOL_MAX];
    int sock, target, pooled, asked, refused, start_errno;
    uint32_t generation; /* of profile; answers for an older one are dropped */
    char profile[PROFILE_MAX];
    size_t profile_len;
} pool = {.sock = -1};

static int failed(struct report *why, int32_t step, int32_t index) {
    *why = (struct report){step, errno, index};
    return -1;
}

/* In the pool process (or in the launcher, for a set wanted now): a user namespace with the
   profile's ID maps, owning fresh network (lo up), IPC and UTS namespaces. A helper child
   creates them and waits while this process writes its maps and opens its namespaces. */
static int spawn_helper(int to_helper[2], int from_helper[2], struct report *why) {
    if (pipe2(to_helper, O_CLOEXEC) < 0) return failed(why, STEP_POOL_PIPE, 0);
    if (pipe2(from_helper, O_CLOEXEC) < 0) {
        failed(why, STEP_POOL_PIPE, 1);
        close(to_helper[0]);
        close(to_helper[1]);
        return -1;
    }
    pid_t parent = getpid();
    pid_t h = (pid_t)syscall(SYS_clone, CLONE_NEWUSER | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS | SIGCHLD, 0, 0, 0, 0);
    if (h == 0) { /* full capabilities in the new user namespace, even before its maps */
        int at;
        char ignored;
        /* gone at once with its parent (which goes with the launcher) */
        if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0 || getppid() != parent) _exit(1);
        int32_t err = loopback_up(&at) == 0 ? 0 : errno;
        close(to_helper[1]);
        close(from_helper[0]);
        if (write(from_helper[1], &err, sizeof err) != (ssize_t)sizeof err) _exit(1);
        while (read(to_helper[0], &ignored, 1) < 0 && errno == EINTR) {}
        _exit(0); /* the namespaces live on, held by the fds opened meanwhile */
    }
    if (h < 0) failed(why, STEP_POOL_CLONE, 0);
    close(to_helper[0]);
    close(from_helper[1]);
    return h;
}

/* fds[] gets the set in pooled_kind order. 0, or -1 with why. */
int make_user_set(const char *profile, size_t len, int fds[POOLED_KINDS], struct report *why) {
    static const char *const names[POOLED_KINDS] = {"net", "ipc", "uts", "user"};
    const char *field[4], *p = profile + 2, *end = profile + len;
    for (int k = 0; k < POOLED_KINDS; k++) fds[k] = -1;
    for (int k = 0; k < 4; k++) { /* "u" deny, then uid tool, uid map, gid tool, gid map: NUL-ended */
        const char *nul = memchr(p, 0, (size_t)(end - p));
        errno = EINVAL;
        if (nul == NULL) return failed(why, STEP_POOL_PROFILE, k);
        field[k] = p;
        p = nul + 1;
    }
    int to_helper[2], from_helper[2]; /* to_helper: EOF when the helper may exit; from_helper: its loopback's errno */
    pid_t h = spawn_helper(to_helper, from_helper, why);
    if (h < 0) return -1;
    int ok = write_id_maps(h, field[1], *field[0] ? field[0] : NULL, field[3], *field[2] ? field[2] : NULL,
                           profile[1] == '1', &why->step, &why->index) == 0;
    if (!ok) why->err = errno;
    int32_t err = EPIPE;
    ssize_t n = 0;
    if (ok) do n = read(from_helper[0], &err, sizeof err); while (n < 0 && errno == EINTR);
    if (ok && (n != (ssize_t)sizeof err || err != 0)) {
        errno = n == (ssize_t)sizeof err ? err : EPIPE;
        ok = failed(why, STEP_POOL_LOOPBACK, 0) == 0;
    }
    for (int k = 0; k < POOLED_KINDS && ok; k++) {
        char path[64];
        snprintf(path, sizeof path, "/proc/%d/ns/%s", h, names[k]);
        if ((fds[k] = open(path, O_RDONLY | O_CLOEXEC)) < 0) ok = failed(why, STEP_POOL_NS_OPEN, k) == 0;
    }
    close(to_helper[1]); /* the helper exits */
    close(from_helper[0]);
    while (waitpid(h, NULL, 0) < 0 && errno == EINTR) {}
    if (!ok)
        for (int k = 0; k < POOLED_KINDS; k++) close_fd(&fds[k]);
    return ok ? 0 : -1;
}

/* In the pool process: network (lo up), IPC and UTS namespaces of the launcher's own user
   namespace, made by leaving the previous set. 0, or -1 with why. */
static int make_plain_set(int fds[POOLED_KINDS], struct report *why) {
    static const char *const paths[POOLED_USER] = {"/proc/self/ns/net", "/proc/self/ns/ipc", "/proc/self/ns/uts"};
    int at, ok = unshare(CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS) == 0 || failed(why, STEP_POOL_UNSHARE, 0) == 0;
    for (int k = 0; k < POOLED_KINDS; k++) {
        fds[k] = -1;
        if (ok && k < POOLED_USER && (fds[k] = open(paths[k], O_RDONLY | O_CLOEXEC)) < 0)
            ok = failed(why, STEP_POOL_NS_OPEN, k) == 0;
    }
    if (ok && loopback_up(&at) < 0) ok = failed(why, STEP_POOL_LOOPBACK, at) == 0;
    if (!ok)
        for (int k = 0; k < POOLED_USER; k++) close_fd(&fds[k]);
    return ok ? 0 : -1;
}

/* The pool process: for each request (u32 generation, profile), one set of that profile, sent
   back as a pool_answer with its fds, or saying why not. */
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
        struct pool_answer answer = {0, 0, {0, 0, 0}};
        memcpy(&answer.generation, req, 4);
        answer.ok = (req[4] == 'u' ? make_user_set((const char *)req + 4, (size_t)len - 4, fds, &answer.why)
                                   : make_plain_set(fds, &answer.why)) == 0;
        union { struct cmsghdr h; char buf[CMSG_SPACE(sizeof fds)]; } u;
        struct iovec iov = {&answer, sizeof answer};
        struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};
        if (answer.ok) {
            msg.msg_control = u.buf;
            msg.msg_controllen = CMSG_SPACE(n_fds * sizeof(int));
            struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
            c->cmsg_level = SOL_SOCKET;
            c->cmsg_type = SCM_RIGHTS;
            c->cmsg_len = CMSG_LEN(n_fds * sizeof(int));
            memcpy(CMSG_DATA(c), fds, n_fds * sizeof(int));
        }
        if (sendmsg(sock, &msg, MSG_NOSIGNAL) < 0) _exit(0);
        if (answer.ok)
            for (int k = 0; k < n_fds; k++) close(fds[k]);
    }
}

/* Tells the JVM why a set of the profile could not be made or used; none is asked for again
   until the JVM sends a profile again. */
static void pool_failed(const struct report *why) {
    unsigned char m[20];
    if (pool.refused) return; /* said once */
    pool.refused = 1;
    put_u64(m, 0);
    memcpy(m + 8, why, sizeof *why);
    send_message(MSG_POOL_FAILED, m, sizeof m);
}

static void pool_ask(void) {
    static unsigned char msg[4 + PROFILE_MAX];
    if (pool.profile_len == 0 || pool.refused) return;
    put_u32(msg, pool.generation);
    memcpy(msg + 4, pool.profile, pool.profile_len);
    while (pool.sock >= 0 && pool.pooled + pool.asked < pool.target) {
        if (send(pool.sock, msg, 4 + pool.profile_len, MSG_NOSIGNAL) < 0) {
            if (errno != EAGAIN && errno != EINTR) close_fd(&pool.sock);
            return;
        }
        pool.asked++;
    }
}

static void pool_drop(struct pool_set *set) {
    for (int k = 0; k < POOLED_KINDS; k++) close_fd(&set->fd[k]);
}

/* The pool process, started on the first profile: it makes sets of whatever profile it is
   asked for. 0, or -1 with errno. */
static int pool_start(void) {
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) return -1;
    pid_t launcher_pid = getpid();
    pid_t pid = (pid_t)syscall(SYS_clone, SIGCHLD, 0, 0, 0, 0);
    if (pid == 0) {
        if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0 || getppid() != launcher_pid) _exit(1);
        close(sv[0]);
        pool_serve(sv[1]);
    }
    int saved = errno;
    close(sv[1]);
    if (pid < 0) {
        close(sv[0]);
        errno = saved;
        return -1;
    }
    pool.sock = sv[0];
    set_nonblocking(pool.sock);
    watch(pool.sock, EPOLLIN, KEY(K_POOL, 0));
    return 0;
}

/* MSG_POOL: from now on, target sets of this profile (none: len 0 or target 0); those of the
   previous one are closed. */
void pool_configure(uint32_t target, const unsigned char *profile, size_t len) {
    struct report why = {STEP_POOL_PROFILE, EINVAL, 0};
    while (pool.pooled > 0) pool_drop(&pool.ready[--pool.pooled]);
    pool.asked = 0; /* answers still on the way carry the old generation */
    pool.refused = 0;
    pool.generation++;
    pool.target = target > POOL_MAX ? POOL_MAX : (int)target;
    pool.profile_len = 0;
    if (len == 0 || target == 0) return;
    if (len > PROFILE_MAX || (profile[0] != 'n' && profile[0] != 'u')) {
        pool_failed(&why);
        return;
    }
    memcpy(pool.profile, profile, len);
    pool.profile_len = len;
    /* the child of a prepared user namespace mounts /proc by fsopen (5.2) before joining it */
    int probe = profile[0] == 'u' ? (int)syscall(SYS_fsopen, "proc", K_FSOPEN_CLOEXEC) : -2;
    if (probe == -1) {
        why = (struct report){STEP_POOL_DETACHED_PROC, errno, 0};
        pool_failed(&why);
        return;
    }
    if (probe >= 0) close(probe);
    if (pool.sock < 0 && pool_start() < 0) {
        why = (struct report){STEP_POOL_START, errno, 0};
        pool_failed(&why);
        return;
    }
    pool_ask();
}

static void pool_receive(void) {
    for (;;) {
        struct pool_answer answer;
        int fds[POOLED_KINDS];
        union { struct cmsghdr h; char buf[CMSG_SPACE(sizeof fds)]; } u;
        struct iovec iov = {&answer, sizeof answer};
        struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof u.buf};
        ssize_t n = recvmsg(pool.sock, &msg, MSG_CMSG_CLOEXEC);
        if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
        if (n != (ssize_t)sizeof answer || (msg.msg_flags & MSG_CTRUNC)) {
            close_fd(&pool.sock); /* the pool process is gone */
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
        int expected = pool.profile[0] == 'u' ? POOLED_KINDS : POOLED_USER;
        if (answer.generation != pool.generation || pool.profile_len == 0) { /* no longer wanted */
            pool_drop(&set);
            continue;
        }
        pool.asked--;
        if (!answer.ok || n_fds != expected) {
            pool_drop(&set);
            if (answer.ok) answer.why = (struct report){STEP_POOL_NS_OPEN, EPROTO, n_fds};
            pool_failed(&answer.why);
            continue;
        }
        pool.ready[pool.pooled++] = set;
    }
}

/* RUN_POOLED: a set of the pool's profile in fds (pooled_kind order; -1 where none): a ready
   one, or, for a user namespace set when none is ready, one made now the same way, so that
   every container of the profile has its PID namespace owned alike. 1 if fds holds a set, 0
   if there is none to have (no profile, or it failed). */
int pool_take(int fds[POOLED_KINDS]) {
    struct report why;
    for (int k = 0; k < POOLED_KINDS; k++) fds[k] = -1;
    if (pool.profile_len == 0 || pool.refused) return 0;
    if (pool.pooled > 0) {
        memcpy(fds, pool.ready[--pool.pooled].fd, sizeof pool.ready[0].fd);
        pool_ask();
        return 1;
    }
    if (pool.profile[0] != 'u') return 0;
    if (make_user_set(pool.profile, pool.profile_len, fds, &why) == 0) return 1;
    pool_failed(&why);
    return 0;
}

/* A set taken could not be used (the clone said EPERM: a PID namespace outside a new user
   namespace needs a privileged launcher). */
void pool_refuse(int err) {
    struct report why = {STEP_CLONE, err, 0};
    pool_failed(&why);
}

/* The pool process goes (it reads EOF). */
void pool_stop(void) {
    close_fd(&pool.sock);
}

void pool_event(void) {
    if (pool.sock >= 0) pool_receive();
}
