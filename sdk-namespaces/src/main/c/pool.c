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
static struct {
    struct pool_set ready[POOL_TARGET];
    int sock, pooled, asked, refused;
    uint32_t generation; /* of profile; answers for an older one are dropped */
    char profile[PROFILE_MAX];
    size_t profile_len;
} pool = {.sock = -1};

/* In the pool process: a user namespace with the profile's ID maps, owning fresh network (lo
   up), IPC and UTS namespaces. A helper child creates them and waits while this process writes
   its maps and opens its namespaces; fds[] gets them in pooled_kind order. 0, or -1. */
static int make_user_set(const char *profile, size_t len, int fds[POOLED_KINDS]) {
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
static int make_plain_set(int fds[POOLED_KINDS]) {
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
        int ok = (req[4] == 'u' ? make_user_set((const char *)req + 4, (size_t)len - 4, fds)
                                : req[4] == 'n' ? make_plain_set(fds) : -1) == 0;
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
static size_t profile_of(const struct plan *pl, char *out, size_t size) {
    uint32_t f = pl->clone_flags, shared = CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS;
    /* both kinds need a privileged launcher: "u" for the PID namespace the clone makes */
    if ((f & shared) != shared || geteuid() != 0) return 0;
    if (!(f & CLONE_NEWUSER)) {
        out[0] = 'n';
        return 1;
    }
    if (!(f & CLONE_NEWPID) || !host.can_mount_detached || pl->uid_map == NULL || pl->gid_map == NULL) return 0;
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
    if (pool.profile_len == 0 || pool.refused) return;
    put_u32(msg, pool.generation);
    memcpy(msg + 4, pool.profile, pool.profile_len);
    while (pool.sock >= 0 && pool.pooled + pool.asked < POOL_TARGET) {
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

/* From now on, sets of this profile: those of the previous one are closed. */
static void pool_switch(const char *profile, size_t len) {
    while (pool.pooled > 0) pool_drop(&pool.ready[--pool.pooled]);
    pool.asked = 0; /* answers still on the way carry the old generation */
    pool.refused = 0;
    pool.generation++;
    memcpy(pool.profile, profile, len);
    pool.profile_len = len;
    pool_ask();
}

void pool_start(void) {
    int sv[2];
    const char *off = getenv("CORRAL_NAMESPACE_POOL");
    if ((off && strcmp(off, "0") == 0) || socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) return;
    /* the child of a prepared user namespace mounts /proc by fsopen (5.2) before joining it */
    int probe = (int)syscall(SYS_fsopen, "proc", K_FSOPEN_CLOEXEC);
    host.can_mount_detached = probe >= 0;
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
    pool.sock = sv[0];
    set_nonblocking(pool.sock);
    watch(pool.sock, EPOLLIN, KEY(K_POOL, 0));
}

void pool_receive(void) {
    for (;;) {
        unsigned char answer[5];
        int fds[POOLED_KINDS];
        union { struct cmsghdr h; char buf[CMSG_SPACE(sizeof fds)]; } u;
        struct iovec iov = {answer, sizeof answer};
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
        uint32_t generation;
        memcpy(&generation, answer, 4);
        int expected = pool.profile[0] == 'u' ? POOLED_KINDS : POOLED_USER;
        if (generation != pool.generation) { /* for a profile no longer wanted */
            pool_drop(&set);
            continue;
        }
        pool.asked--;
        if (answer[4] != 'y' || n_fds != expected) {
            pool_drop(&set);
            pool.refused = 1; /* not permitted here: not asked for again */
            continue;
        }
        pool.ready[pool.pooled++] = set;
    }
}


/* A prepared set for the plan, if it can use one, in fds (pooled_kind order; -1 where none):
   taken from the ready ones, or, for a user namespace set when none is ready, made now the
   same way, so that every container of a privileged launcher has its PID namespace owned
   alike (a network namespace on the path). 1 if fds holds a set, else 0. */
int pool_take(const struct plan *pl, int fds[POOLED_KINDS]) {
    static char profile[PROFILE_MAX];
    size_t len = profile_of(pl, profile, sizeof profile);
    for (int k = 0; k < POOLED_KINDS; k++) fds[k] = -1;
    if (len == 0) return 0;
    if (len != pool.profile_len || memcmp(profile, pool.profile, len) != 0) pool_switch(profile, len);
    if (pool.pooled > 0) {
        memcpy(fds, pool.ready[--pool.pooled].fd, sizeof pool.ready[0].fd);
        pool_ask();
        return 1;
    }
    return profile[0] == 'u' && !pool.refused && make_user_set(profile, len, fds) == 0;
}

/* A prepared set could not be used (a PID namespace outside a new user namespace needs a
   privileged launcher): not asked for again. */
void pool_refuse(void) {
    pool.refused = 1;
}

/* The pool process goes (it reads EOF). */
void pool_stop(void) {
    close_fd(&pool.sock);
}

void pool_event(void) {
    if (pool.sock >= 0) pool_receive();
}
