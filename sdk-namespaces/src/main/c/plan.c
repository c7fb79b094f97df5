/* The plan reader: one reader (this), one writer (PlanCodec.java), tested together. */
#include "launcher.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

struct cursor {
    const unsigned char *p, *end;
};

static int take(struct cursor *c, void *out, size_t n) {
    if ((size_t)(c->end - c->p) < n) return -1;
    memcpy(out, c->p, n);
    c->p += n;
    return 0;
}

static int u32(struct cursor *c, uint32_t *v) { return take(c, v, 4); }
static int u64(struct cursor *c, uint64_t *v) { return take(c, v, 8); }

/* a string is u32 length (including the final NUL) and bytes; no NUL before the end */
static int str(struct cursor *c, const char **s) {
    uint32_t n;
    if (u32(c, &n) || n == 0 || (size_t)(c->end - c->p) < n) return -1;
    if (c->p[n - 1] != 0 || memchr(c->p, 0, n - 1) != NULL) return -1;
    *s = (const char *)c->p;
    c->p += n;
    return 0;
}

static int whole_str(const unsigned char *v, uint32_t len, const char **s) {
    if (len == 0 || v[len - 1] != 0 || memchr(v, 0, len - 1) != NULL) return -1;
    *s = (const char *)v;
    return 0;
}

/* One more record of a repeated string into list[*n], which holds at most max. */
static int next_str(const unsigned char *v, uint32_t len, const char **list, size_t *n, size_t max) {
    if (*n >= max) {
        errno = E2BIG;
        return -1;
    }
    return whole_str(v, len, &list[(*n)++]);
}

static int decode_mount(struct cursor *c, struct plan *pl) {
    if (pl->n_mounts >= MAX_MOUNTS) {
        errno = E2BIG;
        return -1;
    }
    struct mount_op *m = &pl->mounts[pl->n_mounts++];
    if (u32(c, &m->kind) || u32(c, &m->flags) || u32(c, &m->mode) || u32(c, &m->major) || u32(c, &m->minor)
        || str(c, &m->source) || str(c, &m->target) || str(c, &m->data))
        return -1;
    if (m->kind < MOUNT_BIND || m->kind > MOUNT_OVERLAY || m->target[0] != '/') return -1;
    return c->p == c->end ? 0 : -1;
}

static int decode_stdio(struct cursor *c, struct plan *pl) {
    uint32_t fd;
    if (u32(c, &fd) || fd > 2 || pl->stdio[fd].present) return -1;
    struct stdio_op *s = &pl->stdio[fd];
    if (u32(c, &s->kind) || u32(c, &s->open_flags) || u32(c, &s->mode) || str(c, &s->path)) return -1;
    if (s->kind < STDIO_INHERIT || s->kind > STDIO_STDOUT || (s->kind == STDIO_STDOUT && fd != 2)) return -1;
    s->present = 1;
    return c->p == c->end ? 0 : -1;
}

/* One more descriptor operation: a u32 naming one of the plan's descriptors, into list[*n]. */
static int next_fd(struct cursor *c, const struct plan *pl, uint32_t *list, size_t *n, size_t max) {
    if (*n >= max) {
        errno = E2BIG;
        return -1;
    }
    return u32(c, &list[*n]) || list[(*n)++] >= pl->n_fds ? -1 : 0;
}

static int decode_fd_op(uint16_t tag, struct cursor *c, struct plan *pl) {
    switch (tag) {
    case TAG_FD_WRITE_ZERO: return next_fd(c, pl, pl->write_zero, &pl->n_write_zero, MAX_PLAN_DESCRIPTORS);
    case TAG_FD_READ_AT_REAP: return next_fd(c, pl, pl->read_at_reap, &pl->n_read_at_reap, MAX_COUNTER_FILES);
    case TAG_FD_ZERO_AT_REAP: return next_fd(c, pl, pl->zero_at_reap, &pl->n_zero_at_reap, MAX_COUNTER_FILES);
    case TAG_FD_ATTACH_IN_STAGING: return next_fd(c, pl, pl->attach, &pl->n_attach, MAX_PLAN_DESCRIPTORS);
    case TAG_FD_CLONE_INTO_CGROUP: {
        size_t one = 0, two = 0;
        pl->has_clone_into_cgroup = 1;
        return next_fd(c, pl, &pl->cgroup_dir, &one, 1) || next_fd(c, pl, &pl->cgroup_procs, &two, 1) ? -1 : 0;
    }
    default: { /* TAG_SETNS */
        size_t one = 0;
        if (pl->n_setns >= MAX_SETNS) {
            errno = E2BIG;
            return -1;
        }
        return next_fd(c, pl, &pl->setns[pl->n_setns].fd, &one, 1) || u32(c, &pl->setns[pl->n_setns++].nstype) ? -1 : 0;
    }
    }
}

static int decode_record(uint16_t tag, const unsigned char *v, uint32_t len, struct plan *pl) {
    struct cursor c = {v, v + len};
    switch (tag) {
    case TAG_VERSION: if (u32(&c, &pl->version)) return -1; break;
    case TAG_CLONE_FLAGS: if (u32(&c, &pl->clone_flags)) return -1; break;
    case TAG_COMMAND_AS_PID1: if (u32(&c, &pl->command_as_pid1)) return -1; break;
    case TAG_STAGING: return whole_str(v, len, &pl->staging);
    case TAG_MOUNT: return decode_mount(&c, pl);
    case TAG_ROOT_READONLY: if (u32(&c, &pl->root_readonly)) return -1; break;
    case TAG_HOSTNAME: return whole_str(v, len, &pl->hostname);
    case TAG_LOOPBACK: if (u32(&c, &pl->loopback)) return -1; break;
    case TAG_STDIO: return decode_stdio(&c, pl);
    case TAG_ARG: return next_str(v, len, pl->args, &pl->n_args, MAX_ARGS);
    case TAG_ENV: return next_str(v, len, pl->env, &pl->n_env, MAX_ENV);
    case TAG_SEARCH_PATH: return whole_str(v, len, &pl->search_path);
    case TAG_CWD: return whole_str(v, len, &pl->cwd);
    case TAG_USER:
        if (u32(&c, &pl->uid) || u32(&c, &pl->gid)) return -1;
        pl->has_user = 1;
        break;
    case TAG_GROUP:
        if (pl->n_groups >= MAX_GROUPS) { errno = E2BIG; return -1; }
        if (u32(&c, &pl->groups[pl->n_groups++])) return -1;
        break;
    case TAG_RLIMIT: {
        if (pl->n_rlimits >= MAX_RLIMITS) { errno = E2BIG; return -1; }
        struct rlimit_op *r = &pl->rlimits[pl->n_rlimits++];
        if (u32(&c, &r->resource) || u64(&c, &r->soft) || u64(&c, &r->hard)) return -1;
        break;
    }
    case TAG_NO_NEW_PRIVS: if (u32(&c, &pl->no_new_privs)) return -1; break;
    case TAG_SECCOMP:
        if (len == 0 || len % 8 != 0 || len / 8 > MAX_SECCOMP_INSNS) return -1;
        pl->seccomp = v;
        pl->seccomp_len = len;
        return 0;
    case TAG_UMASK:
        if (u32(&c, &pl->umask)) return -1;
        pl->has_umask = 1;
        break;
    case TAG_UID_MAP: return whole_str(v, len, &pl->uid_map);
    case TAG_GID_MAP: return whole_str(v, len, &pl->gid_map);
    case TAG_CAPS:
        if (u64(&c, &pl->cap_bounding) || u64(&c, &pl->cap_effective) || u64(&c, &pl->cap_permitted)
            || u64(&c, &pl->cap_inheritable) || u64(&c, &pl->cap_ambient))
            return -1;
        pl->has_caps = 1;
        break;
    case TAG_DENY_SETGROUPS: if (u32(&c, &pl->deny_setgroups)) return -1; break;
    case TAG_UID_MAP_TOOL: return whole_str(v, len, &pl->uid_map_tool);
    case TAG_GID_MAP_TOOL: return whole_str(v, len, &pl->gid_map_tool);
    case TAG_FD_WRITE_ZERO: case TAG_FD_READ_AT_REAP: case TAG_FD_ZERO_AT_REAP: case TAG_FD_CLONE_INTO_CGROUP:
    case TAG_SETNS: case TAG_FD_ATTACH_IN_STAGING:
        if (decode_fd_op(tag, &c, pl)) return -1;
        break;
    case TAG_EXEC_FD:
        if (u32(&c, &pl->exec_fd) || pl->exec_fd < 3 || pl->exec_fd > 65535) return -1;
        pl->has_exec_fd = 1;
        break;
    default:
        return -1; /* one writer, one reader, same build: an unknown tag is a bug */
    }
    return c.p == c.end ? 0 : -1;
}

int plan_decode(const unsigned char *buf, size_t len, uint32_t n_fds, struct plan *pl) {
    struct cursor c = {buf, buf + len};
    memset(pl, 0, offsetof(struct plan, mounts)); /* the arrays from there on are filled as counted */
    pl->n_fds = n_fds;
    errno = EPROTO;
    while (c.p < c.end) {
        uint16_t tag;
        uint32_t n;
        if (take(&c, &tag, 2) || u32(&c, &n) || (size_t)(c.end - c.p) < n) { errno = EPROTO; return -1; }
        if (decode_record(tag, c.p, n, pl)) {
            if (errno != E2BIG) errno = EPROTO;
            return -1;
        }
        c.p += n;
    }
    if (pl->version != PROTOCOL_VERSION || pl->n_args == 0 || pl->staging == NULL) {
        errno = EPROTO;
        return -1;
    }
    pl->args[pl->n_args] = NULL;
    pl->env[pl->n_env] = NULL;
    return 0;
}

/* ---- describe: the canonical text PlanCodec.describe() also prints ---- */

struct out {
    int fd;
    size_t n;
    char buf[8192];
};

static void flush(struct out *o) {
    size_t done = 0;
    while (done < o->n) {
        ssize_t w = write(o->fd, o->buf + done, o->n - done);
        if (w < 0) {
            if (errno == EINTR) continue;
            break;
        }
        done += (size_t)w;
    }
    o->n = 0;
}

static void put(struct out *o, const char *s) {
    for (; *s; s++) {
        if (o->n == sizeof o->buf) flush(o);
        o->buf[o->n++] = *s;
    }
}

__attribute__((format(printf, 2, 3))) static void putf(struct out *o, const char *fmt, ...) {
    char tmp[160];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    put(o, tmp);
}

static void quoted(struct out *o, const char *s) {
    if (s == NULL) {
        put(o, "none");
        return;
    }
    put(o, "\"");
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        char tmp[8];
        if (*p == '"' || *p == '\\') {
            tmp[0] = '\\'; tmp[1] = (char)*p; tmp[2] = 0;
        } else if (*p < 0x20 || *p >= 0x7f) {
            snprintf(tmp, sizeof tmp, "\\x%02x", *p);
        } else {
            tmp[0] = (char)*p; tmp[1] = 0;
        }
        put(o, tmp);
    }
    put(o, "\"");
}

/* One "key N" line per entry of list. */
static void number_lines(struct out *o, const char *key, const uint32_t *list, size_t n) {
    for (size_t i = 0; i < n; i++) putf(o, "%s %llu\n", key, (unsigned long long)list[i]);
}

/* One "key quoted-string" line per entry of list. */
static void quoted_lines(struct out *o, const char *key, const char *const *list, size_t n) {
    for (size_t i = 0; i < n; i++) {
        put(o, key);
        put(o, " ");
        quoted(o, list[i]);
        put(o, "\n");
    }
}

typedef unsigned long long ull;

void plan_describe(const struct plan *pl, int fd) {
    static struct out o;
    o.fd = fd;
    o.n = 0;
    putf(&o, "version %llu\nclone_flags 0x%llx\n", (ull)pl->version, (ull)pl->clone_flags);
    putf(&o, "command_as_pid1 %llu\nroot_readonly %llu\n", (ull)pl->command_as_pid1, (ull)pl->root_readonly);
    putf(&o, "loopback %llu\nno_new_privs %llu\n", (ull)pl->loopback, (ull)pl->no_new_privs);
    put(&o, "staging "); quoted(&o, pl->staging);
    put(&o, "\nhostname "); quoted(&o, pl->hostname);
    put(&o, "\nsearch_path "); quoted(&o, pl->search_path);
    put(&o, "\ncwd "); quoted(&o, pl->cwd);
    put(&o, "\nuid_map "); quoted(&o, pl->uid_map);
    put(&o, "\ngid_map "); quoted(&o, pl->gid_map);
    put(&o, "\n");
    for (size_t i = 0; i < pl->n_mounts; i++) {
        const struct mount_op *m = &pl->mounts[i];
        putf(&o, "mount %llu flags %llu mode %llo dev %llu:%llu source ", (ull)m->kind, (ull)m->flags,
             (ull)m->mode, (ull)m->major, (ull)m->minor);
        quoted(&o, m->source);
        put(&o, " target ");
        quoted(&o, m->target);
        put(&o, " data ");
        quoted(&o, m->data);
        put(&o, "\n");
    }
    for (int i = 0; i < 3; i++) {
        const struct stdio_op *s = &pl->stdio[i];
        if (!s->present) continue;
        putf(&o, "stdio %d kind %llu flags 0x%llx mode %llo path ", i, (ull)s->kind, (ull)s->open_flags, (ull)s->mode);
        quoted(&o, s->path);
        put(&o, "\n");
    }
    quoted_lines(&o, "arg", pl->args, pl->n_args);
    quoted_lines(&o, "env", pl->env, pl->n_env);
    if (pl->has_user) putf(&o, "user %llu %llu\n", (ull)pl->uid, (ull)pl->gid);
    for (size_t i = 0; i < pl->n_groups; i++) putf(&o, "group %llu\n", (ull)pl->groups[i]);
    for (size_t i = 0; i < pl->n_rlimits; i++)
        putf(&o, "rlimit %llu soft %llu hard %llu\n", (ull)pl->rlimits[i].resource, (ull)pl->rlimits[i].soft,
             (ull)pl->rlimits[i].hard);
    if (pl->has_umask) putf(&o, "umask %llo\n", (ull)pl->umask);
    number_lines(&o, "fd_write_zero", pl->write_zero, pl->n_write_zero);
    if (pl->seccomp) putf(&o, "seccomp %llu instructions\n", (ull)(pl->seccomp_len / 8));
    if (pl->has_caps)
        putf(&o, "caps bounding 0x%llx effective 0x%llx permitted 0x%llx inheritable 0x%llx ambient 0x%llx\n",
             (ull)pl->cap_bounding, (ull)pl->cap_effective, (ull)pl->cap_permitted, (ull)pl->cap_inheritable,
             (ull)pl->cap_ambient);
    putf(&o, "deny_setgroups %llu\n", (ull)pl->deny_setgroups);
    if (pl->uid_map_tool) { put(&o, "uid_map_tool "); quoted(&o, pl->uid_map_tool); put(&o, "\n"); }
    if (pl->gid_map_tool) { put(&o, "gid_map_tool "); quoted(&o, pl->gid_map_tool); put(&o, "\n"); }
    if (pl->has_exec_fd) putf(&o, "exec_fd %llu\n", (ull)pl->exec_fd);
    if (pl->has_clone_into_cgroup)
        putf(&o, "fd_clone_into_cgroup %llu %llu\n", (ull)pl->cgroup_dir, (ull)pl->cgroup_procs);
    number_lines(&o, "fd_read_at_reap", pl->read_at_reap, pl->n_read_at_reap);
    number_lines(&o, "fd_zero_at_reap", pl->zero_at_reap, pl->n_zero_at_reap);
    for (size_t i = 0; i < pl->n_setns; i++)
        putf(&o, "setns %llu 0x%llx\n", (ull)pl->setns[i].fd, (ull)pl->setns[i].nstype);
    number_lines(&o, "fd_attach_in_staging", pl->attach, pl->n_attach);
    flush(&o);
}
