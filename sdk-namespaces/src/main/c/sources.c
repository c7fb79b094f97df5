/*
 * Mount sources and cgroup files, opened by the launcher before clone with its view and
 * rights, so that the container's (possibly unprivileged) root needs no access to the paths
 * leading to them.
 */
#include "launcher.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
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
#define MAX_KEEP (16 + MAX_MOUNTS * 4)

#define KEEP_FIXED 10 /* report, release, status, stdio, pooled namespaces */

/* What was opened for the child of the plan being started, until close_child_sources. */
static struct {
    int bind_tree[MAX_MOUNTS];
    char *overlay_opts[MAX_MOUNTS];
    int overlay_trees[MAX_KEEP], overlay_first[MAX_MOUNTS], overlay_count[MAX_MOUNTS];
    int source_fds[MAX_KEEP], n_source_fds;
    int keep_fds[KEEP_FIXED + MAX_KEEP + MAX_CGROUPS + 1];
} src;

static int int_order(const void *a, const void *b) {
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

static int remember_fd(int fd) {
    if (fd >= 0) {
        if (src.n_source_fds == MAX_KEEP) {
            close(fd);
            errno = EMFILE;
            return -1;
        }
        src.source_fds[src.n_source_fds++] = fd;
    }
    return fd;
}

static int append_text(char *out, size_t size, size_t *len, const char *s, size_t n) {
    if (*len + n + 1 > size) {
        errno = ENAMETOOLONG; /* the kernel reads one page of options */
        return -1;
    }
    memcpy(out + *len, s, n);
    *len += n;
    out[*len] = 0;
    return 0;
}

/* A layer of overlay mount i: cloned here into a detached tree (the child attaches it at
   /ovl-I/J in its staging tmpfs, where overlay can use it) and named by that staging path; or,
   where this launcher may not clone trees (unprivileged), named by its host path below
   /oldroot for the child to reach with its own rights. */
static int append_layer(char *out, size_t size, size_t *len, size_t mount, const char *path, size_t n,
                        int *trees, int *n_trees) {
    char host_path[PATH_MAX], ref[64];
    if (n >= sizeof host_path) {
        errno = ENAMETOOLONG;
        return -1;
    }
    memcpy(host_path, path, n);
    host_path[n] = 0;
    int tree = (int)syscall(SYS_open_tree, AT_FDCWD, host_path, K_OPEN_TREE_CLONE | K_OPEN_TREE_CLOEXEC);
    if (tree < 0) {
        if (errno != EPERM && errno != ENOSYS) return -1;
        return append_text(out, size, len, "/oldroot", 8) < 0 ? -1 : append_text(out, size, len, host_path, n);
    }
    if (remember_fd(tree) < 0) return -1;
    int r = snprintf(ref, sizeof ref, "/ovl-%zu/%d", mount, *n_trees);
    trees[(*n_trees)++] = tree;
    return append_text(out, size, len, ref, (size_t)r);
}

/* "lowerdir=L1:L2,upperdir=U,workdir=W,opts" from the plan (source: host lower dirs joined by
   ':'; data: options, upperdir= and workdir= holding host paths in one directory, which is
   cloned once since overlay wants them on one mount). Java has checked no path holds ',', ':'
   or '\\'. */
static int overlay_option_string(size_t mount, const struct mount_op *m, char **result, int *trees, int *n_trees) {
    size_t size = 4096, len = 0;
    char *out = malloc(size);
    const char *upper = NULL, *work = NULL;
    size_t upper_n = 0, work_n = 0;
    if (!out) return -1;
    out[0] = 0;
    if (append_text(out, size, &len, "lowerdir=", 9) < 0) goto failed;
    for (const char *p = m->source; *p;) {
        const char *end = strchr(p, ':');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        if (p != m->source && append_text(out, size, &len, ":", 1) < 0) goto failed;
        if (append_layer(out, size, &len, mount, p, n, trees, n_trees) < 0) goto failed;
        p += n;
        if (*p == ':') p++;
    }
    for (const char *p = m->data; *p;) {
        const char *end = strchr(p, ',');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        if (n > 9 && memcmp(p, "upperdir=", 9) == 0) {
            upper = p + 9, upper_n = n - 9;
        } else if (n > 8 && memcmp(p, "workdir=", 8) == 0) {
            work = p + 8, work_n = n - 8;
        } else if (append_text(out, size, &len, ",", 1) < 0 || append_text(out, size, &len, p, n) < 0) {
            goto failed;
        }
        p += n;
        if (*p == ',') p++;
    }
    if (upper && work) {
        const char *us = memrchr(upper, '/', upper_n), *ws = memrchr(work, '/', work_n);
        size_t parent = us ? (size_t)(us - upper) : 0;
        if (!us || !ws || (size_t)(ws - work) != parent || memcmp(upper, work, parent) != 0) {
            errno = EINVAL; /* Java keeps upper and work side by side */
            goto failed;
        }
        int before = *n_trees;
        if (append_text(out, size, &len, ",upperdir=", 10) < 0) goto failed;
        if (append_layer(out, size, &len, mount, upper, parent, trees, n_trees) < 0) goto failed;
        if (append_text(out, size, &len, us, upper_n - parent) < 0) goto failed;
        if (append_text(out, size, &len, ",workdir=", 9) < 0) goto failed;
        if (*n_trees > before) { /* the same cloned parent */
            char ref[64];
            int r = snprintf(ref, sizeof ref, "/ovl-%zu/%d", mount, *n_trees - 1);
            if (append_text(out, size, &len, ref, (size_t)r) < 0) goto failed;
        } else if (append_text(out, size, &len, "/oldroot", 8) < 0 || append_text(out, size, &len, work, parent) < 0) {
            goto failed;
        }
        if (append_text(out, size, &len, ws, work_n - parent) < 0) goto failed;
    } else if (upper || work) {
        errno = EINVAL;
        goto failed;
    }
    *result = out;
    return 0;
failed: {
        int saved = errno;
        free(out);
        errno = saved;
        return -1;
    }
}

void close_child_sources(const struct plan *pl) {
    for (int i = 0; i < src.n_source_fds; i++) close(src.source_fds[i]);
    src.n_source_fds = 0;
    for (size_t i = 0; i < pl->n_mounts; i++) {
        free(src.overlay_opts[i]);
        src.overlay_opts[i] = NULL;
        src.bind_tree[i] = -1;
    }
}

int open_child_sources(const struct plan *pl, struct child_fds *cf, int join_v2, int *failed_index, int *failed_step) {
    int used_trees = 0;
    for (size_t i = 0; i < pl->n_mounts; i++) {
        src.overlay_count[i] = 0;
        const struct mount_op *m = &pl->mounts[i];
        src.bind_tree[i] = -1;
        src.overlay_opts[i] = NULL;
        *failed_index = (int)i;
        if (m->kind == MOUNT_BIND) {
            *failed_step = STEP_MOUNT_BIND;
            unsigned flags = K_OPEN_TREE_CLONE | K_OPEN_TREE_CLOEXEC | (m->flags & MF_RECURSIVE ? K_AT_RECURSIVE : 0);
            int tree = (int)syscall(SYS_open_tree, AT_FDCWD, m->source, flags);
            if (tree < 0 && errno != EPERM && errno != ENOSYS) return -1; /* ENOENT, ENOTDIR, EACCES: say so now */
            if (remember_fd(tree) < 0 && tree >= 0) return -1;
            src.bind_tree[i] = tree; /* -1: the child opens it by path, with its own rights */
        } else if (m->kind == MOUNT_OVERLAY) {
            *failed_step = STEP_MOUNT_OVERLAY;
            src.overlay_first[i] = used_trees;
            if (overlay_option_string(i, m, &src.overlay_opts[i], src.overlay_trees + used_trees, &src.overlay_count[i]) < 0)
                return -1;
            used_trees += src.overlay_count[i];
        }
    }
    /* The files the child joins its cgroups through (v1 tasks files, a v2 cgroup.procs),
       opened with the launcher's rights, and kept for the next container in the same cgroups:
       the child joins itself once its mounts are set up, so that they are made outside its
       memory cgroup and the launcher spends no time on them. The v2 one only until clone3 has
       put a container straight into its cgroup once. */
    *failed_step = STEP_CGROUP_JOIN;
    for (size_t i = 0; i <= pl->n_cgroups; i++) {
        *failed_index = (int)i;
        const char *procs = i < pl->n_cgroups ? pl->cgroup_join[i] : NULL;
        char v2procs[PATH_MAX];
        cf->cgroup_join[i] = -1;
        if (i == pl->n_cgroups && pl->cgroup_dir && join_v2) {
            if (snprintf(v2procs, sizeof v2procs, "%s/cgroup.procs", pl->cgroup_dir) >= (int)sizeof v2procs) {
                errno = ENAMETOOLONG;
                return -1;
            }
            procs = v2procs;
        }
        if (procs == NULL) continue;
        struct cgroup_file *f = kept_cgroup_file(procs, O_WRONLY);
        if (f == NULL) return -1;
        cf->cgroup_join[i] = f->fd;
    }
    int fixed[] = {cf->report, cf->release, cf->status, cf->stdio[0], cf->stdio[1], cf->stdio[2],
                   cf->pooled_ns[0], cf->pooled_ns[1], cf->pooled_ns[2], cf->pooled_ns[3]};
    _Static_assert(sizeof fixed / sizeof fixed[0] == KEEP_FIXED, "keep_fds is sized for these");
    size_t n = 0;
    for (size_t k = 0; k < sizeof fixed / sizeof fixed[0]; k++)
        if (fixed[k] >= 0) src.keep_fds[n++] = fixed[k];
    for (int k = 0; k < src.n_source_fds; k++) src.keep_fds[n++] = src.source_fds[k];
    for (size_t i = 0; i <= pl->n_cgroups; i++)
        if (cf->cgroup_join[i] >= 0) src.keep_fds[n++] = cf->cgroup_join[i];
    qsort(src.keep_fds, n, sizeof src.keep_fds[0], int_order);
    cf->keep = src.keep_fds;
    cf->n_keep = n;
    cf->bind_tree = src.bind_tree;
    cf->overlay_options = src.overlay_opts;
    cf->overlay_trees = src.overlay_trees;
    cf->overlay_first = src.overlay_first;
    cf->overlay_count = src.overlay_count;
    return 0;
}

/* An owner-mapped bind (data "UID_MAP|GID_MAP", a line each; the launcher is root) gets a user
   namespace of its own, made as the pool makes one, whose maps take the bind's owner on the
   host to the container's user. Its fd, or -1 with errno. */
static int owner_userns(const char *data) {
    char profile[512]; /* as the pool's: "u", deny, uid tool, uid map, gid tool, gid map */
    int fds[POOLED_KINDS];
    struct report why;
    const char *bar = strchr(data, '|');
    int n = bar ? snprintf(profile, sizeof profile, "u0%c%.*s%c%c%s%c", 0, (int)(bar - data), data, 0, 0, bar + 1, 0) : -1;
    errno = EINVAL;
    if (n < 0 || n >= (int)sizeof profile) return -1;
    if (make_user_set(profile, (size_t)n, fds, &why) < 0) return errno = why.err, -1;
    for (int k = 0; k < POOLED_USER; k++) close(fds[k]);
    return fds[POOLED_USER];
}

/* In a user namespace, the container's root is an unprivileged host ID, to which the layers of
   an image (owned by host IDs as unpacked) would look foreign and the per-run upper directory
   unwritable. So the detached layer clones become idmapped mounts for the container's user
   namespace (5.12; overlay on idmapped layers 5.19): the layers' host root is its root, and its
   writes land with host IDs, as a privileged container's would. An owner-mapped bind gets its
   own maps (owner_userns), with or without a user namespace. Done after the ID maps are
   written and before the child attaches the clones. */
int idmap_store_mounts(const struct plan *plan, pid_t pid, int user_ns, int *failed_index) {
    char path[64];
    int ns = -1, err = 0;
    for (size_t i = 0; i < plan->n_mounts && !err; i++) {
        const struct mount_op *m = &plan->mounts[i];
        int bind = m->kind == MOUNT_BIND && (m->flags & MF_IDMAP), own = bind && m->data[0], use;
        if (!own && (!plan->uid_map || (src.overlay_count[i] == 0 && !(bind && src.bind_tree[i] >= 0)))) continue;
        *failed_index = (int)i;
        errno = EPERM; /* an owner-mapped bind the launcher could not clone */
        if (own) {
            use = src.bind_tree[i] < 0 ? -1 : owner_userns(m->data);
        } else {
            snprintf(path, sizeof path, "/proc/%d/ns/user", pid);
            if (ns < 0) /* a prepared namespace is not the child's yet */
                ns = user_ns >= 0 ? fcntl(user_ns, F_DUPFD_CLOEXEC, 3) : open(path, O_RDONLY | O_CLOEXEC);
            use = ns;
        }
        if (use < 0) err = errno;
        for (int k = 0; use >= 0 && k < (bind ? 1 : src.overlay_count[i]) && !err; k++) {
            struct { uint64_t set, clr, propagation, userns_fd; } attr = {K_MOUNT_ATTR_IDMAP, 0, 0, (uint64_t)use};
            int tree = bind ? src.bind_tree[i] : src.overlay_trees[src.overlay_first[i] + k];
            if (syscall(SYS_mount_setattr, tree, "", AT_EMPTY_PATH, &attr, sizeof attr) < 0) err = errno;
        }
        if (own && use >= 0) close(use);
    }
    if (ns >= 0) close(ns);
    errno = err;
    return err ? -1 : 0;
}
