/* Stdio relays: splice between a container's pipe and a socket to the JVM; copy between a
   container's terminal master and the JVM's sockets. */
#include "launcher.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

struct relay {
    int used;
    int pipe_fd, sock_fd; /* pipe_fd: a terminal's master when tty */
    int outbound; /* 1: container -> JVM (stdout, stderr); 0: JVM -> container (stdin) */
    int tty;      /* a terminal's master cannot splice: copied through buf */
    size_t held, sent; /* buf[sent, held) read, not yet written */
    char *buf;
};

static struct {
    struct relay r[MAX_RELAYS];
} relays;

void relay_close(int slot) {
    struct relay *r = &relays.r[slot];
    close_fd(&r->pipe_fd);
    close_fd(&r->sock_fd);
    free(r->buf);
    r->buf = NULL;
    r->used = 0;
}

#define TTY_BUF 16384

/* One step of a terminal's copy: > 0 moved, 0 end of input, -1 with errno. A master reads
   EIO once the last slave is closed: the command and everything holding its terminal ended. */
static ssize_t copy_step(struct relay *r, int from, int to) {
    if (r->sent == r->held) {
        ssize_t n = read(from, r->buf, TTY_BUF);
        if (n <= 0) return n < 0 && errno == EIO ? 0 : n;
        r->held = (size_t)n, r->sent = 0;
    }
    ssize_t w = write(to, r->buf + r->sent, r->held - r->sent);
    if (w > 0) r->sent += (size_t)w;
    return w;
}

void relay_pump(int slot) {
    struct relay *r = &relays.r[slot];
    int from = r->outbound ? r->pipe_fd : r->sock_fd;
    int to = r->outbound ? r->sock_fd : r->pipe_fd;
    for (;;) {
        ssize_t n = r->tty ? copy_step(r, from, to) : splice(from, NULL, to, NULL, 1 << 20, SPLICE_F_NONBLOCK | SPLICE_F_MOVE);
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
        int pending = r->tty && r->sent < r->held;
        if (!r->tty && ioctl(from, FIONREAD, &pending) < 0) pending = 0;
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
    relays.r[r] = (struct relay){.used = 1, .pipe_fd = i == 0 ? p[1] : p[0], .sock_fd = -1, .outbound = i != 0};
    *slot = r;
    *stdio = i == 0 ? p[0] : p[1];
    *step = STEP_STDIO_CONNECT;
    return (relays.r[r].sock_fd = connect_to_jvm(id, (uint32_t)i)) < 0 ? -1 : 0;
}

/* A terminal relay of stream i (0: to the master, 1: from it) on a copy of master. */
static int open_tty_relay(uint64_t id, int i, int master, int32_t *step, int32_t *index) {
    int r = free_relay();
    *step = STEP_STDIO_CONNECT, *index = i;
    if (r < 0) {
        errno = EAGAIN;
        return -1;
    }
    relays.r[r] = (struct relay){.used = 1, .pipe_fd = -1, .sock_fd = -1, .outbound = i, .tty = 1};
    if ((relays.r[r].buf = malloc(TTY_BUF)) == NULL || (relays.r[r].pipe_fd = fcntl(master, F_DUPFD_CLOEXEC, 3)) < 0
        || (relays.r[r].sock_fd = connect_to_jvm(id, (uint32_t)i)) < 0) {
        int saved = errno;
        relay_close(r);
        errno = saved;
        return -1;
    }
    return r;
}

/* The terminal the JVM opened (FD_TTY): copies of its slave become fds 0, 1 and 2; its master
   is relayed from the JVM's stream 0 and to its stream 1. 0, or -1 with errno, *step and *index. */
static int open_tty(uint64_t id, const struct plan *pl, int stdio[3], int slot[3], int32_t *step, int32_t *index) {
    for (int i = 0; i < 3; i++) {
        *index = i;
        if ((stdio[i] = fcntl(pl->fd[pl->tty.slave], F_DUPFD_CLOEXEC, 3)) < 0) return -1;
    }
    if ((slot[0] = open_tty_relay(id, 0, pl->fd[pl->tty.master], step, index)) < 0) return -1;
    return (slot[1] = open_tty_relay(id, 1, pl->fd[pl->tty.master], step, index)) < 0 ? -1 : 0;
}

/* Opens what fds 0, 1, 2 of the container become (>= 3, close-on-exec), relays included.
   0, or -1 with errno, *step and *index; what was opened is in stdio[] and slot[] either way. */
int relay_open_stdio(uint64_t id, const struct plan *pl, int stdio[3], int slot[3], int32_t *step, int32_t *index) {
    int tty = 0;
    for (int i = 0; i < 3; i++) tty += pl->stdio[i] && pl->stdio[i]->kind == STDIO_TTY;
    if (tty) {
        *step = STEP_TTY_COPY, *index = 0;
        errno = EINVAL; /* all three or none, with the JVM's terminal */
        return tty == 3 && pl->n[TAG_FD_TTY] ? open_tty(id, pl, stdio, slot, step, index) : -1;
    }
    for (int i = 0; i < 3; i++) {
        const struct stdio_op *s = pl->stdio[i];
        uint32_t kind = s ? s->kind : STDIO_NULL;
        *index = i;
        *step = STEP_STDIO_OPEN;
        if (kind == STDIO_INHERIT || kind == STDIO_STDOUT) { /* STDOUT: fd 2 only (plan.c), fd 1's is open */
            if ((stdio[i] = fcntl(kind == STDIO_STDOUT ? stdio[1] : i, F_DUPFD_CLOEXEC, 3)) < 0) return -1;
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
