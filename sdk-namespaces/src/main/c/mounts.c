/*
 * The container's mount table, in its first process between clone and execve (so
 * async-signal-safe, like container.c): into a staging tmpfs, every mount operation of the plan
 * below the new root, which is resolved without ever leaving it, then pivot_root into it.
 */
#include "launcher.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>
#include <unistd.h>

/* Kernel interfaces newer than some libcs' headers; the numbers are the same on x86_64 and
   aarch64 (the unified syscall table since Linux 5.1). */
#ifndef SYS_openat2
#define SYS_openat2 437
#endif
#define K_RESOLVE_NO_MAGICLINKS 0x02ULL
#define K_RESOLVE_IN_ROOT 0x10ULL
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

struct k_open_how { uint64_t flags, mode, resolve; };
struct k_mount_attr { uint64_t attr_set, attr_clr, propagation, userns_fd; };

/* Paths inside the staging tmpfs, after the first pivot_root. */
#define NEW_ROOT "/newroot"
#define OLD_ROOT "/oldroot"

/* The file systems made before joining a user namespace (mounts_prepare_early), by mount
   index; prepared: 0 when none were made (tree is then unset). */
static struct {
    int prepared;
    int tree[MAX_MOUNTS];
} mnt;

/* ---- small string helpers (no snprintf after clone) ---- */

static void join(char *out, size_t size, const char *a, const char *b, enum step step, int index) {
    size_t la = strlen(a), lb = strlen(b);
    if (la + lb + 1 > size) {
        errno = ENAMETOOLONG;
        child_fail(step, index);
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

/* MF_RDONLY..MF_NOEXEC as mount_setattr/fsmount's MOUNT_ATTR_* bits */
static uint64_t attr_bits(uint32_t f) {
    return (f & MF_RDONLY ? K_MOUNT_ATTR_RDONLY : 0) | (f & MF_NOSUID ? K_MOUNT_ATTR_NOSUID : 0)
         | (f & MF_NODEV ? K_MOUNT_ATTR_NODEV : 0) | (f & MF_NOEXEC ? K_MOUNT_ATTR_NOEXEC : 0);
}

static unsigned long ms_flags(uint32_t f) {
    return (f & MF_RDONLY ? MS_RDONLY : 0) | (f & MF_NOSUID ? MS_NOSUID : 0)
         | (f & MF_NODEV ? MS_NODEV : 0) | (f & MF_NOEXEC ? MS_NOEXEC : 0);
}

/* ---- resolving targets inside the new root, never escaping it ---- */

/* Opens path below rootfd as if rootfd were "/": symlinks resolve inside the new root
   (openat2 RESOLVE_IN_ROOT, 5.6, the oldest kernel Corral supports). */
static int open_in_root(int rootfd, const char *path, int flags) {
    struct k_open_how how = {(uint64_t)(flags | O_CLOEXEC), 0, K_RESOLVE_IN_ROOT | K_RESOLVE_NO_MAGICLINKS};
    return (int)syscall(SYS_openat2, rootfd, path, &how, sizeof how);
}

/* Creates name in dir, a directory or an empty file; 0 if it is there now, or -1 with errno. */
static int create_in(int dir, const char *name, int as_dir) {
    int r = as_dir ? mkdirat(dir, name, 0755) : openat(dir, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (r >= 0 && !as_dir) close(r);
    return r < 0 && errno != EEXIST ? -1 : 0;
}

/* Opens (O_PATH) the target in the new root, creating missing directories on the way and the
   last component as a directory or an empty file. */
static int make_target(int rootfd, const char *target, int as_dir, int index) {
    char buf[PATH_MAX];
    size_t len = strlen(target);
    int fd = open_in_root(rootfd, target, O_PATH | (as_dir ? O_DIRECTORY : 0));
    if (fd >= 0 || errno != ENOENT) {
        if (fd < 0) child_fail(STEP_MOUNT_TARGET, index);
        return fd;
    }
    if (len >= sizeof buf) {
        errno = ENAMETOOLONG;
        child_fail(STEP_MOUNT_TARGET, index);
    }
    memcpy(buf, target, len + 1);
    char *tail = strrchr(buf, '/');
    if (tail && tail != buf && tail[1]) { /* usually only the tail component is missing */
        *tail = 0;
        int dir = open_in_root(rootfd, buf, O_PATH | O_DIRECTORY);
        *tail = '/';
        if (dir >= 0) {
            int r = create_in(dir, tail + 1, as_dir);
            close(dir);
            if (r < 0) child_fail(STEP_MOUNT_TARGET, index);
            fd = open_in_root(rootfd, target, O_PATH | (as_dir ? O_DIRECTORY : 0));
            if (fd < 0) child_fail(STEP_MOUNT_TARGET, index);
            return fd;
        }
        if (errno != ENOENT) child_fail(STEP_MOUNT_TARGET, index);
    }
    int parent = open_in_root(rootfd, "/", O_PATH | O_DIRECTORY);
    if (parent < 0) child_fail(STEP_MOUNT_TARGET, index);
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
            if (create_in(parent, comp, dir) < 0) child_fail(STEP_MOUNT_TARGET, index);
            fd = open_in_root(rootfd, buf, O_PATH | (dir ? O_DIRECTORY : 0));
        }
        if (fd < 0) child_fail(STEP_MOUNT_TARGET, index);
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
        child_fail(STEP_MOUNT_TARGET, index);
    }
    memcpy(dir, target, dlen);
    dir[dlen] = 0;
    memcpy(name, slash + 1, nlen + 1);
    return make_target(rootfd, dlen == 0 ? "/" : dir, 1, index);
}

/* The target, opened as make_target does; with MF_IF_EXISTS, -1 (ENOENT) when it is missing. */
static int target_of(int rootfd, const struct mount_op *m, int as_dir, int index) {
    if (!(m->flags & MF_IF_EXISTS)) return make_target(rootfd, m->target, as_dir, index);
    int fd = open_in_root(rootfd, m->target, O_PATH | (as_dir ? O_DIRECTORY : 0));
    if (fd < 0 && errno != ENOENT) child_fail(STEP_MOUNT_TARGET, index);
    return fd;
}

/* Adds ro/nosuid/nodev/noexec to the mount whose root fd is given (mount_setattr, 5.12): 0, or
   -1 with errno (ENOSYS: too old a kernel). */
static int set_attr(int fd, uint32_t flags, int recursive) {
    uint64_t set = attr_bits(flags);
    if (set == 0) return 0;
    struct k_mount_attr attr = {set, 0, 0, 0};
    return (int)syscall(SYS_mount_setattr, fd, "", AT_EMPTY_PATH | (recursive ? K_AT_RECURSIVE : 0), &attr, sizeof attr);
}

/* Adds ro/nosuid/nodev/noexec to the mount whose root fd is given: a bind mount ignores them
   at creation. mount_setattr (5.12) keeps locked flags and can be recursive; the fallback
   remount carries over the flags the mount already has, which a user namespace may lock. */
static void apply_flags(int fd, uint32_t flags, int recursive, enum step step, int index) {
    if (set_attr(fd, flags, recursive) == 0) return;
    if (errno != ENOSYS) child_fail(step, index);
    struct statvfs sv;
    if (fstatvfs(fd, &sv) < 0) child_fail(step, index);
    unsigned long keep = (sv.f_flag & ST_RDONLY ? MS_RDONLY : 0) | (sv.f_flag & ST_NOSUID ? MS_NOSUID : 0)
                       | (sv.f_flag & ST_NODEV ? MS_NODEV : 0) | (sv.f_flag & ST_NOEXEC ? MS_NOEXEC : 0)
                       | (sv.f_flag & ST_NOATIME ? MS_NOATIME : 0) | (sv.f_flag & ST_RELATIME ? MS_RELATIME : 0);
    char p[64];
    if (mount(NULL, fd_path(p, fd), NULL, MS_BIND | MS_REMOUNT | keep | ms_flags(flags), NULL) < 0) child_fail(step, index);
}

static int open_new_root(int index) {
    int fd = open(NEW_ROOT, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) child_fail(STEP_OPEN_NEW_ROOT, index);
    return fd;
}

/* A file system made detached (fsopen, fsconfig, fsmount): its tree. Its data is "k=v,flag,..."
   as mount(2) takes it. */
static int detached_fs(const struct mount_op *m, int idx) {
    char opts[256];
    int fs = (int)syscall(SYS_fsopen, m->source, K_FSOPEN_CLOEXEC);
    if (fs < 0) child_fail(STEP_MOUNT_FS_OPEN, idx);
    size_t len = strlen(m->data);
    if (len >= sizeof opts) {
        errno = E2BIG;
        child_fail(STEP_MOUNT_FS_CONFIG, idx);
    }
    memcpy(opts, m->data, len + 1);
    for (char *key = opts, *next; key && *key; key = next) {
        next = strchr(key, ',');
        if (next) *next++ = 0;
        char *value = strchr(key, '=');
        if (value) *value++ = 0;
        if (syscall(SYS_fsconfig, fs, value ? K_FSCONFIG_SET_STRING : K_FSCONFIG_SET_FLAG, key, value, 0) < 0)
            child_fail(STEP_MOUNT_FS_CONFIG, idx);
    }
    if (syscall(SYS_fsconfig, fs, K_FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0) child_fail(STEP_MOUNT_FS_CREATE, idx);
    int tree = (int)syscall(SYS_fsmount, fs, K_FSMOUNT_CLOEXEC, attr_bits(m->flags));
    if (tree < 0) child_fail(STEP_MOUNT_FS_DETACHED, idx);
    close(fs);
    return tree;
}

/* With a user namespace to join, the PID namespace (the clone's) belongs to the launcher's:
   only there may its /proc be made. So the plan's MF_BEFORE_USERNS file systems are made here,
   detached, before this process joins the user namespace, and attached with the other mounts. */
void mounts_prepare_early(const struct plan *pl) {
    mnt.prepared = 1;
    for (size_t i = 0; i < pl->n[TAG_MOUNT]; i++) {
        const struct mount_op *m = &pl->mounts[i];
        int early = m->kind == MOUNT_FS && (m->flags & MF_BEFORE_USERNS);
        mnt.tree[i] = early ? detached_fs(m, (int)i) : -1;
    }
}

/* Mounts the staging tmpfs on the plan's staging directory and pivots into it: the new root is
   built at /newroot, the host's stays reachable at /oldroot until the final pivot. */
static void enter_staging(const struct plan *pl) {
    if (mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL) < 0) child_fail(STEP_MOUNT_PROPAGATION, 0);
    if (mount("tmpfs", pl->staging, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755,size=64k") < 0)
        child_fail(STEP_MOUNT_STAGING, 0);
    if (chdir(pl->staging) < 0) child_fail(STEP_STAGING_CHDIR, 0);
    if (mkdir("newroot", 0755) < 0) child_fail(STEP_STAGING_MKDIR, 0);
    if (mkdir("oldroot", 0755) < 0) child_fail(STEP_STAGING_MKDIR, 1);
    if (syscall(SYS_pivot_root, ".", "oldroot") < 0) child_fail(STEP_PIVOT_STAGING, 0);
    if (chdir("/") < 0) child_fail(STEP_STAGING_CHDIR, 1);
}

/* Mount trees the JVM cloned (FD_ATTACH_IN_STAGING) attached in the staging tmpfs at /ovl-N,
   where overlay, which wants layers of this mount namespace, can use them; detached with the
   staging tmpfs. */
static void attach_in_staging(const struct plan *pl) {
    for (size_t i = 0; i < pl->n[TAG_FD_ATTACH_IN_STAGING]; i++) {
        char dir[32] = "/ovl-";
        *decimal(dir + 5, pl->attach[i]) = 0;
        if (mkdir(dir, 0700) < 0) child_fail(STEP_OVERLAY_LAYER_DIR, (int)i);
        int tree = pl->fd[pl->attach[i]];
        if (syscall(SYS_move_mount, tree, "", AT_FDCWD, dir, K_MOVE_MOUNT_F_EMPTY_PATH) < 0)
            child_fail(STEP_OVERLAY_LAYER_ATTACH, (int)i);
        close(tree);
    }
}

/* A bind's source: the tree the JVM cloned, or opened by its path, on the host (below /oldroot)
   or with MF_IN_ROOT in the new root; -1 (ENOENT) for a missing one with MF_IF_EXISTS. */
static int bind_source(int rootfd, const struct mount_op *m, int tree, int idx) {
    char path[PATH_MAX];
    int src = tree;
    if (src >= 0) return src;
    if (m->flags & MF_IN_ROOT) {
        src = open_in_root(rootfd, m->source, O_PATH);
    } else { /* not cloned (an unprivileged JVM): the source by its path */
        join(path, sizeof path, OLD_ROOT, m->source, STEP_MOUNT_BIND, idx);
        src = open(path, O_PATH | O_CLOEXEC);
    }
    /* opening the source is the bind's first part */
    if (src < 0 && !(errno == ENOENT && (m->flags & MF_IF_EXISTS))) child_fail(STEP_MOUNT_BIND, idx);
    return src;
}

/* A bind onto the target, with its flags. Returns rootfd, reopened if the bind replaced the root. */
static int bind_mount(int rootfd, const struct mount_op *m, int tree, int idx) {
    char p1[64], p2[64];
    struct stat st;
    int is_root = strcmp(m->target, "/") == 0, src = bind_source(rootfd, m, tree, idx), fd;
    if (src < 0) return rootfd;
    if (fstat(src, &st) < 0) child_fail(STEP_MOUNT_BIND_SOURCE_STAT, idx);
    if (is_root && !S_ISDIR(st.st_mode)) {
        errno = ENOTDIR;
        child_fail(STEP_MOUNT_BIND, idx);
    }
    fd = target_of(rootfd, m, S_ISDIR(st.st_mode), idx);
    if (fd < 0) {
        close(src);
        return rootfd;
    }
    /* a detached copy takes its flags before it is attached: no second lookup */
    int flagged = tree >= 0 && set_attr(tree, m->flags, (m->flags & MF_RECURSIVE) != 0) == 0;
    if (tree >= 0 && !flagged && errno != ENOSYS) child_fail(STEP_MOUNT_BIND_FLAGS, idx);
    if (tree >= 0) {
        if (syscall(SYS_move_mount, tree, "", fd, "", K_MOVE_MOUNT_F_EMPTY_PATH | K_MOVE_MOUNT_T_EMPTY_PATH) < 0)
            child_fail(STEP_MOUNT_BIND, idx);
    } else if (mount(fd_path(p1, src), fd_path(p2, fd), NULL, MS_BIND | (m->flags & MF_RECURSIVE ? MS_REC : 0),
                     NULL) < 0) {
        child_fail(STEP_MOUNT_BIND, idx);
    }
    close(src);
    close(fd);
    if (is_root) {
        close(rootfd);
        rootfd = open_new_root(idx);
    }
    if (flagged) return rootfd;
    fd = is_root ? fcntl(rootfd, F_DUPFD_CLOEXEC, 3) : open_in_root(rootfd, m->target, O_PATH);
    if (fd < 0) child_fail(STEP_MOUNT_BIND_FLAGS_OPEN, idx);
    apply_flags(fd, m->flags, (m->flags & MF_RECURSIVE) != 0, STEP_MOUNT_BIND_FLAGS, idx);
    close(fd);
    return rootfd;
}

/* A file system on the target: mounted now, or attached from the tree made before joining a
   user namespace (mounts_prepare_early). Returns rootfd, reopened if it is the new root. */
static int fs_mount(int rootfd, const struct mount_op *m, int idx) {
    char p[64];
    int fd = target_of(rootfd, m, 1, idx), tree = mnt.prepared ? mnt.tree[idx] : -1;
    if (fd < 0) return rootfd;
    if (tree >= 0) {
        if (syscall(SYS_move_mount, tree, "", fd, "", K_MOVE_MOUNT_F_EMPTY_PATH | K_MOVE_MOUNT_T_EMPTY_PATH) < 0)
            child_fail(STEP_MOUNT_FS_ATTACH, idx);
        close(tree);
    } else if (mount(m->source, fd_path(p, fd), m->source, ms_flags(m->flags), m->data[0] ? m->data : NULL) < 0) {
        child_fail(STEP_MOUNT_FS, idx);
    }
    close(fd);
    if (strcmp(m->target, "/") == 0) { /* a tmpfs or an overlay as the root: the new root is that mount */
        close(rootfd);
        rootfd = open_new_root(idx);
    }
    return rootfd;
}

/* Creates a symbolic link or a device node in the new root. */
static void make_node(int rootfd, const struct mount_op *m, int idx) {
    char name[NAME_MAX + 1];
    int fd = make_parent(rootfd, m->target, name, sizeof name, idx);
    if (m->kind == MOUNT_SYMLINK && symlinkat(m->source, fd, name) < 0) child_fail(STEP_MAKE_SYMLINK, idx);
    if (m->kind == MOUNT_MKNOD && mknodat(fd, name, S_IFCHR | (m->mode & 07777), makedev(m->major, m->minor)) < 0)
        child_fail(STEP_MAKE_FILE, idx);
    close(fd);
}

/* One mount operation of the plan; returns rootfd, reopened if the operation replaced the root. */
static int mount_one(int rootfd, const struct plan *pl, size_t i) {
    const struct mount_op *m = &pl->mounts[i];
    switch (m->kind) {
    case MOUNT_BIND:
        return bind_mount(rootfd, m, pl->tree[i] >= 0 ? pl->fd[pl->tree[i]] : -1, (int)i);
    case MOUNT_FS:
        return fs_mount(rootfd, m, (int)i);
    case MOUNT_SYMLINK:
    case MOUNT_MKNOD:
        make_node(rootfd, m, (int)i);
        return rootfd;
    default: /* plan_decode accepts only the kinds above */
        errno = EINVAL;
        child_fail(STEP_MOUNT_KIND, (int)i);
    }
}

void mounts_set_up(const struct plan *pl) {
    enter_staging(pl);
    attach_in_staging(pl);
    int rootfd = open_new_root(0);
    for (size_t i = 0; i < pl->n[TAG_MOUNT]; i++) rootfd = mount_one(rootfd, pl, i);
    if (pl->root_readonly) apply_flags(rootfd, MF_RDONLY, 0, STEP_REMOUNT_ROOT_READONLY, 0);
    close(rootfd);

    if (chdir(NEW_ROOT) < 0) child_fail(STEP_CHDIR_NEW_ROOT, 0);
    /* put the staging tmpfs on top of the new root, then detach it (runc's trick), and with it
       the host's tree below it at /oldroot: one detach, one RCU grace period, not two */
    if (syscall(SYS_pivot_root, ".", ".") < 0) child_fail(STEP_PIVOT_ROOT, 0);
    if (umount2(".", MNT_DETACH) < 0) child_fail(STEP_DETACH_OLD_ROOT, 0);
    if (chdir("/") < 0) child_fail(STEP_CHDIR_ROOT, 0);
}
