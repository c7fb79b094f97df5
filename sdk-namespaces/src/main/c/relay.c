/* Stdio relays: splice between a container's pipe and a socket to the JVM. */
#include "launcher.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

struct relay {
    int used;
    int pipe_fd, sock_fd;
    int outbound; /* 1: container -> JVM (stdout, stderr); 0: JVM -> container (stdin) */
};

static struct {
    struct relay r[MAX_RELAYS];
} relays;

void relay_close(int slot) {
    struct relay *r = &relays.r[slot];
    close_fd(&r->pipe_fd);
    close_fd(&r->sock_fd);
    r->used = 0;
}

void relay_pump(int slot) {
    struct relay *r = &relays.r[slot];
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

static int free_relay(void) {
    for (int i = 0; i < MAX_RELAYS; i++)
        if (!relays.r[i].used) return i;
    return -1;
}


/* A stdio stream relayed to the JVM: a pipe whose container end is stdio[i], and a socket to
   the JVM; the relay's slot in *slot. 0, or -1 with errno and *step. */
static int open_relay(uint64_t id, int i, int *stdio, int *slot, int32_t *step) {
    int p[2], r;
    *step = STEP_STDIO_PIPE;
    if ((r = free_relay()) < 0) {
        errno = EAGAIN;
        return -1;
    }
    if (pipe2(p, O_CLOEXEC) < 0) return -1;
    /* the pipe is host root's, 0600: a container whose root is an unprivileged host ID could
       not reopen it as /dev/stdout; only who may ptrace the container reaches its
       /proc/PID/fd, so 0666 opens nothing to anyone else */
    *step = STEP_STDIO_CHMOD;
    if (fchmod(p[0], 0666) < 0) {
        close(p[0]);
        close(p[1]);
        return -1;
    }
    relays.r[r] = (struct relay){1, i == 0 ? p[1] : p[0], -1, i != 0};
    *slot = r;
    *stdio = i == 0 ? p[0] : p[1];
    *step = STEP_STDIO_CONNECT;
    return (relays.r[r].sock_fd = connect_to_jvm(id, (uint32_t)i)) < 0 ? -1 : 0;
}

/* Opens what fds 0, 1, 2 of the container become (>= 3, close-on-exec), relays included.
   0, or -1 with errno, *step and *index; what was opened is in stdio[] and slot[] either way. */
int relay_open_stdio(uint64_t id, const struct plan *pl, int stdio[3], int slot[3], int32_t *step, int32_t *index) {
    for (int i = 0; i < 3; i++) {
        const struct stdio_op *s = &pl->stdio[i];
        uint32_t kind = s->present ? s->kind : STDIO_NULL;
        *index = i;
        *step = STEP_STDIO_OPEN;
        if (kind == STDIO_INHERIT) {
            if ((stdio[i] = fcntl(i, F_DUPFD_CLOEXEC, 3)) < 0) return -1;
        } else if (kind == STDIO_NULL) {
            if ((stdio[i] = open("/dev/null", O_RDWR | O_CLOEXEC)) < 0) return -1;
        } else if (kind == STDIO_FILE) {
            stdio[i] = open(s->path, (int)s->open_flags | O_CLOEXEC | O_NOCTTY, s->mode);
            if (stdio[i] < 0) return -1;
            if (stdio[i] < 3) { /* keep sources >= 3: see exec_command */
                *step = STEP_STDIO_DUP_HIGH;
                int fd = fcntl(stdio[i], F_DUPFD_CLOEXEC, 3);
                close(stdio[i]);
                if ((stdio[i] = fd) < 0) return -1;
            }
        } else if (open_relay(id, i, &stdio[i], &slot[i], step) < 0) {
            return -1;
        }
    }
    return 0;
}

/* The relay starts moving data. */
void relay_start(int slot) {
    struct relay *r = &relays.r[slot];
    set_nonblocking(r->pipe_fd);
    set_nonblocking(r->sock_fd);
    watch(r->pipe_fd, r->outbound ? EPOLLIN : 0, KEY(K_RELAY_PIPE, slot));
    watch(r->sock_fd, r->outbound ? 0 : EPOLLIN, KEY(K_RELAY_SOCK, slot));
}

/* The relay's descriptors are ready: move what can be moved. */
void relay_event(uint32_t slot) {
    if (slot < MAX_RELAYS && relays.r[slot].used) relay_pump((int)slot);
}
