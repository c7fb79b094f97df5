/* The plan reader: one reader (this), one writer (PlanCodec.java), tested together. Each record
   is decoded by its tag's shape in wire.def into the plan's field for the tag (the table
   below); what the shapes cannot say is checked after the last record. */
#include "launcher.h"

#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>

#define TAG(name, value, shape, text) _Static_assert(value < MAX_TAG, "MAX_TAG is too small for " #name);
#include "wire.def"

static const char *const shapes[MAX_TAG] = {
#define TAG(name, value, shape, text) [value] = shape,
#include "wire.def"
};

/* Where a tag's records go: its field (an array's first element), one record's size there, and
   how many records the tag may have. */
static const struct field {
    size_t at, size;
    uint32_t max;
} fields[MAX_TAG] = {
#define ONE(tag, f) [TAG_##tag] = {offsetof(struct plan, f), sizeof(((struct plan *)0)->f), 1}
#define MANY(tag, f, most) [TAG_##tag] = {offsetof(struct plan, f), sizeof(((struct plan *)0)->f[0]), most}
    ONE(VERSION, version), ONE(CLONE_FLAGS, clone_flags), ONE(COMMAND_AS_PID1, command_as_pid1),
    ONE(STAGING, staging), MANY(MOUNT, mounts, MAX_MOUNTS), ONE(ROOT_READONLY, root_readonly),
    ONE(HOSTNAME, hostname), ONE(LOOPBACK, loopback), MANY(STDIO, stdio_ops, 3), MANY(ARG, args, MAX_ARGS),
    MANY(ENV, env, MAX_ENV), ONE(SEARCH_PATH, search_path), ONE(CWD, cwd), ONE(USER, user),
    MANY(GROUP, groups, MAX_GROUPS), MANY(RLIMIT, rlimits, MAX_RLIMITS), ONE(NO_NEW_PRIVS, no_new_privs),
    ONE(SECCOMP, seccomp), ONE(UMASK, umask), ONE(UID_MAP, uid_map), ONE(GID_MAP, gid_map), ONE(CAPS, caps),
    ONE(DENY_SETGROUPS, deny_setgroups), ONE(UID_MAP_TOOL, uid_map_tool), ONE(GID_MAP_TOOL, gid_map_tool),
    ONE(EXEC_FD, exec_fd), MANY(FD_WRITE_ZERO, write_zero, MAX_PLAN_DESCRIPTORS), ONE(FD_CLONE_INTO_CGROUP, cgroup),
    MANY(FD_READ_AT_REAP, read_at_reap, MAX_COUNTER_FILES), MANY(FD_ZERO_AT_REAP, zero_at_reap, MAX_COUNTER_FILES),
    MANY(SETNS, setns, MAX_SETNS), MANY(FD_ATTACH_IN_STAGING, attach, MAX_PLAN_DESCRIPTORS),
    ONE(COMMAND_PARENT_DEATH, command_parent_death), MANY(FD_MOUNT_TREE, mount_trees, MAX_MOUNTS),
    MANY(FD_IDMAP, idmap, MAX_PLAN_DESCRIPTORS), ONE(FD_TTY, tty), ONE(FD_GATE, gate),
};

/* A shape letter's size in the plan: u and f a u32; l a u64; s and w a pointer; b a pointer and
   a length. Each is aligned to its own size (b: to 8), as C aligns these structs' members. */
static size_t size_of(char kind) {
    return kind == 'u' || kind == 'f' ? 4 : kind == 'b' ? 16 : 8;
}

static size_t aligned(size_t at, char kind) {
    size_t a = size_of(kind) == 4 ? 4 : 8;
    return (at + a - 1) & ~(a - 1);
}

/* One record of tag, value v of len bytes, into the tag's next place in the plan. */
static int decode_record(struct plan *pl, uint16_t tag, const unsigned char *v, size_t len) {
    const unsigned char *end = v + len;
    const char *shape = tag < MAX_TAG ? shapes[tag] : NULL;
    if (shape == NULL || fields[tag].size == 0) return -1; /* one writer, one reader, same build: a bug */
    if (pl->n[tag] >= fields[tag].max) {
        if (fields[tag].max > 1) errno = E2BIG;
        return -1;
    }
    unsigned char *out = (unsigned char *)pl + fields[tag].at + pl->n[tag]++ * fields[tag].size;
    for (size_t at = 0; *shape; at += size_of(*shape++)) {
        size_t n = (size_t)(end - v);
        at = aligned(at, *shape);
        if (at + size_of(*shape) > fields[tag].size) return -1; /* the shape does not fit the field: a bug */
        if (*shape == 'u' || *shape == 'f' || *shape == 'l') {
            if (n < size_of(*shape)) return -1;
            memcpy(out + at, v, size_of(*shape));
            v += size_of(*shape);
            uint32_t place;
            memcpy(&place, out + at, 4);
            if (*shape == 'f' && place >= pl->n_fds) return -1;
            continue;
        }
        if (*shape == 's') { /* u32 length, then as w */
            uint32_t k;
            if (n < 4) return -1;
            memcpy(&k, v, 4);
            v += 4;
            if (k > n - 4) return -1;
            n = k;
        }
        if (*shape != 'b' && (n == 0 || v[n - 1] != 0 || memchr(v, 0, n - 1) != NULL)) return -1;
        memcpy(out + at, &v, sizeof v);
        if (*shape == 'b') memcpy(out + at + sizeof v, &n, sizeof n);
        v += n;
    }
    return v == end ? 0 : -1;
}

/* What the shapes do not say: the plan is whole, and its values are in range. */
static int check(struct plan *pl) {
    if (pl->version != PROTOCOL_VERSION || pl->n[TAG_ARG] == 0 || pl->staging == NULL) return -1;
    for (size_t i = 0; i < pl->n[TAG_MOUNT]; i++)
        if (pl->mounts[i].kind < MOUNT_BIND || pl->mounts[i].kind > MOUNT_MKNOD || pl->mounts[i].target[0] != '/') return -1;
    for (size_t i = 0; i < pl->n[TAG_STDIO]; i++) {
        const struct stdio_op *s = &pl->stdio_ops[i];
        if (s->fd > 2 || pl->stdio[s->fd] || s->kind < STDIO_INHERIT || s->kind > STDIO_STDOUT
            || (s->kind == STDIO_STDOUT && s->fd != 2))
            return -1;
        pl->stdio[s->fd] = s;
    }
    if (pl->n[TAG_SECCOMP] && (pl->seccomp.len == 0 || pl->seccomp.len % 8 || pl->seccomp.len / 8 > MAX_SECCOMP_INSNS))
        return -1;
    if (pl->n[TAG_EXEC_FD] && (pl->exec_fd < 3 || pl->exec_fd > 65535)) return -1;
    for (size_t i = 0; i < pl->n[TAG_MOUNT]; i++) pl->tree[i] = -1;
    for (size_t i = 0; i < pl->n[TAG_FD_MOUNT_TREE]; i++) { /* a bind's, one each */
        uint32_t m = pl->mount_trees[i].mount;
        if (m >= pl->n[TAG_MOUNT] || pl->mounts[m].kind != MOUNT_BIND || pl->tree[m] >= 0) return -1;
        pl->tree[m] = (int)pl->mount_trees[i].fd;
    }
    pl->setns_user = -1;
    for (size_t i = 0; i < pl->n[TAG_SETNS]; i++)
        if (pl->setns[i].nstype == CLONE_NEWUSER) pl->setns_user = (int)i;
    pl->args[pl->n[TAG_ARG]] = NULL;
    pl->env[pl->n[TAG_ENV]] = NULL;
    return 0;
}

int plan_decode(const unsigned char *buf, size_t len, uint32_t n_fds, struct plan *pl) {
    const unsigned char *p = buf, *end = buf + len;
    memset(pl, 0, offsetof(struct plan, mounts)); /* the arrays from there on are filled as counted */
    pl->n_fds = n_fds;
    errno = EPROTO;
    while (p < end) {
        uint16_t tag;
        uint32_t n;
        if (end - p < 6) return -1;
        memcpy(&tag, p, 2);
        memcpy(&n, p + 2, 4);
        p += 6;
        if ((size_t)(end - p) < n || decode_record(pl, tag, p, n) < 0) {
            if (errno != E2BIG) errno = EPROTO;
            return -1;
        }
        p += n;
    }
    return check(pl);
}

/* --describe-plan: each record as decoded, by tag, as PlanCodec.describe() prints it: the tag,
   then each field, a number in decimal, a string or bytes in hex after an x. */
void plan_describe(const struct plan *pl) {
    for (uint16_t tag = 0; tag < MAX_TAG; tag++) {
        for (size_t i = 0; i < pl->n[tag]; i++) {
            const unsigned char *rec = (const unsigned char *)pl + fields[tag].at + i * fields[tag].size;
            size_t at = 0;
            printf("%u", (unsigned)tag);
            for (const char *s = shapes[tag]; *s; at += size_of(*s++)) {
                uint64_t number = 0;
                const unsigned char *bytes;
                size_t n;
                at = aligned(at, *s);
                memcpy(&number, rec + at, size_of(*s) == 4 ? 4 : 8);
                if (*s == 'u' || *s == 'f' || *s == 'l') {
                    printf(" %llu", (unsigned long long)number);
                    continue;
                }
                memcpy(&bytes, rec + at, sizeof bytes);
                if (*s == 'b') memcpy(&n, rec + at + sizeof bytes, sizeof n);
                else n = strlen((const char *)bytes);
                printf(" x");
                for (size_t k = 0; k < n; k++) printf("%02x", bytes[k]);
            }
            printf("\n");
        }
    }
}
