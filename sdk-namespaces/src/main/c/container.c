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
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <grp.h>
#include <unistd.h>

/* Kernel interfaces newer than some libcs' headers; the numbers are the same on x86_64 and
   aarch64 (the unified syscall table since Linux 5.1). */
#ifndef SYS_close_range
#define SYS_close_range 436
#endif
#ifndef SYS_openat2
#define SYS_openat2 437
#endif
#ifndef SYS_execveat
#define SYS_execveat 322 /* x86_64; aarch64's libc headers have it */
#endif
#define K_RESOLVE_NO_MAGICLINKS 0x02ULL
#define K_RESOLVE_IN_ROOT 0x10ULL
#define K_CLOSE_RANGE_CLOEXEC (1U << 2)
#ifndef SYS_move_mount
#define SYS_move_mount 429
#endif
#ifndef SYS_fsconfig
#define SYS_fsconfig 431
#endif
#ifndef SYS_fsmount
#define SYS_fsmount 432
#endif
#define K_FSCONFIG_SET_FLAG 0
#define K_FSCONFIG_SET_STRING 1
#define K_FSCONFIG_CMD_CREATE 6
#define K_FSMOUNT_CLOEXEC 1
#define K_MOVE_MOUNT_F_EMPTY_PATH 0x00000004
#define K_MOVE_MOUNT_T_EMPTY_PATH 0x00000040
#define K_MOUNT_ATTR_RDONLY 0x1ULL
#define K_MOUNT_ATTR_NOSUID 0x2ULL
#define K_MOUNT_ATTR_NODEV 0x4ULL
#define K_MOUNT_ATTR_NOEXEC 0x8ULL
#define K_SECCOMP_SET_MODE_FILTER 1
#define K_CLONE_NEWTIME 0x80
#define K_LINUX_CAPABILITY_VERSION_3 0x20080522
#define K_PR_CAP_AMBIENT 47
#define K_PR_CAP_AMBIENT_RAISE 2

struct k_open_how { uint64_t flags, mode, resolve; };
struct k_mount_attr { uint64_t attr_set, attr_clr, propagation, userns_fd; };
struct k_sock_fprog { unsigned short len; const void *filter; };
struct k_cap_header { uint32_t version; int pid; };
struct k_cap_data { uint32_t effective, permitted, inheritable; };

/* Paths inside the staging tmpfs, after the first pivot_root. */
#define NEW_ROOT "/newroot"
#define OLD_ROOT "/oldroot"

static int report_fd = -1;
static int proc_tree[MAX_MOUNTS]; /* a /proc made before joining a prepared user namespace, or -1 */

__attribute__((noreturn)) static void fail(enum step step, int index) {
    struct report r = {(int32_t)step, errno, index};
    if (report_fd >= 0) {
        ssize_t ignored = write(report_fd, &r, sizeof r); /* atomic: smaller than PIPE_BUF */
        (void)ignored;
    }
    _exit(126);
}

/* ---- small string helpers (no snprintf after clone) ---- */

static void join(char *out, size_t size, const char *a, const char *b, enum step step, int index) {
    size_t la = strlen(a), lb = strlen(b);
    if (la + lb + 1 > size) {
        errno = ENAMETOOLONG;
        fail(step, index);
    }
    memcpy(out, a, la);
    memcpy(out + la, b, lb + 1);
}

/* writes v in decimal at p; returns the end */
static char *decimal(char *p, unsigned v) {
    char digits[12];
    int n = 0;
    do {
        digits[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (n) *p++ = digits[--n];
    return p;
}

/* "/oldroot/proc/self/fd/N": the host's procfs names our own fds (our host PID is its self) */
static const char *fd_path(char buf[64], int fd) {
    static const char prefix[] = OLD_ROOT "/proc/self/fd/";
    memcpy(buf, prefix, sizeof prefix - 1);
    *decimal(buf + sizeof prefix - 1, (unsigned)fd) = 0;
    return buf;
}

static unsigned long ms_flags(uint32_t f) {
    return (f & MF_RDONLY ? MS_RDONLY : 0) | (f & MF_NOSUID ? MS_NOSUID : 0)
         | (f & MF_NODEV ? MS_NODEV : 0) | (f & MF_NOEXEC ? MS_NOEXEC : 0);
}

/* ---- resolving targets inside the new root, never escaping it ---- */

/* Opens path below rootfd as if rootfd were "/": symlinks resolve inside the new root
   (RESOLVE_IN_ROOT); without openat2 (before 5.6), symlinks in the path are refused. */
static int open_in_root(int rootfd, const char *path, int flags) {
    struct k_open_how how = {(uint64_t)(flags | O_CLOEXEC), 0, K_RESOLVE_IN_ROOT | K_RESOLVE_NO_MAGICLINKS};
    int fd = (int)syscall(SYS_openat2, rootfd, path, &how, sizeof how);
    if (fd >= 0 || errno != ENOSYS) return fd;

    char buf[PATH_MAX];
    size_t len = strlen(path);
    if (len >= sizeof buf) {
        errno = ENAMETOOLONG;
        return -1;
    }
    memcpy(buf, path, len + 1);
    int cur = fcntl(rootfd, F_DUPFD_CLOEXEC, 3);
    char *comp = buf;
    while (cur >= 0) {
        while (*comp == '/') comp++;
        if (*comp == 0) return cur;
        char *slash = strchr(comp, '/');
        if (slash) *slash = 0;
        int last = slash == NULL || slash[1] == 0;
        int next = openat(cur, comp, (last ? flags : O_PATH | O_DIRECTORY) | O_NOFOLLOW | O_CLOEXEC);
        int saved = errno;
        close(cur);
        errno = saved;
        cur = next;
        if (last || cur < 0) return cur;
        comp = slash + 1;
    }
    return -1;
}

/* Opens (O_PATH) the target in the new root, creating missing directories on the way and the
   last component as a directory or an empty file. */
static int make_target(int rootfd, const char *target, int as_dir, int index) {
    char buf[PATH_MAX];
    size_t len = strlen(target);
    if (len >= sizeof buf) {
        errno = ENAMETOOLONG;
        fail(STEP_MOUNT_TARGET, index);
    }
    int fd = open_in_root(rootfd, target, O_PATH | (as_dir ? O_DIRECTORY : 0));
    if (fd >= 0 || errno != ENOENT) {
        if (fd < 0) fail(STEP_MOUNT_TARGET, index);
        return fd;
    }
    memcpy(buf, target, len + 1);
    char *tail = strrchr(buf, '/');
    if (tail && tail != buf && tail[1]) { /* usually only the tail component is missing */
        *tail = 0;
        int dir = open_in_root(rootfd, buf, O_PATH | O_DIRECTORY);
        *tail = '/';
        if (dir >= 0) {
            int r;
            if (as_dir) {
                r = mkdirat(dir, tail + 1, 0755);
            } else {
                r = openat(dir, tail + 1, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
                if (r >= 0) close(r);
            }
            close(dir);
            if (r < 0 && errno != EEXIST) fail(STEP_MOUNT_TARGET, index);
            fd = open_in_root(rootfd, target, O_PATH | (as_dir ? O_DIRECTORY : 0));
            if (fd < 0) fail(STEP_MOUNT_TARGET, index);
            return fd;
        }
        if (errno != ENOENT) fail(STEP_MOUNT_TARGET, index);
    }
    int parent = open_in_root(rootfd, "/", O_PATH | O_DIRECTORY);
    if (parent < 0) fail(STEP_MOUNT_TARGET, index);
    char *comp = buf;
    for (;;) {
        while (*comp == '/') comp++;
        if (*comp == 0) return parent;
        char *slash = strchr(comp, '/');
        if (slash) *slash = 0;
        int last = slash == NULL || slash[1] == 0;
        int dir = !last || as_dir;
        fd = open_in_root(rootfd, buf, O_PATH | (dir ? O_DIRECTORY : 0));
        if (fd < 0 && errno == ENOENT) {
            int r;
            if (dir) {
                r = mkdirat(parent, comp, 0755);
            } else {
                r = openat(parent, comp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
                if (r >= 0) close(r);
            }
            if (r < 0 && errno != EEXIST) fail(STEP_MOUNT_TARGET, index);
            fd = open_in_root(rootfd, buf, O_PATH | (dir ? O_DIRECTORY : 0));
        }
        if (fd < 0) fail(STEP_MOUNT_TARGET, index);
        close(parent);
        parent = fd;
        if (last) return fd;
        *slash = '/';
        comp = slash + 1;
    }
}

/* Splits target into its parent (opened, created if missing) and its last component. */
static int make_parent(int rootfd, const char *target, char *name, size_t name_size, int index) {
    char dir[PATH_MAX];
    const char *slash = strrchr(target, '/');
    size_t dlen = (size_t)(slash - target);
    size_t nlen = strlen(slash + 1);
    if (dlen >= sizeof dir || nlen == 0 || nlen >= name_size) {
        errno = nlen == 0 ? EINVAL : ENAMETOOLONG;
        fail(STEP_MOUNT_TARGET, index);
    }
    memcpy(dir, target, dlen);
    dir[dlen] = 0;
    memcpy(name, slash + 1, nlen + 1);
    return make_target(rootfd, dlen == 0 ? "/" : dir, 1, index);
}

/* Adds ro/nosuid/nodev/noexec to the mount whose root fd is given (mount_setattr, 5.12): 0, or
   -1 with errno (ENOSYS: too old a kernel). */
static int set_attr(int fd, uint32_t flags, int recursive) {
    uint64_t set = (flags & MF_RDONLY ? K_MOUNT_ATTR_RDONLY : 0) | (flags & MF_NOSUID ? K_MOUNT_ATTR_NOSUID : 0)
                 | (flags & MF_NODEV ? K_MOUNT_ATTR_NODEV : 0) | (flags & MF_NOEXEC ? K_MOUNT_ATTR_NOEXEC : 0);
    if (set == 0) return 0;
    struct k_mount_attr attr = {set, 0, 0, 0};
    return (int)syscall(SYS_mount_setattr, fd, "", AT_EMPTY_PATH | (recursive ? K_AT_RECURSIVE : 0), &attr, sizeof attr);
}

/* Adds ro/nosuid/nodev/noexec to the mount whose root fd is given: a bind mount ignores them
   at creation. mount_setattr (5.12) keeps locked flags and can be recursive; the fallback
   remount carries over the flags the mount already has, which a user namespace may lock. */
static void apply_flags(int fd, uint32_t flags, int recursive, enum step step, int index) {
    if (set_attr(fd, flags, recursive) == 0) return;
    if (errno != ENOSYS) fail(step, index);
    struct statvfs sv;
    if (fstatvfs(fd, &sv) < 0) fail(step, index);
    unsigned long keep = (sv.f_flag & ST_RDONLY ? MS_RDONLY : 0) | (sv.f_flag & ST_NOSUID ? MS_NOSUID : 0)
                       | (sv.f_flag & ST_NODEV ? MS_NODEV : 0) | (sv.f_flag & ST_NOEXEC ? MS_NOEXEC : 0)
                       | (sv.f_flag & ST_NOATIME ? MS_NOATIME : 0) | (sv.f_flag & ST_RELATIME ? MS_RELATIME : 0);
    char p[64];
    if (mount(NULL, fd_path(p, fd), NULL, MS_BIND | MS_REMOUNT | keep | ms_flags(flags), NULL) < 0) fail(step, index);
}

static int open_new_root(int index) {
    int fd = open(NEW_ROOT, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) fail(STEP_MOUNT_TARGET, index);
    return fd;
}

static void mount_fs(int rootfd, const struct mount_op *m, const char *type, unsigned long flags,
                     enum step step, int index) {
    char p[64];
    int fd = make_target(rootfd, m->target, 1, index);
    if (mount(type, fd_path(p, fd), type, flags, m->data[0] ? m->data : NULL) < 0) fail(step, index);
    close(fd);
}

/* OCI masked paths: a file gets the host's /dev/null bound over it read-only, a directory an
   empty read-only tmpfs; a path that does not exist needs no mask. */
static void mask_path(int rootfd, const struct mount_op *m, int idx) {
    char p1[64], p2[64];
    struct stat st;
    int fd = open_in_root(rootfd, m->target, O_PATH);
    if (fd < 0) {
        if (errno == ENOENT) return;
        fail(STEP_MOUNT_MASK, idx);
    }
    if (fstat(fd, &st) < 0) fail(STEP_MOUNT_MASK, idx);
    if (S_ISDIR(st.st_mode)) {
        if (mount("tmpfs", fd_path(p1, fd), "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=0555,size=4k") < 0)
            fail(STEP_MOUNT_MASK, idx);
        close(fd);
        return;
    }
    int null = open(OLD_ROOT "/dev/null", O_PATH | O_CLOEXEC);
    if (null < 0) fail(STEP_MOUNT_MASK, idx);
    if (mount(fd_path(p1, null), fd_path(p2, fd), NULL, MS_BIND, NULL) < 0) fail(STEP_MOUNT_MASK, idx);
    close(null);
    close(fd);
    fd = open_in_root(rootfd, m->target, O_PATH);
    if (fd < 0) fail(STEP_MOUNT_MASK, idx);
    /* not nodev: the mask is a device node, and must open (empty), not fail */
    apply_flags(fd, MF_RDONLY | MF_NOSUID | MF_NOEXEC, 0, STEP_MOUNT_MASK, idx);
    close(fd);
}

/* With a prepared user namespace, the PID namespace (the clone's) belongs to the launcher's:
   only there may its /proc be made. So it is made here, detached (fsopen, fsmount), before
   this process joins the user namespace, and attached with the other mounts. */
static void prepare_proc_mounts(const struct plan *pl) {
    char opts[256];
    for (size_t i = 0; i < pl->n_mounts; i++) {
        const struct mount_op *m = &pl->mounts[i];
        int idx = (int)i;
        proc_tree[i] = -1;
        if (m->kind != MOUNT_PROC) continue;
        int fs = (int)syscall(SYS_fsopen, "proc", K_FSOPEN_CLOEXEC);
        if (fs < 0) fail(STEP_MOUNT_PROC, idx);
        size_t len = strlen(m->data);
        if (len >= sizeof opts) {
            errno = E2BIG;
            fail(STEP_MOUNT_PROC, idx);
        }
        memcpy(opts, m->data, len + 1);
        for (char *key = opts, *next; key && *key; key = next) { /* "k=v,flag,..." as mount(2) takes it */
            next = strchr(key, ',');
            if (next) *next++ = 0;
            char *value = strchr(key, '=');
            if (value) *value++ = 0;
            if (syscall(SYS_fsconfig, fs, value ? K_FSCONFIG_SET_STRING : K_FSCONFIG_SET_FLAG, key, value, 0) < 0)
                fail(STEP_MOUNT_PROC, idx);
        }
        if (syscall(SYS_fsconfig, fs, K_FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0) fail(STEP_MOUNT_PROC, idx);
        proc_tree[i] = (int)syscall(SYS_fsmount, fs, K_FSMOUNT_CLOEXEC,
                                    K_MOUNT_ATTR_NOSUID | K_MOUNT_ATTR_NODEV | K_MOUNT_ATTR_NOEXEC);
        if (proc_tree[i] < 0) fail(STEP_MOUNT_PROC, idx);
        close(fs);
    }
}

static void set_up_mounts(const struct plan *pl, const struct child_fds *fds) {
    char path[PATH_MAX], p1[64], p2[64], name[NAME_MAX + 1];
    if (mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL) < 0) fail(STEP_MOUNT_PROPAGATION, 0);
    if (mount("tmpfs", pl->staging, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755,size=64k") < 0)
        fail(STEP_MOUNT_STAGING, 0);
    if (chdir(pl->staging) < 0 || mkdir("newroot", 0755) < 0 || mkdir("oldroot", 0755) < 0)
        fail(STEP_MOUNT_STAGING, 0);
    if (syscall(SYS_pivot_root, ".", "oldroot") < 0) fail(STEP_PIVOT_STAGING, 0);
    if (chdir("/") < 0) fail(STEP_PIVOT_STAGING, 0);

    /* overlay layers cloned by the launcher: attached in the staging tmpfs, where overlay, which
       wants layers of this mount namespace, can use them; detached with the staging tmpfs */
    for (size_t i = 0; i < pl->n_mounts; i++) {
        if (fds->overlay_count[i] == 0) continue;
        char dir[32] = "/ovl-", *end = dir + 5;
        end = decimal(end, (unsigned)i);
        *end = 0;
        if (mkdir(dir, 0700) < 0) fail(STEP_MOUNT_OVERLAY, (int)i);
        *end++ = '/';
        for (int k = 0; k < fds->overlay_count[i]; k++) {
            *decimal(end, (unsigned)k) = 0;
            if (mkdir(dir, 0700) < 0) fail(STEP_MOUNT_OVERLAY, (int)i);
            int tree = fds->overlay_trees[fds->overlay_first[i] + k];
            if (syscall(SYS_move_mount, tree, "", AT_FDCWD, dir, K_MOVE_MOUNT_F_EMPTY_PATH) < 0)
                fail(STEP_MOUNT_OVERLAY, (int)i);
            close(tree);
        }
    }

    int rootfd = open_new_root(0);
    for (size_t i = 0; i < pl->n_mounts; i++) {
        const struct mount_op *m = &pl->mounts[i];
        int idx = (int)i, is_root = strcmp(m->target, "/") == 0, fd;
        switch (m->kind) {
        case MOUNT_BIND: {
            struct stat st;
            int tree = fds->bind_tree[i], src = tree;
            if (src < 0) { /* not prepared (an unprivileged launcher): the source by its path */
                join(path, sizeof path, OLD_ROOT, m->source, STEP_MOUNT_BIND, idx);
                src = open(path, O_PATH | O_CLOEXEC);
            }
            if (src < 0 || fstat(src, &st) < 0) fail(STEP_MOUNT_BIND, idx);
            if (is_root && !S_ISDIR(st.st_mode)) {
                errno = ENOTDIR;
                fail(STEP_MOUNT_BIND, idx);
            }
            fd = make_target(rootfd, m->target, S_ISDIR(st.st_mode), idx);
            /* a detached copy takes its flags before it is attached: no second lookup */
            int flagged = tree >= 0 && set_attr(tree, m->flags, (m->flags & MF_RECURSIVE) != 0) == 0;
            if (tree >= 0 && !flagged && errno != ENOSYS) fail(STEP_MOUNT_BIND_FLAGS, idx);
            if (tree >= 0) {
                if (syscall(SYS_move_mount, tree, "", fd, "", K_MOVE_MOUNT_F_EMPTY_PATH | K_MOVE_MOUNT_T_EMPTY_PATH) < 0)
                    fail(STEP_MOUNT_BIND, idx);
            } else if (mount(fd_path(p1, src), fd_path(p2, fd), NULL, MS_BIND | (m->flags & MF_RECURSIVE ? MS_REC : 0),
                             NULL) < 0) {
                fail(STEP_MOUNT_BIND, idx);
            }
            close(src);
            close(fd);
            if (is_root) {
                close(rootfd);
                rootfd = open_new_root(idx);
            }
            if (flagged) break;
            fd = is_root ? fcntl(rootfd, F_DUPFD_CLOEXEC, 3) : open_in_root(rootfd, m->target, O_PATH);
            if (fd < 0) fail(STEP_MOUNT_BIND_FLAGS, idx);
            apply_flags(fd, m->flags, (m->flags & MF_RECURSIVE) != 0, STEP_MOUNT_BIND_FLAGS, idx);
            close(fd);
            break;
        }
        case MOUNT_TMPFS:
            mount_fs(rootfd, m, "tmpfs", ms_flags(m->flags), STEP_MOUNT_TMPFS, idx);
            if (is_root) {
                close(rootfd);
                rootfd = open_new_root(idx);
            }
            break;
        case MOUNT_PROC:
            if (proc_tree[i] < 0) {
                mount_fs(rootfd, m, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, STEP_MOUNT_PROC, idx);
                break;
            }
            fd = make_target(rootfd, m->target, 1, idx);
            if (syscall(SYS_move_mount, proc_tree[i], "", fd, "", K_MOVE_MOUNT_F_EMPTY_PATH | K_MOVE_MOUNT_T_EMPTY_PATH) < 0)
                fail(STEP_MOUNT_PROC, idx);
            close(proc_tree[i]);
            close(fd);
            break;
        case MOUNT_DEVPTS:
            mount_fs(rootfd, m, "devpts", MS_NOSUID | MS_NOEXEC, STEP_MOUNT_DEVPTS, idx);
            break;
        case MOUNT_MQUEUE:
            mount_fs(rootfd, m, "mqueue", MS_NOSUID | MS_NODEV | MS_NOEXEC, STEP_MOUNT_MQUEUE, idx);
            break;
        case MOUNT_MKDIR:
            fd = make_target(rootfd, m->target, 1, idx);
            if (chmod(fd_path(p1, fd), m->mode) < 0) fail(STEP_MAKE_DIR, idx);
            close(fd);
            break;
        case MOUNT_SYMLINK:
            fd = make_parent(rootfd, m->target, name, sizeof name, idx);
            if (symlinkat(m->source, fd, name) < 0) fail(STEP_MAKE_SYMLINK, idx);
            close(fd);
            break;
        case MOUNT_MKNOD:
            fd = make_parent(rootfd, m->target, name, sizeof name, idx);
            if (mknodat(fd, name, S_IFCHR | (m->mode & 07777), makedev(m->major, m->minor)) < 0)
                fail(STEP_MAKE_FILE, idx);
            close(fd);
            break;
        case MOUNT_MASK:
            mask_path(rootfd, m, idx);
            break;
        case MOUNT_READONLY:
            fd = open_in_root(rootfd, m->target, O_PATH);
            if (fd < 0) {
                if (errno == ENOENT) break; /* nothing to protect */
                fail(STEP_MOUNT_READONLY, idx);
            }
            if (mount(fd_path(p1, fd), fd_path(p2, fd), NULL, MS_BIND | MS_REC, NULL) < 0) fail(STEP_MOUNT_READONLY, idx);
            close(fd);
            fd = open_in_root(rootfd, m->target, O_PATH);
            if (fd < 0) fail(STEP_MOUNT_READONLY, idx);
            apply_flags(fd, MF_RDONLY | MF_NOSUID | MF_NODEV | MF_NOEXEC, 1, STEP_MOUNT_READONLY, idx);
            close(fd);
            break;
        case MOUNT_OVERLAY: {
            fd = make_target(rootfd, m->target, 1, idx);
            if (mount("overlay", fd_path(p1, fd), "overlay", ms_flags(m->flags), fds->overlay_options[i]) < 0)
                fail(STEP_MOUNT_OVERLAY, idx);
            close(fd);
            if (is_root) {
                close(rootfd);
                rootfd = open_new_root(idx);
            }
            break;
        }
        default:
            errno = EINVAL;
            fail(STEP_MOUNT_TARGET, idx);
        }
    }
    if (pl->root_readonly) apply_flags(rootfd, MF_RDONLY, 0, STEP_REMOUNT_ROOT_READONLY, 0);
    close(rootfd);

    if (chdir(NEW_ROOT) < 0) fail(STEP_PIVOT_ROOT, 0);
    /* put the staging tmpfs on top of the new root, then detach it (runc's trick), and with it
       the host's tree below it at /oldroot: one detach, one RCU grace period, not two */
    if (syscall(SYS_pivot_root, ".", ".") < 0) fail(STEP_PIVOT_ROOT, 0);
    if (umount2(".", MNT_DETACH) < 0) fail(STEP_DETACH_OLD_ROOT, 0);
    if (chdir("/") < 0) fail(STEP_PIVOT_ROOT, 2);
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
            if (errno != ENOSYS) fail(STEP_CLOSE_FDS, 0);
            int max = (int)sysconf(_SC_OPEN_MAX);
            for (int fd = from; fd <= to && fd < max; fd++) close(fd);
        }
        if (i < n) from = keep[i] + 1;
    }
}

static void set_capabilities(const struct plan *pl) {
    for (int cap = 0; cap <= launcher_last_cap; cap++) {
        if (pl->cap_bounding & (1ULL << cap)) continue;
        if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 && errno != EINVAL) fail(STEP_CAP_BOUNDING, cap);
    }
}

static void set_capability_sets(const struct plan *pl) {
    struct k_cap_header h = {K_LINUX_CAPABILITY_VERSION_3, 0};
    struct k_cap_data d[2] = {
        {(uint32_t)pl->cap_effective, (uint32_t)pl->cap_permitted, (uint32_t)pl->cap_inheritable},
        {(uint32_t)(pl->cap_effective >> 32), (uint32_t)(pl->cap_permitted >> 32), (uint32_t)(pl->cap_inheritable >> 32)},
    };
    if (syscall(SYS_capset, &h, d) < 0) fail(STEP_CAPSET, 0);
    for (int cap = 0; cap < 64; cap++) {
        if (!(pl->cap_ambient & (1ULL << cap))) continue;
        if (prctl(K_PR_CAP_AMBIENT, K_PR_CAP_AMBIENT_RAISE, cap, 0, 0) < 0) fail(STEP_CAP_AMBIENT, cap);
    }
}

/* Finds the program as execvpe would (first EACCES wins over ENOENT) and opens it O_PATH onto
   exec_fd, close-on-exec: the seccomp filter may then allow exactly execveat(exec_fd, "", ...,
   AT_EMPTY_PATH). The exec permission itself is checked by execveat, as the final user. */
static void open_exec_fd(const struct plan *pl) {
    const char *cmd = pl->args[0];
    char path[PATH_MAX];
    int fd = -1, seen_eacces = 0;
    if (strchr(cmd, '/') || pl->search_path == NULL) {
        fd = open(cmd, O_PATH | O_CLOEXEC);
        if (fd < 0) fail(STEP_EXEC, 0);
    } else {
        size_t clen = strlen(cmd);
        for (const char *dir = pl->search_path; fd < 0; ) {
            const char *end = strchr(dir, ':');
            size_t dlen = end ? (size_t)(end - dir) : strlen(dir);
            if (dlen + 1 + clen + 1 <= sizeof path) {
                memcpy(path, dlen ? dir : ".", dlen ? dlen : 1);
                size_t at = dlen ? dlen : 1;
                path[at] = '/';
                memcpy(path + at + 1, cmd, clen + 1);
                fd = open(path, O_PATH | O_CLOEXEC);
                if (fd >= 0) {
                    struct stat st;
                    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || faccessat(AT_FDCWD, path, X_OK, AT_EACCESS) < 0) {
                        close(fd);
                        fd = -1;
                        seen_eacces = 1;
                    }
                } else if (errno == EACCES) {
                    seen_eacces = 1;
                } else if (errno != ENOENT && errno != ENOTDIR && errno != ENAMETOOLONG) {
                    fail(STEP_EXEC, 0);
                }
            }
            if (!end) break;
            dir = end + 1;
        }
        if (fd < 0) {
            errno = seen_eacces ? EACCES : ENOENT;
            fail(STEP_EXEC, 0);
        }
    }
    if (dup3(fd, (int)pl->exec_fd, O_CLOEXEC) < 0) fail(STEP_EXEC_FD_OPEN, 0);
    close(fd);
}

__attribute__((noreturn)) static void exec_command(const struct plan *pl, const struct child_fds *fds) {
    struct sigaction dfl;
    sigset_t none;
    memset(&dfl, 0, sizeof dfl);
    dfl.sa_handler = SIG_DFL;
    /* execve resets handled signals; ignored ones (the launcher's, found at its start) stay */
    for (int sig = 1; sig < _NSIG; sig++) {
        if (!sigismember(&launcher_ignored_signals, sig) || sig == SIGKILL || sig == SIGSTOP) continue;
        if (sigaction(sig, &dfl, NULL) < 0 && errno != EINVAL) fail(STEP_RESET_SIGNALS, sig);
    }
    sigemptyset(&none);
    if (sigprocmask(SIG_SETMASK, &none, NULL) < 0) fail(STEP_RESET_SIGNALS, 0);

    for (int i = 0; i < 3; i++) /* the sources are distinct and >= 3, so order does not matter */
        if (dup2(fds->stdio[i], i) < 0) fail(STEP_STDIO_DUP, i);
    if (syscall(SYS_close_range, 3U, ~0U, K_CLOSE_RANGE_CLOEXEC) < 0) {
        if (errno != ENOSYS) fail(STEP_CLOSE_FDS, 1);
        /* before 5.11: every fd the launcher opens is close-on-exec already */
    }

    umask(pl->has_umask ? pl->umask : 022);
    if (pl->cwd && chdir(pl->cwd) < 0) fail(STEP_CHDIR, 0);
    /* before the rlimits: a file limit at or below exec_fd would forbid the dup */
    if (pl->has_exec_fd) open_exec_fd(pl);
    for (size_t i = 0; i < pl->n_rlimits; i++) {
        struct rlimit rl = {(rlim_t)pl->rlimits[i].soft, (rlim_t)pl->rlimits[i].hard};
        if (setrlimit((int)pl->rlimits[i].resource, &rl) < 0) fail(STEP_RLIMIT, (int)i);
    }
    if (pl->has_caps) {
        set_capabilities(pl);
        if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0) fail(STEP_CAPSET, 1);
    }
    if (pl->has_user) {
        gid_t groups[MAX_GROUPS];
        for (size_t i = 0; i < pl->n_groups; i++) groups[i] = pl->groups[i];
        /* with setgroups denied (rootless), the groups stay the caller's own; otherwise they are
           replaced, so no supplementary group of the launcher (root's 0) survives */
        /* raw system calls: this process shares the init's memory until it execs (see run_init),
           where a libc's wrapper might act for every thread it believes the process has */
        if (!pl->deny_setgroups && syscall(SYS_setgroups, pl->n_groups, groups) < 0) fail(STEP_SETGROUPS, 0);
        if (syscall(SYS_setresgid, pl->gid, pl->gid, pl->gid) < 0) fail(STEP_SETGID, 0);
        if (syscall(SYS_setresuid, pl->uid, pl->uid, pl->uid) < 0) fail(STEP_SETUID, 0);
    }
    if (pl->has_caps) {
        if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0) fail(STEP_CAPSET, 2);
        set_capability_sets(pl);
    }
    if (pl->no_new_privs && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) fail(STEP_NO_NEW_PRIVS, 0);
    if (pl->seccomp) {
        struct k_sock_fprog prog = {(unsigned short)(pl->seccomp_len / 8), pl->seccomp};
        if (syscall(SYS_seccomp, K_SECCOMP_SET_MODE_FILTER, 0, &prog) < 0) fail(STEP_SECCOMP, 0);
    }

    char *const *argv = (char *const *)pl->args;
    char *const *envp = (char *const *)pl->env;
    const char *cmd = pl->args[0];
    if (pl->has_exec_fd) {
        syscall(SYS_execveat, (int)pl->exec_fd, "", argv, envp, AT_EMPTY_PATH);
        fail(STEP_EXEC, 0);
    }
    if (strchr(cmd, '/') || pl->search_path == NULL) {
        execve(cmd, argv, envp);
        fail(STEP_EXEC, 0);
    }
    /* execvpe's search, without malloc: the first EACCES wins over ENOENT */
    char path[PATH_MAX];
    int seen_eacces = 0;
    size_t clen = strlen(cmd);
    for (const char *dir = pl->search_path; ; ) {
        const char *end = strchr(dir, ':');
        size_t dlen = end ? (size_t)(end - dir) : strlen(dir);
        if (dlen + 1 + clen + 1 <= sizeof path) {
            memcpy(path, dlen ? dir : ".", dlen ? dlen : 1);
            size_t at = dlen ? dlen : 1;
            path[at] = '/';
            memcpy(path + at + 1, cmd, clen + 1);
            execve(path, argv, envp);
            if (errno == EACCES) seen_eacces = 1;
            else if (errno != ENOENT && errno != ENOTDIR && errno != ENAMETOOLONG) fail(STEP_EXEC, 0);
        }
        if (!end) break;
        dir = end + 1;
    }
    errno = seen_eacces ? EACCES : ENOENT;
    fail(STEP_EXEC, 0);
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
    if (sigprocmask(SIG_BLOCK, &all, NULL) < 0) fail(STEP_INIT_FORK, 0);
    /* named before the command starts: it may look at /proc/1/comm at once */
    prctl(PR_SET_NAME, "corral-init", 0, 0, 0);
    struct command_args args = {pl, fds};
    pid_t cmd = clone(command_main, command_stack + sizeof command_stack, CLONE_VM | CLONE_VFORK | SIGCHLD, &args);
    if (cmd < 0) fail(STEP_INIT_FORK, 1);

    close(fds->report);
    report_fd = -1;
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
    struct pollfd p = {report_fd, 0, 0}; /* a pipe's write end polls POLLERR when its reader closed */
    if (poll(&p, 1, 0) == 1 && (p.revents & POLLERR)) _exit(126);
}

/* Moves this process into its cgroups through the files the launcher opened (v1 tasks files,
   then a v2 cgroup.procs where clone3 could not put it there), and closes them: the command
   must not have them. It is still the only thread of its process, so a v1 tasks file moves all
   of it, without the machine-wide lock the kernel takes to move a whole process through
   cgroup.procs (which costs several times as much). */
static void join_cgroups(const struct plan *pl, const struct child_fds *fds, int join_v2) {
    size_t n_join = pl->n_cgroups + (join_v2 ? 1 : 0);
    for (size_t i = 0; i < n_join; i++) {
        ssize_t w;
        errno = EBADF; /* a v2 file to join through that the launcher did not open */
        do w = fds->cgroup_join[i] < 0 ? -1 : write(fds->cgroup_join[i], "0", 1); while (w < 0 && errno == EINTR);
        if (w != 1) fail(STEP_CGROUP_JOIN, (int)i);
    }
    for (size_t i = 0; i <= pl->n_cgroups; i++)
        if (fds->cgroup_join[i] >= 0) close(fds->cgroup_join[i]);
}

void container_main(const struct plan *pl, const struct child_fds *fds) {
    int at, pooled = fds->pooled_ns[POOLED_NET] >= 0, pooled_user = fds->pooled_ns[POOLED_USER] >= 0;
    report_fd = fds->report;
    close_all_but(fds->keep, fds->n_keep);
    if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0) fail(STEP_PARENT_DEATH_SIGNAL, 0);

    char go;
    ssize_t n;
    do n = read(fds->release, &go, 1); while (n < 0 && errno == EINTR);
    if (n != 1) {
        if (n == 0) errno = EPIPE;
        fail(STEP_WAIT_FOR_PARENT, 0);
    }
    close(fds->release);
    for (size_t i = 0; i < pl->n_mounts; i++) proc_tree[i] = -1;
    if (pooled_user) { /* prepared with its maps; it owns the other prepared namespaces */
        if (pl->clone_flags & CLONE_NEWNS) prepare_proc_mounts(pl);
        if (setns(fds->pooled_ns[POOLED_USER], CLONE_NEWUSER) < 0) fail(STEP_NAMESPACE_JOIN, POOLED_USER);
        close(fds->pooled_ns[POOLED_USER]);
    }
    /* In a user namespace, become its root at once: until then this process is still the
       launcher's host user (unmapped: files it creates would overflow), and the init that stays
       behind must not be host root either. With setgroups allowed, the host's supplementary
       groups (root's 0) are dropped here too. */
    if (pl->clone_flags & CLONE_NEWUSER) {
        if (!pl->deny_setgroups && setgroups(0, NULL) < 0) fail(STEP_SETGROUPS, 1);
        /* EINVAL: 0 is not mapped (a map of the caller as itself): it stays the caller */
        if (setresgid(0, 0, 0) < 0 && errno != EINVAL) fail(STEP_SETGID, 1);
        if (setresuid(0, 0, 0) < 0 && errno != EINVAL) fail(STEP_SETUID, 1);
    }
    /* After the launcher wrote our ID maps (which needs us dumpable): nothing in the container
       may read this process's memory or open /proc/1/exe, which is the launcher. A change of
       credentials clears the parent-death signal: set again, with a look at the launcher in
       case it died in between. */
    if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0) fail(STEP_PARENT_DEATH_SIGNAL, 1);
    if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0) fail(STEP_PARENT_DEATH_SIGNAL, 2);
    exit_if_orphaned();

    if (pooled) { /* the launcher prepared these while idle */
        static const int kinds[POOLED_USER] = {CLONE_NEWNET, CLONE_NEWIPC, CLONE_NEWUTS};
        for (int k = 0; k < POOLED_USER; k++) {
            if (setns(fds->pooled_ns[k], kinds[k]) < 0) fail(STEP_NAMESPACE_JOIN, k);
            close(fds->pooled_ns[k]);
        }
    }
    if (pooled_user && (pl->clone_flags & CLONE_NEWNS) && unshare(CLONE_NEWNS) < 0) fail(STEP_UNSHARE_MOUNT, 0);
    /* CLONE_NEWTIME cannot go to clone(2) (its bit is part of the exit signal): the init's
       children, and the command when it is PID 1 from its exec on, enter it */
    if ((pl->clone_flags & K_CLONE_NEWTIME) && unshare(K_CLONE_NEWTIME) < 0) fail(STEP_UNSHARE_TIME, 0);
    if (setsid() < 0) fail(STEP_SETSID, 0);
    umask(0);
    if (pl->clone_flags & CLONE_NEWNS) set_up_mounts(pl, fds);
    if (pl->hostname && sethostname(pl->hostname, strlen(pl->hostname)) < 0) fail(STEP_SET_HOSTNAME, 0);
    if (pl->loopback && !pooled && loopback_up(&at) < 0) fail(STEP_LOOPBACK_UP, at); /* a prepared one has lo up */

    /* Into its cgroups, now that the mounts are made (their kernel objects are the launcher's
       business, not charged to the container's memory cgroup), before the command and every
       process it starts; then the cgroup namespace, rooted there. */
    join_cgroups(pl, fds, go == RELEASE_JOIN_V2);
    if ((pl->clone_flags & CLONE_NEWCGROUP) && unshare(CLONE_NEWCGROUP) < 0) fail(STEP_UNSHARE_CGROUP, 0);

    if (pl->command_as_pid1) exec_command(pl, fds);
    run_init(pl, fds);
}
