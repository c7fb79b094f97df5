/*
 * What runs in the container between clone and execve. Async-signal-safe: no malloc, no stdio,
 * no locale; every failing system call is reported as (step, errno, index) on the report pipe
 * and the process exits. The order is fixed (bubblewrap's): wait for the launcher, new
 * session, mounts and pivot_root, hostname, loopback, then (in the init) fork the command,
 * which installs stdio, switches user, sets limits and capabilities, and applies seccomp as
 * the last thing before execve.
 */
#include "launcher.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <grp.h>
#include <unistd.h>

/* Kernel interfaces newer than some libcs' headers; the numbers are the same on x86_64 and
   aarch64 (the unified syscall table since Linux 5.1). */
#ifndef SYS_close_range
#define SYS_close_range 436
#endif
#ifndef SYS_execveat
#define SYS_execveat 322 /* x86_64; aarch64's libc headers have it */
#endif
#define K_CLOSE_RANGE_CLOEXEC (1U << 2)
#define K_SECCOMP_SET_MODE_FILTER 1
#define K_CLONE_NEWTIME 0x80
#define K_LINUX_CAPABILITY_VERSION_3 0x20080522
#define K_PR_CAP_AMBIENT 47
#define K_PR_CAP_AMBIENT_RAISE 2

struct k_sock_fprog { unsigned short len; const void *filter; };
struct k_cap_header { uint32_t version; int pid; };
struct k_cap_data { uint32_t effective, permitted, inheritable; };

/* The report pipe's write end, once the process has it: a failure is written there. */
static struct {
    int report_fd;
} child = {-1};

/* Reports (step, errno, index) to the launcher and exits. */
__attribute__((noreturn)) void child_fail(enum step step, int index) {
    struct report r = {(int32_t)step, errno, index};
    if (child.report_fd >= 0) {
        ssize_t ignored = write(child.report_fd, &r, sizeof r); /* atomic: smaller than PIPE_BUF */
        (void)ignored;
    }
    _exit(126);
}

int loopback_up(int *failed_at) {
    struct ifreq ifr;
    int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    *failed_at = 0;
    if (s < 0) return -1;
    memset(&ifr, 0, sizeof ifr);
    memcpy(ifr.ifr_name, "lo", 3);
    *failed_at = 1;
    if (ioctl(s, SIOCGIFFLAGS, &ifr) < 0) goto failed;
    ifr.ifr_flags |= IFF_UP;
    *failed_at = 2;
    if (ioctl(s, SIOCSIFFLAGS, &ifr) < 0) goto failed;
    close(s);
    return 0;
failed: {
        int saved = errno;
        close(s);
        errno = saved;
        return -1;
    }
}

/* Closes every descriptor >= 3 but the kept ones (sorted ascending by the launcher). */
static void close_all_but(const int *keep, size_t n) {
    int from = 3;
    for (size_t i = 0; i <= n; i++) {
        if (i < n && keep[i] < 3) continue;
        int to = i < n ? keep[i] - 1 : INT_MAX;
        if (from <= to && syscall(SYS_close_range, (unsigned)from, (unsigned)to, 0) < 0) {
            if (errno != ENOSYS) child_fail(STEP_CLOSE_FDS, 0);
            int max = (int)sysconf(_SC_OPEN_MAX);
            for (int fd = from; fd <= to && fd < max; fd++) close(fd);
        }
        if (i < n) from = keep[i] + 1;
    }
}

static void set_capabilities(const struct plan *pl) {
    for (int cap = 0; cap <= host.last_cap; cap++) {
        if (pl->caps.bounding & (1ULL << cap)) continue;
        if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 && errno != EINVAL) child_fail(STEP_CAP_BOUNDING, cap);
    }
}

static void set_capability_sets(const struct plan *pl) {
    struct k_cap_header h = {K_LINUX_CAPABILITY_VERSION_3, 0};
    struct k_cap_data d[2] = {
        {(uint32_t)pl->caps.effective, (uint32_t)pl->caps.permitted, (uint32_t)pl->caps.inheritable},
        {(uint32_t)(pl->caps.effective >> 32), (uint32_t)(pl->caps.permitted >> 32), (uint32_t)(pl->caps.inheritable >> 32)},
    };
    if (syscall(SYS_capset, &h, d) < 0) child_fail(STEP_CAPSET, 0);
    for (int cap = 0; cap < 64; cap++) {
        if (!(pl->caps.ambient & (1ULL << cap))) continue;
        if (prctl(K_PR_CAP_AMBIENT, K_PR_CAP_AMBIENT_RAISE, cap, 0, 0) < 0) child_fail(STEP_CAP_AMBIENT, cap);
    }
}

/* Tries the command where execvpe would look for it, calling try with each path until it
   returns >= 0 (execve does not return then): its own path if it has a slash or there is no
   search path, else each search path directory in turn, without malloc; the first EACCES wins
   over ENOENT. Returns what try returned, or fails STEP_EXEC. */
static int find_program(const struct plan *pl, int (*try)(const char *path, const struct plan *pl)) {
    const char *cmd = pl->args[0];
    char path[PATH_MAX];
    int seen_eacces = 0, r;
    size_t clen = strlen(cmd);
    if (strchr(cmd, '/') || pl->search_path == NULL) {
        if ((r = try(cmd, pl)) >= 0) return r;
        child_fail(STEP_EXEC, 0);
    }
    for (const char *dir = pl->search_path; dir != NULL;) {
        const char *end = strchr(dir, ':');
        size_t dlen = end ? (size_t)(end - dir) : strlen(dir);
        if (dlen + 1 + clen + 1 <= sizeof path) {
            memcpy(path, dlen ? dir : ".", dlen ? dlen : 1);
            size_t at = dlen ? dlen : 1;
            path[at] = '/';
            memcpy(path + at + 1, cmd, clen + 1);
            if ((r = try(path, pl)) >= 0) return r;
            if (errno == EACCES) seen_eacces = 1;
            else if (errno != ENOENT && errno != ENOTDIR && errno != ENAMETOOLONG) child_fail(STEP_EXEC, 0);
        }
        dir = end ? end + 1 : NULL;
    }
    errno = seen_eacces ? EACCES : ENOENT;
    child_fail(STEP_EXEC, 0);
}

static int exec_path(const char *path, const struct plan *pl) {
    return execve(path, (char *const *)pl->args, (char *const *)pl->env);
}

/* path opened O_PATH if it is a regular file that may be executed, else -1 (EACCES if it is there) */
static int open_program(const char *path, const struct plan *pl) {
    struct stat st;
    int fd = open(path, O_PATH | O_CLOEXEC);
    if (fd < 0 || (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && faccessat(AT_FDCWD, path, X_OK, AT_EACCESS) == 0))
        return fd;
    close(fd);
    errno = EACCES;
    return -1;
}

/* Opens the program O_PATH onto exec_fd, close-on-exec: the seccomp filter may then allow
   exactly execveat(exec_fd, "", ..., AT_EMPTY_PATH). The exec permission itself is checked by
   execveat, as the final user. */
static void open_exec_fd(const struct plan *pl) {
    int fd = find_program(pl, open_program);
    if (dup3(fd, (int)pl->exec_fd, O_CLOEXEC) < 0) child_fail(STEP_EXEC_FD_OPEN, 0);
    close(fd);
}

/* Executes the command: through the exec descriptor, or as execvpe would. */
__attribute__((noreturn)) static void exec_program(const struct plan *pl) {
    if (pl->n[TAG_EXEC_FD])
        syscall(SYS_execveat, (int)pl->exec_fd, "", (char *const *)pl->args, (char *const *)pl->env, AT_EMPTY_PATH);
    else
        find_program(pl, exec_path);
    child_fail(STEP_EXEC, 0);
}

__attribute__((noreturn)) static void exec_command(const struct plan *pl, const struct child_fds *fds) {
    pid_t parent = getppid(); /* 0 while an exec's starter, outside its PID namespace, lives */
    struct sigaction dfl;
    sigset_t none;
    memset(&dfl, 0, sizeof dfl);
    dfl.sa_handler = SIG_DFL;
    /* execve resets handled signals; ignored ones (the launcher's, found at its start) stay */
    for (int sig = 1; sig < _NSIG; sig++) {
        if (!sigismember(&host.ignored_signals, sig) || sig == SIGKILL || sig == SIGSTOP) continue;
        if (sigaction(sig, &dfl, NULL) < 0 && errno != EINVAL) child_fail(STEP_RESET_SIGNALS, sig);
    }
    sigemptyset(&none);
    if (sigprocmask(SIG_SETMASK, &none, NULL) < 0) child_fail(STEP_RESET_SIGNAL_MASK, 0);

    for (int i = 0; i < 3; i++) /* the sources are distinct and >= 3, so order does not matter */
        if (dup2(fds->stdio[i], i) < 0) child_fail(STEP_STDIO_DUP, i);
    if (pl->stdio[0] && pl->stdio[0]->kind == STDIO_TTY) { /* the terminal controls its own session */
        if (getsid(0) != getpid() && setsid() < 0) child_fail(STEP_TTY_SESSION, 0);
        if (ioctl(0, TIOCSCTTY, 0) < 0) child_fail(STEP_TTY_CONTROLLING, 0);
    }
    if (syscall(SYS_close_range, 3U, ~0U, K_CLOSE_RANGE_CLOEXEC) < 0) {
        if (errno != ENOSYS) child_fail(STEP_CLOEXEC_FDS, 0);
        /* before 5.11: every fd the launcher opens is close-on-exec already */
    }

    umask(pl->n[TAG_UMASK] ? pl->umask : 022);
    if (pl->cwd && chdir(pl->cwd) < 0) child_fail(STEP_CHDIR, 0);
    /* before the rlimits: a file limit at or below exec_fd would forbid the dup */
    if (pl->n[TAG_EXEC_FD]) open_exec_fd(pl);
    for (size_t i = 0; i < pl->n[TAG_RLIMIT]; i++) {
        struct rlimit rl = {(rlim_t)pl->rlimits[i].soft, (rlim_t)pl->rlimits[i].hard};
        if (setrlimit((int)pl->rlimits[i].resource, &rl) < 0) child_fail(STEP_RLIMIT, (int)i);
    }
    if (pl->n[TAG_CAPS]) {
        set_capabilities(pl);
        if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0) child_fail(STEP_KEEP_CAPS, 0);
    }
    if (pl->n[TAG_USER]) {
        gid_t groups[MAX_GROUPS];
        for (size_t i = 0; i < pl->n[TAG_GROUP]; i++) groups[i] = pl->groups[i];
        /* with setgroups denied (rootless), the groups stay the caller's own; otherwise they are
           replaced, so no supplementary group of the launcher (root's 0) survives */
        /* raw system calls: this process shares the init's memory until it execs (see run_init),
           where a libc's wrapper might act for every thread it believes the process has */
        if (!pl->deny_setgroups && syscall(SYS_setgroups, pl->n[TAG_GROUP], groups) < 0) child_fail(STEP_SETGROUPS, 0);
        if (syscall(SYS_setresgid, pl->user.gid, pl->user.gid, pl->user.gid) < 0) child_fail(STEP_SETGID, 0);
        if (syscall(SYS_setresuid, pl->user.uid, pl->user.uid, pl->user.uid) < 0) child_fail(STEP_SETUID, 0);
    }
    /* after the change of user, which clears it; a starter gone already left an orphan: gone too */
    if (pl->command_parent_death && prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0) child_fail(STEP_COMMAND_PARENT_DEATH, 0);
    if (pl->command_parent_death && getppid() != parent) _exit(126);
    if (pl->n[TAG_CAPS]) {
        if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0) child_fail(STEP_KEEP_CAPS_OFF, 0);
        set_capability_sets(pl);
    }
    if (pl->no_new_privs && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) child_fail(STEP_NO_NEW_PRIVS, 0);
    if (pl->n[TAG_SECCOMP]) {
        struct k_sock_fprog prog = {(unsigned short)(pl->seccomp.len / 8), pl->seccomp.bytes};
        if (syscall(SYS_seccomp, K_SECCOMP_SET_MODE_FILTER, 0, &prog) < 0) child_fail(STEP_SECCOMP, 0);
    }

    exec_program(pl);
}

struct command_args {
    const struct plan *pl;
    const struct child_fds *fds;
};

static int command_main(void *arg) {
    const struct command_args *a = arg;
    exec_command(a->pl, a->fds);
}

/* The command's stack until its execve: it shares the init's memory (CLONE_VM) meanwhile. */
static char command_stack[64 * 1024] __attribute__((aligned(16)));

/* The container's PID 1 when the command is not: forwards signals, reaps orphans, and reports
   the command's wait status; its exit takes every other process of the container with it.
   The command is started the way posix_spawn does it (CLONE_VM | CLONE_VFORK, a stack of its
   own): no copy of this process's page tables to make, and none to tear down at its execve;
   the init waits meanwhile. */
__attribute__((noreturn)) static void run_init(const struct plan *pl, const struct child_fds *fds) {
    sigset_t all;
    sigfillset(&all);
    if (sigprocmask(SIG_BLOCK, &all, NULL) < 0) child_fail(STEP_INIT_SIGNALS, 0);
    /* named before the command starts: it may look at /proc/1/comm at once */
    prctl(PR_SET_NAME, "corral-init", 0, 0, 0);
    struct command_args args = {pl, fds};
    pid_t cmd = clone(command_main, command_stack + sizeof command_stack, CLONE_VM | CLONE_VFORK | SIGCHLD, &args);
    if (cmd < 0) child_fail(STEP_INIT_FORK, 0);

    close(fds->report);
    child.report_fd = -1;
    for (int i = 0; i < 3; i++) close(fds->stdio[i]);
    for (;;) {
        siginfo_t si;
        int sig = sigwaitinfo(&all, &si);
        if (sig < 0) continue; /* EINTR */
        if (sig != SIGCHLD) {
            kill(cmd, sig);
            continue;
        }
        int status;
        pid_t pid;
        while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
            if (pid == cmd) {
                int32_t st = status;
                ssize_t ignored = write(fds->status, &st, sizeof st);
                (void)ignored;
                _exit(0);
            }
        }
    }
}

/* Exits at once if the launcher is gone: the parent-death signal set after that would never come. */
static void exit_if_orphaned(void) {
    struct pollfd p = {child.report_fd, 0, 0}; /* a pipe's write end polls POLLERR when its reader closed */
    if (poll(&p, 1, 0) == 1 && (p.revents & POLLERR)) _exit(126);
}

/* Writes 0 to each FD_WRITE_ZERO descriptor, and to FD_CLONE_INTO_CGROUP's cgroup.procs where
   clone3 could not put this process there, and closes them: the command must not have them.
   For cgroup v1 tasks files: this is still the only thread of its process, so a tasks file
   moves all of it, without the machine-wide lock the kernel takes to move a whole process
   through cgroup.procs (which costs several times as much). */
static void write_zeros(const struct plan *pl, int join_v2) {
    for (size_t i = 0; i <= pl->n[TAG_FD_WRITE_ZERO]; i++) {
        int fd = i < pl->n[TAG_FD_WRITE_ZERO] ? pl->fd[pl->write_zero[i]] : join_v2 ? pl->fd[pl->cgroup.procs] : -1;
        ssize_t w;
        if (fd < 0) continue;
        do w = write(fd, "0", 1); while (w < 0 && errno == EINTR);
        if (w != 1) child_fail(STEP_FD_WRITE_ZERO, (int)i);
        close(fd);
    }
}

/* Waits at the plan's gate (a full pipe: the write blocks until the JVM reads), dumpable until
   then so that the JVM's helpers may open this process's namespaces; not dumpable after. */
static void pass_gate(int fd) {
    ssize_t w;
    do w = write(fd, "0", 1); while (w < 0 && errno == EINTR);
    if (w != 1) child_fail(STEP_FD_GATE, 0);
    close(fd);
    if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0) child_fail(STEP_NOT_DUMPABLE, 1);
}

/* Joins the namespaces the plan hands over, in its order, and closes them. The PID namespace
   (the clone's) belongs to the launcher's user namespace: only there may its /proc be made, so
   before joining another user namespace (mounts_prepare_early). */
static void join_given_namespaces(const struct plan *pl) {
    for (size_t i = 0; i < pl->n[TAG_SETNS]; i++) {
        if ((int)i == pl->setns_user && (pl->clone_flags & CLONE_NEWNS)) mounts_prepare_early(pl);
        if (setns(pl->fd[pl->setns[i].fd], (int)pl->setns[i].nstype) < 0) child_fail(STEP_SETNS, (int)i);
        close(pl->fd[pl->setns[i].fd]);
    }
}

void container_main(const struct plan *pl, const struct child_fds *fds) {
    int at, joins_user = pl->setns_user >= 0;
    child.report_fd = fds->report;
    close_all_but(fds->keep, fds->n_keep);
    if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0) child_fail(STEP_PARENT_DEATH_SIGNAL, 0);

    char go;
    ssize_t n;
    do n = read(fds->release, &go, 1); while (n < 0 && errno == EINTR);
    if (n != 1) {
        if (n == 0) errno = EPIPE;
        child_fail(STEP_WAIT_FOR_PARENT, 0);
    }
    close(fds->release);
    join_given_namespaces(pl);
    /* In a user namespace, become its root at once: until then this process is still the
       launcher's host user (unmapped: files it creates would overflow), and the init that stays
       behind must not be host root either. With setgroups allowed, the host's supplementary
       groups (root's 0) are dropped here too. */
    if ((pl->clone_flags & CLONE_NEWUSER) || joins_user) {
        if (!pl->deny_setgroups && setgroups(0, NULL) < 0) child_fail(STEP_ROOT_SETGROUPS, 0);
        /* EINVAL: 0 is not mapped (a map of the caller as itself): it stays the caller */
        if (setresgid(0, 0, 0) < 0 && errno != EINVAL) child_fail(STEP_ROOT_SETGID, 0);
        if (setresuid(0, 0, 0) < 0 && errno != EINVAL) child_fail(STEP_ROOT_SETUID, 0);
    }
    /* After the launcher wrote our ID maps (which needs us dumpable): nothing in the container
       may read this process's memory or open /proc/1/exe, which is the launcher. A change of
       credentials clears the parent-death signal: set again, with a look at the launcher in
       case it died in between. */
    if (!pl->n[TAG_FD_GATE] && prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0) child_fail(STEP_NOT_DUMPABLE, 0);
    if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0) child_fail(STEP_PARENT_DEATH_SIGNAL, 1);
    exit_if_orphaned();

    if (joins_user && (pl->clone_flags & CLONE_NEWNS) && unshare(CLONE_NEWNS) < 0) child_fail(STEP_UNSHARE_MOUNT, 0);
    /* CLONE_NEWTIME cannot go to clone(2) (its bit is part of the exit signal): the init's
       children, and the command when it is PID 1 from its exec on, enter it */
    if ((pl->clone_flags & K_CLONE_NEWTIME) && unshare(K_CLONE_NEWTIME) < 0) child_fail(STEP_UNSHARE_TIME, 0);
    if (setsid() < 0) child_fail(STEP_SETSID, 0);
    umask(0);
    if (pl->clone_flags & CLONE_NEWNS) mounts_set_up(pl);
    if (pl->hostname && sethostname(pl->hostname, strlen(pl->hostname)) < 0) child_fail(STEP_SET_HOSTNAME, 0);
    if (pl->loopback && loopback_up(&at) < 0) child_fail(STEP_LOOPBACK_UP, at);

    /* Into its cgroups, now that the mounts are made (their kernel objects are the launcher's
       business, not charged to the container's memory cgroup), before the command and every
       process it starts; then the cgroup namespace, rooted there. */
    write_zeros(pl, go == RELEASE_JOIN_V2);
    if (pl->n[TAG_FD_GATE]) pass_gate(pl->fd[pl->gate]);
    if ((pl->clone_flags & CLONE_NEWCGROUP) && unshare(CLONE_NEWCGROUP) < 0) child_fail(STEP_UNSHARE_CGROUP, 0);

    if (pl->command_as_pid1) exec_command(pl, fds);
    run_init(pl, fds);
}
