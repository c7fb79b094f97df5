/*
 * Starting containers (RUN: prepare descriptors, clone, write ID maps, release) and following
 * them to their end (their report and status pipes, SIGCHLD, EXITED).
 */
#include "launcher.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define K_CLONE_INTO_CGROUP 0x200000000ULL
#define K_MOUNT_ATTR_IDMAP 0x00100000ULL
#ifndef SYS_clone3
#define SYS_clone3 435
#endif

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
    /* the plan's descriptors, closed once the container is reaped; of them, those read at the
       reap and sent with EXITED, then those written 0 */
    int fd[MAX_PLAN_DESCRIPTORS], read_at_reap[MAX_COUNTER_FILES], zero_at_reap[MAX_COUNTER_FILES];
    uint32_t n_fds, n_read_at_reap, n_zero_at_reap;
};

/* what a child keeps: report, release, status, stdio; and the plan's descriptors it uses */
#define MAX_KEPT (6 + 2 * MAX_PLAN_DESCRIPTORS + 2 + MAX_SETNS + MAX_MOUNTS)

static struct {
    struct container containers[MAX_CONTAINERS];
    struct plan plan; /* large: static, reused for every RUN */
    int kept[MAX_KEPT];
} run;

static void send_failed(uint64_t id, int32_t step, int32_t err, int32_t index) {
    unsigned char m[20];
    put_u64(m, id);
    memcpy(m + 8, &step, 4);
    memcpy(m + 12, &err, 4);
    memcpy(m + 16, &index, 4);
    send_message(MSG_FAILED, m, sizeof m);
}

static void send_pid(struct container *c, uint32_t type) { /* STARTED or GATED */
    unsigned char m[12];
    int32_t pid = c->pid;
    put_u64(m, c->id);
    memcpy(m + 8, &pid, 4);
    send_message(type, m, sizeof m);
    c->started_sent |= type == MSG_STARTED;
}

/* Reads a descriptor whole from offset 0 (a fresh read of a cgroup file) into out: its
   length, or -2 if it cannot be read whole (the JVM then reads the file itself). */
static int32_t read_counter(int fd, unsigned char *out) {
    ssize_t n;
    do n = pread(fd, out, COUNTER_FILE_BYTES, 0); while (n < 0 && errno == EINTR);
    return n < 0 || n == COUNTER_FILE_BYTES ? -2 : (int32_t)n;
}

/* Appends, for each FD_READ_AT_REAP descriptor in the plan's order, an i32 length (-2: unread)
   and its bytes; then a u32, 1 if every FD_ZERO_AT_REAP descriptor took a write of "0" (tried
   only if every counter was read; with write, not pwrite: kernfs refuses pwrite on its seq
   files, and a cgroup file takes a write at any offset). Returns the bytes appended. */
static size_t append_counters(const struct container *c, unsigned char *out) {
    size_t len = 4;
    int all_read = c->n_read_at_reap > 0;
    put_u32(out, c->n_read_at_reap);
    for (uint32_t i = 0; i < c->n_read_at_reap; i++) {
        int32_t got = read_counter(c->read_at_reap[i], out + len + 4);
        memcpy(out + len, &got, 4);
        len += 4 + (got > 0 ? (size_t)got : 0);
        if (got < 0) all_read = 0;
    }
    uint32_t reset = all_read && c->n_zero_at_reap > 0;
    for (uint32_t i = 0; reset && i < c->n_zero_at_reap; i++) {
        ssize_t w;
        do w = write(c->zero_at_reap[i], "0", 1); while (w < 0 && errno == EINTR);
        reset = w == 1;
    }
    put_u32(out + len, reset);
    return len + 4;
}

static int64_t micros(struct timeval tv) { return (int64_t)tv.tv_sec * 1000000 + tv.tv_usec; }

/* EXITED: id, how, value, wall, user and system time (µs), max RSS (KiB); then the counters
   (see counters_append) */
static void send_exited(struct container *c, int status, const struct rusage *ru) {
    static unsigned char m[48 + COUNTERS_BYTES];
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
    size_t len = 48 + append_counters(c, m + 48);
    send_message(MSG_EXITED, m, (uint32_t)len);
}

/* Clones the container; with FD_CLONE_INTO_CGROUP, straight into that cgroup (clone3
   CLONE_INTO_CGROUP, 5.7), so that not even its first page fault is accounted elsewhere.
   Where clone3 or the flag is missing, a plain clone, and *into_cgroup stays 0. */
static pid_t clone_container(long flags, int *into_cgroup) {
    if (run.plan.n[TAG_FD_CLONE_INTO_CGROUP]) {
        struct {
            uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls, set_tid, set_tid_size, cgroup;
        } args = {(uint64_t)(flags & ~0xffL) | K_CLONE_INTO_CGROUP, 0, 0, 0, SIGCHLD, 0, 0, 0, 0, 0,
                  (uint64_t)run.plan.fd[run.plan.cgroup.dir]};
        pid_t pid = (pid_t)syscall(SYS_clone3, &args, sizeof args);
        int saved = errno;
        if (pid == 0) return 0; /* the child: the directory is close-on-exec and closed with the rest */
        if (pid > 0) {
            *into_cgroup = 1;
            return pid;
        }
        if (saved != ENOSYS && saved != E2BIG && saved != EINVAL && saved != EOPNOTSUPP) {
            errno = saved;
            return -1;
        }
    }
    return (pid_t)syscall(SYS_clone, flags, 0, 0, 0, 0);
}

/* The failure the container's first process reported, if it did and its report is there to
   read now; 1 if so. */
static int child_failure(int report_fd, struct report *r) {
    struct pollfd p = {.fd = report_fd, .events = POLLIN};
    if (report_fd < 0 || poll(&p, 1, 0) != 1 || !(p.revents & POLLIN)) return 0;
    ssize_t n;
    do n = read(report_fd, r, sizeof *r); while (n < 0 && errno == EINTR);
    return n == (ssize_t)sizeof *r;
}

/* ---- RUN: prepare descriptors, clone, write ID maps, release ---- */

/* The descriptors of a container being started, and what failed, until it is released or
   given up. */
struct start {
    struct child_fds cf;
    int report_r, release_w, status_r;
    int32_t step, index;
};

/* The report (index 0), release (1) and status (2) pipes. */
static int make_pipes(struct start *s) {
    int *ends[3][2] = {{&s->report_r, &s->cf.report}, {&s->cf.release, &s->release_w}, {&s->status_r, &s->cf.status}};
    s->step = STEP_REPORT_PIPE;
    for (s->index = 0; s->index < 3; s->index++) {
        int p[2];
        if (pipe2(p, O_CLOEXEC) < 0) return -1;
        *ends[s->index][0] = p[0], *ends[s->index][1] = p[1];
    }
    return 0;
}

static int int_order(const void *a, const void *b) {
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

/* Lists, sorted ascending, every descriptor the child keeps: its pipes and stdio, and the
   plan's descriptors it uses itself; it closes every other one. */
static void list_kept(struct start *s) {
    const struct plan *pl = &run.plan;
    int fixed[] = {s->cf.report, s->cf.release, s->cf.status, s->cf.stdio[0], s->cf.stdio[1], s->cf.stdio[2]};
    size_t n = 0;
    for (size_t k = 0; k < sizeof fixed / sizeof fixed[0]; k++)
        if (fixed[k] >= 0) run.kept[n++] = fixed[k];
    for (size_t i = 0; i < pl->n[TAG_FD_WRITE_ZERO]; i++) run.kept[n++] = pl->fd[pl->write_zero[i]];
    if (pl->n[TAG_FD_CLONE_INTO_CGROUP]) run.kept[n++] = pl->fd[pl->cgroup.procs];
    if (pl->n[TAG_FD_GATE]) run.kept[n++] = pl->fd[pl->gate];
    for (size_t i = 0; i < pl->n[TAG_SETNS]; i++) run.kept[n++] = pl->fd[pl->setns[i].fd];
    for (size_t i = 0; i < pl->n[TAG_FD_ATTACH_IN_STAGING]; i++) run.kept[n++] = pl->fd[pl->attach[i]];
    for (size_t i = 0; i < pl->n[TAG_FD_MOUNT_TREE]; i++) run.kept[n++] = pl->fd[pl->mount_trees[i].fd];
    qsort(run.kept, n, sizeof run.kept[0], int_order);
    s->cf.keep = run.kept;
    s->cf.n_keep = n;
}

/* Clones the container; its PID (0 in the child), or -1 with errno, s->step and s->index. */
static pid_t start_clone(struct start *s, int *into_cgroup) {
    const struct plan *pl = &run.plan;
    /* A cgroup namespace is entered by the child after it has been moved into its cgroup, and
       a time namespace by unshare in the child: CLONE_NEWTIME (0x80) is an exit signal bit here.
       With a user namespace to join, the child makes its mount namespace after joining it. */
    uint32_t later = (uint32_t)CLONE_NEWCGROUP | 0x80u | (pl->setns_user >= 0 ? (uint32_t)CLONE_NEWNS : 0);
    list_kept(s);
    s->step = STEP_CLONE, s->index = 0;
    return clone_container((long)(pl->clone_flags & ~later) | SIGCHLD, into_cgroup);
}

/* The cloned container is the slot's: it keeps the read ends; the child's ends are closed. */
static void adopt(struct container *c, struct start *s, uint64_t id, pid_t pid) {
    c->used = 1;
    c->id = id;
    c->pid = pid;
    const struct plan *pl = &run.plan;
    c->n_fds = pl->n_fds;
    memcpy(c->fd, pl->fd, sizeof c->fd);
    c->n_read_at_reap = (uint32_t)pl->n[TAG_FD_READ_AT_REAP];
    c->n_zero_at_reap = (uint32_t)pl->n[TAG_FD_ZERO_AT_REAP];
    for (size_t i = 0; i < pl->n[TAG_FD_READ_AT_REAP]; i++) c->read_at_reap[i] = pl->fd[pl->read_at_reap[i]];
    for (size_t i = 0; i < pl->n[TAG_FD_ZERO_AT_REAP]; i++) c->zero_at_reap[i] = pl->fd[pl->zero_at_reap[i]];
    run.plan.n_fds = 0; /* the container's now */
    c->mount_ns = -1;
    c->own_mount_ns = (run.plan.clone_flags & CLONE_NEWNS) != 0;
    c->report_fd = s->report_r;
    c->status_fd = s->status_r;
    s->report_r = s->status_r = -1;
    close_fd(&s->cf.report);
    close_fd(&s->cf.release);
    close_fd(&s->cf.status);
    for (int i = 0; i < 3; i++) close_fd(&s->cf.stdio[i]);
}

/* FD_IDMAP: each tree idmapped for the container's user namespace, the one its SETNS joins or
   else its own (mount_setattr MOUNT_ATTR_IDMAP, 5.12). 0, or -1 with errno, s->step and s->index. */
static int idmap_trees(struct start *s, pid_t pid) {
    const struct plan *pl = &run.plan;
    char path[64];
    int own = pl->setns_user < 0, ns, rc = 0;
    if (pl->n[TAG_FD_IDMAP] == 0) return 0;
    snprintf(path, sizeof path, "/proc/%d/ns/user", pid);
    s->step = STEP_USERNS_OPEN, s->index = 0;
    ns = own ? open(path, O_RDONLY | O_CLOEXEC) : pl->fd[pl->setns[pl->setns_user].fd];
    if (ns < 0) return -1;
    s->step = STEP_FD_IDMAP;
    for (size_t i = 0; i < pl->n[TAG_FD_IDMAP] && rc == 0; i++) {
        struct { uint64_t set, clr, propagation, userns_fd; } attr = {K_MOUNT_ATTR_IDMAP, 0, 0, (uint64_t)ns};
        s->index = (int32_t)i;
        rc = (int)syscall(SYS_mount_setattr, pl->fd[pl->idmap[i]], "", AT_EMPTY_PATH, &attr, sizeof attr);
    }
    int saved = errno;
    if (own) close(ns);
    errno = saved;
    return rc < 0 ? -1 : 0;
}

/* Writes the ID maps, idmaps the plan's trees, and lets the child go on. 0, or -1 with errno,
   s->step and s->index. */
static int release_child(struct start *s, pid_t pid, int into_cgroup) {
    const struct plan *pl = &run.plan;
    if (write_id_maps(pid, pl->uid_map, pl->uid_map_tool, pl->gid_map, pl->gid_map_tool, (int)pl->deny_setgroups,
                      &s->step, &s->index) < 0)
        return -1;
    if (idmap_trees(s, pid) < 0) return -1;
    s->step = STEP_RELEASE_CHILD, s->index = 0;
    char go = pl->n[TAG_FD_CLONE_INTO_CGROUP] && !into_cgroup ? RELEASE_JOIN_V2 : RELEASE_GO;
    if (write(s->release_w, &go, 1) != 1) return -1;
    close_fd(&s->release_w);
    return 0;
}

/* Watches the released container's pipes. Its bind sources and its terminal's slave are the
   child's now: the relay of the terminal's master reads its end once the child's go. */
static void follow(struct container *c, int slot) {
    for (size_t i = 0; i < run.plan.n[TAG_FD_MOUNT_TREE]; i++) close_fd(&c->fd[run.plan.mount_trees[i].fd]);
    if (run.plan.n[TAG_FD_TTY]) close_fd(&c->fd[run.plan.tty.slave]);
    set_nonblocking(c->report_fd);
    set_nonblocking(c->status_fd);
    watch(c->report_fd, EPOLLIN, KEY(K_REPORT, slot));
    watch(c->status_fd, EPOLLIN, KEY(K_STATUS, slot));
}

/* A cloned container that could not be released: killed, reaped silently, reported failed. */
static void abandon(struct container *c, struct start *s) {
    int saved = errno;
    int32_t step = s->step, index = s->index;
    struct report own;
    /* a child that failed on its own (a broken release pipe says it is gone) reported why
       before it exited: that is the failure, not the pipe */
    if (child_failure(c->report_fd, &own)) step = own.step, saved = own.err, index = own.index;
    kill(c->pid, SIGKILL);
    c->failed = 1; /* reaped by the SIGCHLD handler, silently */
    close_fd(&c->report_fd);
    close_fd(&c->status_fd);
    close_fd(&s->release_w);
    relay_drop(c->id);
    send_failed(c->id, step, saved, index);
}

static void close_plan_fds(int *fd, uint32_t *n) {
    for (uint32_t i = 0; i < *n; i++) close_fd(&fd[i]);
    *n = 0;
}

/* A container that was never cloned: everything opened for it closed, reported failed. */
static void give_up(struct start *s, uint64_t id) {
    int saved = errno;
    int *fds[] = {&s->cf.report, &s->cf.release, &s->cf.status, &s->report_r, &s->release_w, &s->status_r,
                  &s->cf.stdio[0], &s->cf.stdio[1], &s->cf.stdio[2]};
    close_plan_fds(run.plan.fd, &run.plan.n_fds);
    for (size_t i = 0; i < sizeof fds / sizeof fds[0]; i++) close_fd(fds[i]);
    relay_drop(id);
    send_failed(id, s->step, saved, s->index);
}

/* The plan's descriptors, then the plan (u32 descriptor count, plan); 0, or -1 with errno
   and s->step, s->index, nothing of it left open. */
static int take_plan(struct start *s, const unsigned char *buf, size_t len) {
    uint32_t n_fds;
    int fds[MAX_PLAN_DESCRIPTORS];
    s->step = STEP_PLAN_DECODE;
    errno = EPROTO;
    if (len < 4) return -1;
    memcpy(&n_fds, buf, 4);
    if (n_fds > MAX_PLAN_DESCRIPTORS) return -1; /* the JVM sends none then */
    if (receive_descriptors(n_fds, fds, &s->step, &s->index) < 0) return -1;
    s->step = STEP_PLAN_DECODE, s->index = 0;
    if (plan_decode(buf + 4, len - 4, n_fds, &run.plan) < 0) {
        int saved = errno;
        close_plan_fds(fds, &n_fds);
        errno = saved;
        return -1;
    }
    memcpy(run.plan.fd, fds, n_fds * sizeof fds[0]);
    return 0;
}

void run_container(uint64_t id, const unsigned char *buf, size_t len) {
    struct start s = {.cf = {.report = -1, .release = -1, .status = -1, .stdio = {-1, -1, -1}},
                      .report_r = -1, .release_w = -1, .status_r = -1,
                      .step = STEP_PLAN_DECODE};
    int slot = -1, into_cgroup = 0;
    if (take_plan(&s, buf, len) < 0) {
        send_failed(id, s.step, errno, s.index);
        return;
    }
    for (int i = 0; i < MAX_CONTAINERS && slot < 0; i++)
        if (!run.containers[i].used) slot = i;
    s.step = STEP_CONTAINER_SLOT;
    if (slot < 0) {
        errno = EAGAIN;
        goto failed;
    }
    if (relay_open_stdio(id, &run.plan, s.cf.stdio, &s.step, &s.index) < 0) goto failed;
    if (make_pipes(&s) < 0) goto failed;
    struct container *c = &run.containers[slot];
    memset(c, 0, sizeof *c);
    clock_gettime(CLOCK_MONOTONIC, &c->t0);
    pid_t pid = start_clone(&s, &into_cgroup);
    if (pid == 0) container_main(&run.plan, &s.cf);
    if (pid < 0) goto failed;
    adopt(c, &s, id, pid);
    if (release_child(&s, pid, into_cgroup) < 0) {
        abandon(c, &s);
        return;
    }
    if (run.plan.n[TAG_FD_GATE]) send_pid(c, MSG_GATED);
    follow(c, slot);
    return;
failed:
    give_up(&s, id);
}

/* ---- container events ---- */

static void read_report(struct container *c) {
    struct report r;
    ssize_t n;
    do n = read(c->report_fd, &r, sizeof r); while (n < 0 && errno == EINTR);
    if (n < 0 && errno == EAGAIN) return;
    close_fd(&c->report_fd);
    if (n == 0) { /* closed on exec: the command runs */
        if (!c->failed) send_pid(c, MSG_STARTED);
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

void reap(void) {
    int status;
    struct rusage ru;
    pid_t pid;
    while ((pid = wait4(-1, &status, WNOHANG, &ru)) > 0) {
        for (int i = 0; i < MAX_CONTAINERS; i++) {
            struct container *c = &run.containers[i];
            if (!c->used || c->pid != pid) continue;
            /* every writer is dead now (a PID namespace dies with its init): drain */
            if (c->report_fd >= 0) read_report(c);
            if (c->status_fd >= 0) read_status(c);
            if (!c->failed) {
                if (!c->started_sent) send_pid(c, MSG_STARTED);
                send_exited(c, c->have_command_status ? c->command_status : status, &ru);
            }
            close_fd(&c->report_fd);
            close_fd(&c->status_fd);
            close_fd(&c->mount_ns); /* its mounts go now, after the result */
            close_plan_fds(c->fd, &c->n_fds);
            c->used = 0;
            break;
        }
    }
}

void signal_container(uint64_t id, int sig) {
    for (int i = 0; i < MAX_CONTAINERS; i++)
        if (run.containers[i].used && run.containers[i].id == id) {
            kill(run.containers[i].pid, sig);
            return;
        }
}

/* The container in slot has something to say on its report or status pipe. */
void container_event(uint32_t kind, uint32_t slot) {
    if (slot >= MAX_CONTAINERS || !run.containers[slot].used) return;
    struct container *c = &run.containers[slot];
    if (kind == K_REPORT && c->report_fd >= 0) read_report(c);
    if (kind == K_STATUS && c->status_fd >= 0) read_status(c);
}

/* Kills every container (the JVM or the launcher is going) and reaps them. */
void kill_containers(void) {
    for (int i = 0; i < MAX_CONTAINERS; i++)
        if (run.containers[i].used) kill(run.containers[i].pid, SIGKILL);
    while (wait(NULL) > 0 || errno == EINTR) {}
}
