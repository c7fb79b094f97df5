/* Stdio: what fds 0, 1 and 2 of a container become, and the relays that copy between a
   container's pipe or terminal master and a connection to the JVM, in the event loop. */
#include "launcher.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#define TTY_BUF 16384

struct relay {
    int used;
    uint64_t id;       /* the container's */
    int fd, sock;      /* the container's side (a pipe's end, a terminal's master), the JVM's */
    int outbound;      /* 1: fd -> sock (stdout, stderr); 0: sock -> fd (stdin) */
    char *buf;         /* a terminal's master cannot splice: copied through buf */
    size_t held, sent; /* buf[sent, held): read, not yet written */
};

static struct {
    struct relay r[MAX_RELAYS];
} relays;

static void relay_close(struct relay *r) {
    close_fd(&r->fd);
    close_fd(&r->sock);
    free(r->buf);
    r->buf = NULL;
    r->used = 0;
}

/* Moves what can be moved (a pipe's by splice, a terminal's through buf), then waits for input,
   or for room while input is held. The end of the input, or a failure on either side (EPIPE,
   ECONNRESET; EIO: a terminal's master once its last slave is closed), is passed on by closing
   both. */
static void pump(struct relay *r, int slot) {
    int from = r->outbound ? r->fd : r->sock, to = r->outbound ? r->sock : r->fd;
    for (;;) {
        ssize_t n = 1;
        if (!r->buf) n = splice(from, NULL, to, NULL, 1 << 20, SPLICE_F_NONBLOCK | SPLICE_F_MOVE);
        else if (r->sent == r->held && (n = read(from, r->buf, TTY_BUF)) > 0) r->held = (size_t)n, r->sent = 0;
        if (r->buf && n > 0 && (n = write(to, r->buf + r->sent, r->held - r->sent)) > 0) r->sent += (size_t)n;
        if (n > 0 || (n < 0 && errno == EINTR)) continue;
        if (n == 0 || errno != EAGAIN) {
            relay_close(r);
            return;
        }
        int holding = r->sent < r->held; /* input held, or waiting in a pipe: the output is full */
        if (!r->buf && ioctl(from, FIONREAD, &holding) < 0) holding = 0;
        rewatch(from, holding ? 0 : EPOLLIN, KEY(K_RELAY, slot));
        rewatch(to, holding ? EPOLLOUT : 0, KEY(K_RELAY, slot));
        return;
    }
}

/* A relay of stream i between fd (the container's side, the relay's from now on; tty: a
   terminal's master) and a new connection to the JVM, watched at once; 0, or -1 with errno and
   *step. */
static int open_relay(uint64_t id, int i, int fd, int tty, int32_t *step) {
    int slot = 0;
    while (slot < MAX_RELAYS && relays.r[slot].used) slot++;
    *step = STEP_RELAY_RESERVE;
    if (slot == MAX_RELAYS) {
        close(fd);
        errno = EAGAIN;
        return -1;
    }
    struct relay *r = &relays.r[slot];
    *r = (struct relay){.used = 1, .id = id, .fd = fd, .sock = -1, .outbound = i != 0};
    if ((tty && (r->buf = malloc(TTY_BUF)) == NULL) || (r->sock = connect_to_jvm(id, (uint32_t)i, step)) < 0) {
        int saved = errno;
        relay_close(r);
        errno = saved;
        return -1;
    }
    set_nonblocking(r->fd);
    set_nonblocking(r->sock);
    watch(r->fd, r->outbound ? EPOLLIN : 0, KEY(K_RELAY, slot));
    watch(r->sock, r->outbound ? 0 : EPOLLIN, KEY(K_RELAY, slot));
    return 0;
}

/* Stream i relayed to the JVM through a pipe whose container end goes into *stdio. */
static int open_pipe(uint64_t id, int i, int *stdio, int32_t *step) {
    int p[2];
    *step = STEP_STDIO_PIPE;
    if (pipe2(p, O_CLOEXEC) < 0) return -1;
    *stdio = p[i == 0 ? 0 : 1];
    /* the pipe is host root's, 0600: a container whose root is an unprivileged host ID could
       not reopen it as /dev/stdout; only who may ptrace the container reaches its
       /proc/PID/fd, so 0666 opens nothing to anyone else */
    *step = STEP_STDIO_CHMOD;
    if (fchmod(p[0], 0666) < 0) {
        close(p[i == 0 ? 1 : 0]);
        return -1;
    }
    return open_relay(id, i, p[i == 0 ? 1 : 0], 0, step);
}

/* fd i of the terminal the JVM opened (FD_TTY): a copy of its slave; its master is relayed from
   the JVM's stream 0 and to its stream 1. */
static int open_tty(uint64_t id, const struct plan *pl, int i, int *stdio, int32_t *step) {
    *step = STEP_TTY_COPY;
    if ((*stdio = fcntl(pl->fd[pl->tty.slave], F_DUPFD_CLOEXEC, 3)) < 0) return -1;
    if (i == 2) return 0;
    *step = STEP_TTY_MASTER_COPY;
    int master = fcntl(pl->fd[pl->tty.master], F_DUPFD_CLOEXEC, 3);
    return master < 0 ? -1 : open_relay(id, i, master, 1, step);
}

/* A host file (or /dev/null), opened above fd 2: see exec_command. */
static int open_file(const char *path, int flags, uint32_t mode, int32_t *step) {
    int fd = open(path, flags | O_CLOEXEC | O_NOCTTY, mode);
    if (fd < 0 || fd > 2) return fd;
    *step = STEP_STDIO_DUP_HIGH;
    int high = fcntl(fd, F_DUPFD_CLOEXEC, 3);
    close(fd);
    return high;
}

/* Opens what fds 0, 1, 2 of the container become (>= 3, close-on-exec; what was opened is in
   stdio[] either way), relays included. 0, or -1 with errno, *step and *index. */
int relay_open_stdio(uint64_t id, const struct plan *pl, int stdio[3], int32_t *step, int32_t *index) {
    int tty = 0;
    for (int i = 0; i < 3; i++) tty += pl->stdio[i] && pl->stdio[i]->kind == STDIO_TTY;
    *step = STEP_TTY_COPY, *index = 0;
    errno = EINVAL; /* all three or none, with the JVM's terminal */
    if (tty && (tty < 3 || !pl->n[TAG_FD_TTY])) return -1;
    for (int i = 0; i < 3; i++) {
        const struct stdio_op *s = pl->stdio[i];
        uint32_t kind = s ? s->kind : STDIO_NULL;
        int rc = 0;
        *index = i, *step = kind == STDIO_INHERIT || kind == STDIO_STDOUT ? STEP_STDIO_INHERIT : STEP_STDIO_OPEN;
        if (kind == STDIO_INHERIT || kind == STDIO_STDOUT) /* STDOUT: fd 2 only (plan.c), fd 1's is open */
            rc = stdio[i] = fcntl(kind == STDIO_STDOUT ? stdio[1] : i, F_DUPFD_CLOEXEC, 3);
        else if (kind == STDIO_NULL || kind == STDIO_FILE)
            rc = stdio[i] = kind == STDIO_NULL ? open_file("/dev/null", O_RDWR, 0, step)
                                               : open_file(s->path, (int)s->open_flags, s->mode, step);
        else
            rc = kind == STDIO_TTY ? open_tty(id, pl, i, &stdio[i], step) : open_pipe(id, i, &stdio[i], step);
        if (rc < 0) return -1;
    }
    return 0;
}

/* The relays of a container that did not start: closed. */
void relay_drop(uint64_t id) {
    for (int i = 0; i < MAX_RELAYS; i++)
        if (relays.r[i].used && relays.r[i].id == id) relay_close(&relays.r[i]);
}

/* The relay's descriptors are ready: move what can be moved. */
void relay_event(uint32_t slot) {
    if (slot < MAX_RELAYS && relays.r[slot].used) pump(&relays.r[slot], (int)slot);
}
