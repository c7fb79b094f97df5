/*
 * The launcher's main loop: one process per JVM. It connects to the JVM's Unix socket, then
 * runs an epoll loop over the control connection, SIGCHLD (signalfd), each container's report
 * and status pipes and the stdio relays; what each event means is the business of run.c,
 * relay.c and pool.c. See wire.def for the protocol.
 *
 * Lifetime: when the control connection closes (the JVM exited or was killed), the launcher
 * kills every container it started, reaps them and exits. Each container's first process has
 * PR_SET_PDEATHSIG=SIGKILL, so if the launcher itself dies, its containers die too.
 */
#include "launcher.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define MAX_MESSAGE (64u << 20)

struct launcher_host host; /* CAP_CHOWN (0) is always known */

/* The connection to the JVM, and the one its descriptors come on. */
static struct {
    int epfd, control_fd, listen_path_fd, descriptor_fd;
    unsigned char token[TOKEN_BYTES];
    char listen_path[64];
    unsigned char *inbuf; /* what was read of the control connection and not yet handled */
    size_t in_len, in_cap;
} ctl = {.epfd = -1, .control_fd = -1, .listen_path_fd = -1, .descriptor_fd = -1};

__attribute__((noreturn)) void die(const char *what) {
    int saved = errno;
    fprintf(stderr, "corral-launcher: %s: %s\n", what, strerror(saved));
    kill_containers();
    exit(1);
}

void put_u32(unsigned char *p, uint32_t v) { memcpy(p, &v, 4); }
void put_u64(unsigned char *p, uint64_t v) { memcpy(p, &v, 8); }

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

void send_message(uint32_t type, const unsigned char *payload, uint32_t len) {
    unsigned char head[8];
    put_u32(head, len + 4);
    put_u32(head + 4, type);
    write_all(ctl.control_fd, head, 8);
    write_all(ctl.control_fd, payload, len);
}

void watch(int fd, uint32_t events, uint64_t key) {
    struct epoll_event ev = {.events = events, .data.u64 = key};
    if (epoll_ctl(ctl.epfd, EPOLL_CTL_ADD, fd, &ev) < 0) die("epoll_ctl add");
}

void rewatch(int fd, uint32_t events, uint64_t key) {
    struct epoll_event ev = {.events = events, .data.u64 = key};
    if (epoll_ctl(ctl.epfd, EPOLL_CTL_MOD, fd, &ev) < 0) die("epoll_ctl mod");
}

void close_fd(int *fd) {
    if (*fd >= 0) {
        close(*fd); /* closing also removes it from the epoll set */
        *fd = -1;
    }
}

void set_nonblocking(int fd) {
    int fl = fcntl(fd, F_GETFL);
    if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0) die("fcntl O_NONBLOCK");
}

/* A socket of type connected to path, which has been sent head (the token first); -1 with errno
   and *step (the stdio stream's steps, as the failing call was for one). */
static int connect_path(const char *path, int type, const unsigned char *head, size_t len, int32_t *step) {
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    int s = -1;
    *step = STEP_STDIO_SOCKET;
    errno = ENAMETOOLONG;
    if (strlen(path) < sizeof addr.sun_path && (s = socket(AF_UNIX, type | SOCK_CLOEXEC, 0)) >= 0) {
        memcpy(addr.sun_path, path, strlen(path) + 1);
        *step = STEP_STDIO_CONNECT;
        if (connect(s, (struct sockaddr *)&addr, sizeof addr) == 0) *step = STEP_STDIO_HEADER, errno = EPIPE; /* if short */
        if (*step == STEP_STDIO_HEADER && write(s, head, len) == (ssize_t)len) return s;
        int saved = errno;
        close(s);
        errno = saved;
    }
    return -1;
}

/* Connects to the JVM for one stdio stream; the JVM knows the stream from the header. */
int connect_to_jvm(uint64_t id, uint32_t stream, int32_t *step) {
    unsigned char head[TOKEN_BYTES + 12];
    memcpy(head, ctl.token, TOKEN_BYTES);
    put_u64(head + TOKEN_BYTES, id);
    put_u32(head + TOKEN_BYTES + 8, stream);
    return connect_path(ctl.listen_path, SOCK_STREAM, head, sizeof head, step);
}

/* The descriptors of one plan, sent by the JVM (sendmsg, SCM_RIGHTS, one byte of data) on the
   descriptor connection right before the plan itself on the control connection: so they are
   there to take (nothing to wait for), in the plans' order. A SOCK_SEQPACKET keeps each
   plan's apart. */
int receive_descriptors(uint32_t n, int *fds, int32_t *step, int32_t *index) {
    union {
        struct cmsghdr align;
        char buf[CMSG_SPACE(sizeof(int) * MAX_PLAN_DESCRIPTORS)];
    } control;
    char byte;
    struct iovec iov = {&byte, 1};
    struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.buf, .msg_controllen = sizeof control.buf};
    uint32_t got = 0;
    ssize_t r;
    *step = STEP_DESCRIPTORS_RECEIVE, *index = 0;
    if (n == 0) return 0;
    do r = recvmsg(ctl.descriptor_fd, &msg, MSG_CMSG_CLOEXEC | MSG_DONTWAIT); while (r < 0 && errno == EINTR);
    if (r < 0) return -1;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c != NULL; c = CMSG_NXTHDR(&msg, c)) {
        if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
        uint32_t k = (uint32_t)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
        for (uint32_t i = 0; i < k; i++, got++) {
            int fd;
            memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof fd);
            if (got < n) fds[got] = fd;
            else close(fd);
        }
    }
    if (r == 0 || (msg.msg_flags & MSG_CTRUNC) || got != n) {
        for (uint32_t i = 0; i < got && i < n; i++) close(fds[i]);
        *step = r > 0 && (msg.msg_flags & MSG_CTRUNC) ? STEP_DESCRIPTORS_TRUNCATED : STEP_DESCRIPTORS_COUNT;
        *index = (int32_t)got;
        errno = r == 0 ? EPIPE : EPROTO;
        return -1;
    }
    return 0;
}

int jvm_descriptor_socket(void) { return ctl.descriptor_fd; }

/* ---- the control connection ---- */

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
    } else if (type == MSG_MAKE_NAMESPACES && len >= 12) {
        pool_request(id, p + 12, len - 12); /* u32 at p + 8: whether the JVM waits for it, for the JVM */
    } else {
        errno = EPROTO;
        die("unknown message from the JVM");
    }
}

/* returns 0 when the JVM closed the connection */
static int read_control(void) {
    for (;;) {
        if (ctl.in_cap - ctl.in_len < 65536) {
            size_t cap = ctl.in_cap ? ctl.in_cap * 2 : 1 << 20;
            unsigned char *b = realloc(ctl.inbuf, cap);
            if (!b) die("realloc");
            ctl.inbuf = b, ctl.in_cap = cap;
        }
        ssize_t n = read(ctl.control_fd, ctl.inbuf + ctl.in_len, ctl.in_cap - ctl.in_len);
        if (n == 0) return 0;
        if (n < 0) {
            if (errno == EINTR) continue;
            if (errno == EAGAIN) break;
            if (errno == ECONNRESET) return 0;
            die("read control");
        }
        ctl.in_len += (size_t)n;
    }
    size_t at = 0;
    while (ctl.in_len - at >= 8) {
        uint32_t mlen, type;
        memcpy(&mlen, ctl.inbuf + at, 4);
        memcpy(&type, ctl.inbuf + at + 4, 4);
        if (mlen < 4 || mlen > MAX_MESSAGE) {
            errno = EPROTO;
            die("bad message length from the JVM");
        }
        if (ctl.in_len - at < 4 + (size_t)mlen) break;
        handle_message(type, ctl.inbuf + at + 8, mlen - 4);
        at += 4 + mlen;
    }
    memmove(ctl.inbuf, ctl.inbuf + at, ctl.in_len - at);
    ctl.in_len -= at;
    return 1;
}

/* --describe-plan: the plan on stdin as the text PlanCodec.describe() prints */
static int describe_plan(void) {
    size_t cap = 1 << 20, len = 0;
    unsigned char *buf = malloc(cap);
    struct plan *pl = malloc(sizeof *pl);
    if (!pl) return 2;
    for (;;) {
        if (!buf) return 2;
        ssize_t n = read(0, buf + len, cap - len);
        if (n < 0) return 2;
        if (n == 0) break;
        len += (size_t)n;
        if (len == cap) buf = realloc(buf, cap *= 2);
    }
    if (plan_decode(buf, len, MAX_PLAN_DESCRIPTORS, pl) < 0) {
        printf("error %s\n", strerror(errno));
        return 1;
    }
    plan_describe(pl);
    return 0;
}

/* Takes the token from the environment (and wipes it there); 0, or -1 if it is missing or bad. */
static int take_token(void) {
    char *token = getenv("CORRAL_LAUNCHER_TOKEN");
    if (token == NULL || strlen(token) != TOKEN_BYTES) return -1;
    memcpy(ctl.token, token, TOKEN_BYTES);
    memset(token, 'x', TOKEN_BYTES); /* gone from /proc/PID/environ */
    if (unsetenv("CORRAL_LAUNCHER_TOKEN") < 0) die("unsetenv");
    return 0;
}

/* SIGCHLD through a signalfd (returned); the signals inherited ignored (and SIGPIPE, which the
   launcher ignores) noted for the command to reset; the highest capability the kernel knows. */
static int set_up_process(void) {
    sigset_t chld;
    sigemptyset(&chld);
    sigaddset(&chld, SIGCHLD);
    if (sigprocmask(SIG_BLOCK, &chld, NULL) < 0) die("sigprocmask");
    int sfd = signalfd(-1, &chld, SFD_NONBLOCK | SFD_CLOEXEC);
    if (sfd < 0) die("signalfd");
    sigemptyset(&host.ignored_signals);
    for (int sig = 1; sig < _NSIG; sig++) {
        struct sigaction old;
        if (sigaction(sig, NULL, &old) == 0 && old.sa_handler == SIG_IGN) sigaddset(&host.ignored_signals, sig);
    }
    if (signal(SIGPIPE, SIG_IGN) == SIG_ERR) die("signal SIGPIPE");
    sigaddset(&host.ignored_signals, SIGPIPE);
    while (host.last_cap < 63 && prctl(PR_CAPBSET_READ, host.last_cap + 1, 0, 0, 0) >= 0) host.last_cap++;
    return sfd;
}

/* Connects to the JVM through the socket at path and says hello. */
static void connect_control(const char *path) {
    /* Hold the socket by an O_PATH fd, so the JVM may delete its path at once: nothing is
       left in the file system even if both processes are killed. */
    ctl.listen_path_fd = open(path, O_PATH | O_CLOEXEC);
    if (ctl.listen_path_fd < 0) die("open socket path");
    snprintf(ctl.listen_path, sizeof ctl.listen_path, "/proc/self/fd/%d", ctl.listen_path_fd);
    int32_t step;
    ctl.control_fd = connect_to_jvm(0, CONTROL_STREAM, &step);
    if (ctl.control_fd < 0) die("connect to the JVM");
}

static void say_hello(void) {
    unsigned char hello[8];
    int32_t self = getpid();
    put_u32(hello, PROTOCOL_VERSION);
    memcpy(hello + 4, &self, 4);
    send_message(MSG_HELLO, hello, sizeof hello);
}

/* The event loop; returns when the JVM is gone, after every container was killed and reaped. */
static int serve(int sfd) {
    struct epoll_event events[64];
    for (;;) {
        int n = epoll_wait(ctl.epfd, events, 64, -1);
        if (n < 0) {
            if (errno == EINTR) continue;
            die("epoll_wait");
        }
        for (int e = 0; e < n; e++) {
            uint32_t kind = (uint32_t)(events[e].data.u64 >> 32);
            uint32_t slot = (uint32_t)events[e].data.u64;
            if (kind == K_CONTROL && !read_control()) { /* the JVM is gone: take every container with it */
                kill_containers();
                return 0;
            } else if (kind == K_SIGNALS) {
                struct signalfd_siginfo si;
                while (read(sfd, &si, sizeof si) == (ssize_t)sizeof si) {}
                reap();
            } else if (kind == K_REPORT || kind == K_STATUS) {
                container_event(kind, slot);
            } else if (kind == K_RELAY) {
                relay_event(slot);
            }
        }
    }
}

int main(int argc, char **argv) {
    if (argc == 2 && strcmp(argv[1], "--describe-plan") == 0) return describe_plan();
    if (argc == 2 && strcmp(argv[1], "--version") == 0) {
        printf("corral-launcher protocol %d\n", PROTOCOL_VERSION);
        return 0;
    }
    if (argc != 3 || take_token() < 0) {
        fprintf(stderr, "usage: CORRAL_LAUNCHER_TOKEN=TOKEN corral-launcher SOCKET DESCRIPTOR_SOCKET\n"
                        "  (started by Corral's Java driver; not meant to be run by hand)\n");
        return 2;
    }
    prctl(PR_SET_NAME, "corral-launcher", 0, 0, 0); /* run from a memfd, its name would be a number */
    /* the descriptor connection first, so that the JVM finds it waiting once it has accepted the control one */
    int32_t step;
    if ((ctl.descriptor_fd = connect_path(argv[2], SOCK_SEQPACKET, ctl.token, TOKEN_BYTES, &step)) < 0) die("connect the descriptor socket");
    connect_control(argv[1]);
    size_t args = (size_t)(argv[argc - 1] + strlen(argv[argc - 1]) - argv[0]); /* /proc/1/cmdline: no host PID or path */
    memset(argv[0], 0, args), memcpy(argv[0], "corral-launcher", args > 15 ? 15 : args);
    int sfd = set_up_process();
    ctl.epfd = epoll_create1(EPOLL_CLOEXEC);
    if (ctl.epfd < 0) die("epoll_create1");
    set_nonblocking(ctl.control_fd);
    watch(ctl.control_fd, EPOLLIN, KEY(K_CONTROL, 0));
    watch(sfd, EPOLLIN, KEY(K_SIGNALS, 0));
    say_hello();
    return serve(sfd);
}
