/*
 * Bind sources, opened by the launcher before clone with its view and rights, so that the
 * container's (possibly unprivileged) root needs no access to the paths leading to them; and the
 * list of descriptors the container's first process keeps.
 */
#include "launcher.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef SYS_open_tree
#define SYS_open_tree 428
#endif
#define K_OPEN_TREE_CLONE 1
#define K_OPEN_TREE_CLOEXEC O_CLOEXEC
#define K_MOUNT_ATTR_IDMAP 0x00100000ULL

#define KEEP_FIXED 6 /* report, release, status, stdio */

/* What was opened for the child of the plan being started, until close_child_sources. */
static struct {
    int bind_tree[MAX_MOUNTS];
    int keep_fds[KEEP_FIXED + MAX_MOUNTS + 3 * MAX_PLAN_DESCRIPTORS + 1];
} src;

static int int_order(const void *a, const void *b) {
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

void close_child_sources(const struct plan *pl) {
    for (size_t i = 0; i < pl->n[TAG_MOUNT]; i++) close_fd(&src.bind_tree[i]);
}

int open_child_sources(const struct plan *pl, struct child_fds *cf, int *failed_index, int *failed_step) {
    size_t n = 0;
    for (size_t i = 0; i < pl->n[TAG_MOUNT]; i++) src.bind_tree[i] = -1;
    for (size_t i = 0; i < pl->n[TAG_MOUNT]; i++) {
        const struct mount_op *m = &pl->mounts[i];
        if (m->kind != MOUNT_BIND) continue;
        *failed_index = (int)i;
        *failed_step = STEP_MOUNT_BIND;
        unsigned flags = K_OPEN_TREE_CLONE | K_OPEN_TREE_CLOEXEC | (m->flags & MF_RECURSIVE ? K_AT_RECURSIVE : 0);
        int tree = (int)syscall(SYS_open_tree, AT_FDCWD, m->source, flags);
        if (tree < 0 && errno != EPERM && errno != ENOSYS) return -1; /* ENOENT, ENOTDIR, EACCES: say so now */
        src.bind_tree[i] = tree; /* -1: the child opens it by path, with its own rights */
        if (tree >= 0) src.keep_fds[n++] = tree;
    }
    int fixed[] = {cf->report, cf->release, cf->status, cf->stdio[0], cf->stdio[1], cf->stdio[2]};
    _Static_assert(sizeof fixed / sizeof fixed[0] == KEEP_FIXED, "keep_fds is sized for these");
    for (size_t k = 0; k < sizeof fixed / sizeof fixed[0]; k++)
        if (fixed[k] >= 0) src.keep_fds[n++] = fixed[k];
    /* the plan's descriptors the child itself uses (each at most once: one op each) */
    for (size_t i = 0; i < pl->n[TAG_FD_WRITE_ZERO]; i++) src.keep_fds[n++] = pl->fd[pl->write_zero[i]];
    if (pl->n[TAG_FD_CLONE_INTO_CGROUP]) src.keep_fds[n++] = pl->fd[pl->cgroup.procs];
    for (size_t i = 0; i < pl->n[TAG_SETNS]; i++) src.keep_fds[n++] = pl->fd[pl->setns[i].fd];
    for (size_t i = 0; i < pl->n[TAG_FD_ATTACH_IN_STAGING]; i++) src.keep_fds[n++] = pl->fd[pl->attach[i]];
    qsort(src.keep_fds, n, sizeof src.keep_fds[0], int_order);
    cf->keep = src.keep_fds;
    cf->n_keep = n;
    cf->bind_tree = src.bind_tree;
    return 0;
}

/* An owner-mapped bind (data "UID_MAP|GID_MAP", a line each; the launcher is root) gets a user
   namespace of its own, made as a "u" namespace set is, whose maps take the bind's owner on the
   host to the container's user. Its fd, or -1 with errno. */
static int owner_userns(const char *data) {
    char profile[512]; /* "u", deny, uid map, gid map */
    int fds[NAMESPACE_KINDS];
    struct report why;
    const char *bar = strchr(data, '|');
    int n = bar ? snprintf(profile, sizeof profile, "u0%.*s%c%s%c", (int)(bar - data), data, 0, bar + 1, 0) : -1;
    errno = EINVAL;
    if (n < 0 || n >= (int)sizeof profile) return -1;
    if (make_set(profile, (size_t)n, fds, &why) < 0) return errno = why.err, -1;
    for (int k = 0; k < NAMESPACE_USER; k++) close(fds[k]);
    return fds[NAMESPACE_USER];
}

/* In a user namespace, the container's root is an unprivileged host ID, to which the layers of
   an image (owned by host IDs as unpacked) would look foreign and the per-run upper directory
   unwritable. So the detached layer clones become idmapped mounts for the container's user
   namespace (5.12; overlay on idmapped layers 5.19): the layers' host root is its root, and its
   writes land with host IDs, as a privileged container's would. An owner-mapped bind gets its
   own maps (owner_userns), with or without a user namespace. Done after the ID maps are
   written and before the child attaches the clones. */
static int idmap(int tree, int ns) {
    struct { uint64_t set, clr, propagation, userns_fd; } attr = {K_MOUNT_ATTR_IDMAP, 0, 0, (uint64_t)ns};
    return (int)syscall(SYS_mount_setattr, tree, "", AT_EMPTY_PATH, &attr, sizeof attr);
}

/* The container's user namespace: the one it joins (not the child's yet), or the child's own. */
static int container_userns(const struct plan *pl, pid_t pid) {
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/ns/user", pid);
    return pl->setns_user >= 0 ? fcntl(pl->fd[pl->setns[pl->setns_user].fd], F_DUPFD_CLOEXEC, 3)
                               : open(path, O_RDONLY | O_CLOEXEC);
}

int idmap_store_mounts(const struct plan *pl, pid_t pid, int32_t *failed_step, int32_t *failed_index) {
    int ns = -1, err = 0, has_userns = (pl->clone_flags & CLONE_NEWUSER) || pl->setns_user >= 0;
    *failed_step = STEP_MOUNT_BIND;
    for (size_t i = 0; i < pl->n[TAG_MOUNT] && !err; i++) {
        const struct mount_op *m = &pl->mounts[i];
        int bind = m->kind == MOUNT_BIND && (m->flags & MF_IDMAP), own = bind && m->data[0], use;
        if (!bind || (!own && (!has_userns || src.bind_tree[i] < 0))) continue;
        *failed_index = (int32_t)i;
        errno = EPERM; /* an owner-mapped bind the launcher could not clone */
        if (own) use = src.bind_tree[i] < 0 ? -1 : owner_userns(m->data);
        else use = ns >= 0 ? ns : (ns = container_userns(pl, pid));
        if (use < 0 || idmap(src.bind_tree[i], use) < 0) err = errno;
        if (own && use >= 0) close(use);
    }
    if (!err && has_userns && pl->n[TAG_FD_ATTACH_IN_STAGING] > 0) {
        *failed_step = STEP_OVERLAY_LAYER_ATTACH;
        *failed_index = 0;
        if (ns < 0 && (ns = container_userns(pl, pid)) < 0) err = errno;
        for (size_t i = 0; i < pl->n[TAG_FD_ATTACH_IN_STAGING] && !err; i++) {
            *failed_index = (int32_t)i;
            if (idmap(pl->fd[pl->attach[i]], ns) < 0) err = errno;
        }
    }
    if (ns >= 0) close(ns);
    errno = err;
    return err ? -1 : 0;
}
