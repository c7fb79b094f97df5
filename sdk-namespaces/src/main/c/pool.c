/*
 * Namespace sets made ahead (MSG_MAKE_NAMESPACES): creating a network namespace is the costliest
 * part of a container (about 0.5 ms), and joining a prepared one is cheap. A small pool process
 * makes them in parallel with everything else; the launcher passes each set's descriptors on to
 * the JVM, which keeps them and hands each set to one container as SETNS operations. Which sets,
 * how many and when are the JVM's decisions (NamespacePool). A set's profile is "n": network (lo
 * up), IPC and UTS namespaces; or "u" + ID maps: a user namespace with those maps written, owning
 * new network (lo up), IPC and UTS namespaces. (A PID namespace cannot be prepared: one without a
 * process cannot be named.)
 */
#include "launcher.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#define PROFILE_MAX 12288

/* what the pool process answers for a request; the set's descriptors come with it */
struct pool_answer {
    uint64_t request;
    int32_t ok;
    struct report why; /* when not ok */
};

static struct {
    int sock; /* to the pool process, once started */
} pool = {.sock = -1};

static int failed(struct report *why, int32_t step, int32_t index) {
    *why = (struct report){step, errno, index};
    return -1;
}

/* A helper child in new namespaces (flags), with lo up, which waits while this process writes
   its maps and opens its namespaces; its PID, or -1 with why. */
static pid_t spawn_helper(long flags, int to_helper[2], int from_helper[2], struct report *why) {
    if (pipe2(to_helper, O_CLOEXEC) < 0) return failed(why, STEP_POOL_PIPE, 0);
    if (pipe2(from_helper, O_CLOEXEC) < 0) {
        failed(why, STEP_POOL_PIPE, 1);
        close(to_helper[0]);
        close(to_helper[1]);
        return -1;
    }
    pid_t parent = getpid();
    pid_t h = (pid_t)syscall(SYS_clone, flags | SIGCHLD, 0, 0, 0, 0);
    if (h == 0) { /* full capabilities in a new user namespace, even before its maps */
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

/* A set of profile (see above) into fds, in namespace_kind order; how many, or -1 with why. */
int make_set(const char *profile, size_t len, int fds[NAMESPACE_KINDS], struct report *why) {
    static const char *const names[NAMESPACE_KINDS] = {"net", "ipc", "uts", "user"};
    const char *field[2] = {NULL, NULL}, *p = profile + 2, *end = profile + len;
    int user = len > 0 && profile[0] == 'u', n = user ? NAMESPACE_KINDS : NAMESPACE_USER;
    for (int k = 0; k < NAMESPACE_KINDS; k++) fds[k] = -1;
    errno = EINVAL;
    if (len == 0 || (profile[0] != 'n' && !user)) return failed(why, STEP_POOL_PROFILE, 0);
    for (int k = 0; k < 2 && user; k++) { /* "u" deny, then uid map, gid map: NUL-ended */
        const char *nul = p < end ? memchr(p, 0, (size_t)(end - p)) : NULL;
        if (nul == NULL) return failed(why, STEP_POOL_PROFILE, k + 1);
        field[k] = p;
        p = nul + 1;
    }
    int to_helper[2], from_helper[2]; /* to_helper: EOF when the helper may exit; from_helper: its loopback's errno */
    pid_t h = spawn_helper(CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS | (user ? CLONE_NEWUSER : 0), to_helper, from_helper, why);
    if (h < 0) return -1;
    int ok = !user || write_id_maps(h, field[0], NULL, field[1], NULL, profile[1] == '1', &why->step, &why->index) == 0;
    if (!ok) why->err = errno;
    int32_t err = EPIPE;
    ssize_t got = 0;
    if (ok) do got = read(from_helper[0], &err, sizeof err); while (got < 0 && errno == EINTR);
    if (ok && (got != (ssize_t)sizeof err || err != 0)) {
        errno = got == (ssize_t)sizeof err ? err : EPIPE;
        ok = failed(why, STEP_POOL_LOOPBACK, 0) == 0;
    }
    for (int k = 0; k < n && ok; k++) {
        char path[64];
        snprintf(path, sizeof path, "/proc/%d/ns/%s", h, names[k]);
        if ((fds[k] = open(path, O_RDONLY | O_CLOEXEC)) < 0) ok = failed(why, STEP_POOL_NS_OPEN, k) == 0;
    }
    close(to_helper[1]); /* the helper exits */
    close(from_helper[0]);
    while (waitpid(h, NULL, 0) < 0 && errno == EINTR) {}
    if (!ok)
        for (int k = 0; k < NAMESPACE_KINDS; k++) close_fd(&fds[k]);
    return ok ? n : -1;
}

/* The pool process: for each request (u64 request, profile), one set, sent back as a
   pool_answer with its fds, or saying why not. */
__attribute__((noreturn)) static void pool_serve(int sock) {
    static unsigned char req[8 + PROFILE_MAX];
    if (sock > 3 && syscall(SYS_close_range, 3U, (unsigned)sock - 1, 0) < 0 && errno != ENOSYS) _exit(1);
    if (syscall(SYS_close_range, (unsigned)sock + 1, ~0U, 0) < 0 && errno != ENOSYS) _exit(1);
    prctl(PR_SET_NAME, "corral-nspool", 0, 0, 0);
    for (;;) {
        ssize_t len = recv(sock, req, sizeof req, 0);
        if (len < 0 && errno == EINTR) continue;
        if (len < 8) _exit(0); /* the launcher is gone */
        int fds[NAMESPACE_KINDS];
        struct pool_answer answer = {0, 0, {0, 0, 0}};
        memcpy(&answer.request, req, 8);
        int n = make_set((const char *)req + 8, (size_t)len - 8, fds, &answer.why);
        answer.ok = n > 0;
        if (send_with_fds(sock, &answer, sizeof answer, fds, n > 0 ? n : 0) < 0) _exit(0);
        for (int k = 0; k < n; k++) close(fds[k]);
    }
}

/* The pool process, started on the first request. 0, or -1 with errno. */
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

/* Tells the JVM about a set: its descriptors on the descriptor connection, then
   NAMESPACES_MADE; or NAMESPACES_FAILED. */
static void answer_jvm(const struct pool_answer *answer, const int *fds, int n) {
    unsigned char m[20];
    put_u64(m, answer->request);
    if (answer->ok && send_with_fds(jvm_descriptor_socket(), "n", 1, fds, n) == 1) {
        put_u32(m + 8, (uint32_t)n);
        send_message(MSG_NAMESPACES_MADE, m, 12);
        return;
    }
    struct report why = answer->ok ? (struct report){STEP_POOL_START, errno, n} : answer->why;
    memcpy(m + 8, &why, sizeof why);
    send_message(MSG_NAMESPACES_FAILED, m, sizeof m);
}

/* MSG_MAKE_NAMESPACES: a set of profile, made now (in the launcher) or by the pool process. */
void pool_request(uint64_t request, uint32_t now, const unsigned char *profile, size_t len) {
    static unsigned char msg[8 + PROFILE_MAX];
    struct pool_answer answer = {request, 0, {STEP_POOL_START, 0, 0}};
    int fds[NAMESPACE_KINDS], n = 0;
    if (now) {
        n = make_set((const char *)profile, len, fds, &answer.why);
        answer.ok = n > 0;
    } else if (len > PROFILE_MAX || (pool.sock < 0 && pool_start() < 0)) {
        answer.why.err = len > PROFILE_MAX ? E2BIG : errno;
    } else {
        put_u64(msg, request);
        memcpy(msg + 8, profile, len);
        if (send(pool.sock, msg, 8 + len, MSG_NOSIGNAL) == (ssize_t)(8 + len)) return; /* answered by pool_event */
        answer.why.err = errno;
    }
    answer_jvm(&answer, fds, n);
    for (int k = 0; k < n; k++) close(fds[k]);
}

/* The pool process answered. */
void pool_event(void) {
    while (pool.sock >= 0) {
        struct pool_answer answer;
        int fds[NAMESPACE_KINDS], n = 0;
        union { struct cmsghdr h; char buf[CMSG_SPACE(sizeof fds)]; } u;
        struct iovec iov = {&answer, sizeof answer};
        struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof u.buf};
        ssize_t got = recvmsg(pool.sock, &msg, MSG_CMSG_CLOEXEC);
        if (got < 0 && (errno == EAGAIN || errno == EINTR)) return;
        if (got != (ssize_t)sizeof answer || (msg.msg_flags & MSG_CTRUNC)) {
            close_fd(&pool.sock); /* the pool process is gone; a new one for the next request */
            return;
        }
        struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
        if (c && c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
            n = (int)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
            memcpy(fds, CMSG_DATA(c), (size_t)n * sizeof(int));
        }
        answer_jvm(&answer, fds, n);
        for (int k = 0; k < n; k++) close(fds[k]);
    }
}

/* The pool process goes (it reads EOF). */
void pool_stop(void) {
    close_fd(&pool.sock);
}
