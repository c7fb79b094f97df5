/*
 * Namespace sets made ahead (MSG_MAKE_NAMESPACES): creating a network namespace is the costliest
 * part of a container (about 0.5 ms), and joining a prepared one is cheap. The launcher makes a
 * set when asked and passes its descriptors on to the JVM, which keeps them and hands each set to
 * one container as SETNS operations. Which sets, how many, when, and which launcher makes them
 * (the JVM's one for containers, or a second one of its own, so that they are made in parallel
 * with the containers) are the JVM's decisions (NamespacePool, Launcher). A set's profile is "n": network (lo
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
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

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

/* Sends the set's descriptors on the descriptor connection (SCM_RIGHTS, one byte of data); 0, or
   -1 with errno. */
static int send_set(const int *fds, int n) {
    union { struct cmsghdr h; char buf[CMSG_SPACE(sizeof(int) * NAMESPACE_KINDS)]; } u;
    char byte = 'n';
    struct iovec iov = {&byte, 1};
    struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf,
                         .msg_controllen = CMSG_SPACE((size_t)n * sizeof(int))};
    struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
    *c = (struct cmsghdr){.cmsg_len = CMSG_LEN((size_t)n * sizeof(int)), .cmsg_level = SOL_SOCKET, .cmsg_type = SCM_RIGHTS};
    memcpy(CMSG_DATA(c), fds, (size_t)n * sizeof(int));
    ssize_t r;
    do r = sendmsg(jvm_descriptor_socket(), &msg, MSG_NOSIGNAL); while (r < 0 && errno == EINTR);
    return r == 1 ? 0 : -1;
}

/* MSG_MAKE_NAMESPACES: a set of profile, made now; its descriptors on the descriptor connection,
   then NAMESPACES_MADE; or NAMESPACES_FAILED. (Sets made ahead, in parallel with the
   containers, the JVM asks of a launcher of their own.) */
void pool_request(uint64_t request, const unsigned char *profile, size_t len) {
    unsigned char m[20];
    struct report why;
    int fds[NAMESPACE_KINDS];
    int n = make_set((const char *)profile, len, fds, &why);
    put_u64(m, request);
    if (n > 0 && send_set(fds, n) == 0) {
        put_u32(m + 8, (uint32_t)n);
        send_message(MSG_NAMESPACES_MADE, m, 12);
    } else {
        if (n > 0) why = (struct report){STEP_POOL_SEND, errno, n};
        memcpy(m + 8, &why, sizeof why);
        send_message(MSG_NAMESPACES_FAILED, m, sizeof m);
    }
    for (int k = 0; k < n; k++) close(fds[k]);
}
