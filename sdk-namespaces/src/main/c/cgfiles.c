/*
 * A cgroup's files, kept open from one container to the next, and the counters read at a
 * container's reap. (Issue 12 moves this cache to Java's cgroup lease, which will hand the
 * launcher descriptors instead of paths.)
 */
#include "launcher.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A container's cgroup is set back and given to the next container, so the files a child
   joins its cgroups through, the counters read at its reap and the files that set them back
   are opened once and kept: opening one walks six kernfs directories and costs about as much
   as a join. The JVM never gives two cgroups the same path in a launcher's life (see
   LaunchPlan), so a kept fd names the cgroup its path names, or one removed since, whose path
   is not asked for again; past CGROUP_FILES_KEPT (more than one plan's files), the least
   recently used is closed. */
#define CGROUP_FILES_KEPT 64
static struct {
    struct cgroup_file files[CGROUP_FILES_KEPT];
    uint64_t clock;
} kept;

static void forget_cgroup_file(struct cgroup_file *f) {
    if (f->path == NULL) return;
    close(f->fd);
    free(f->path);
    *f = (struct cgroup_file){0};
}

/* The kept file for path opened with flags (O_CLOEXEC added, its fd never 0-2), opened now if
   it is not kept yet; the cache owns its fd: the caller must not close it. NULL with errno if
   it cannot be opened. */
struct cgroup_file *kept_cgroup_file(const char *path, int flags) {
    struct cgroup_file *oldest = &kept.files[0];
    for (int i = 0; i < CGROUP_FILES_KEPT; i++) {
        struct cgroup_file *f = &kept.files[i];
        if (f->path && f->flags == flags && strcmp(f->path, path) == 0) {
            f->used = ++kept.clock;
            return f;
        }
        if (f->used < oldest->used) oldest = f;
    }
    int fd = open(path, flags | O_CLOEXEC);
    if (fd >= 0 && fd < 3) { /* the launcher's stdio was closed: keep 0-2 for the child's own */
        int high = fcntl(fd, F_DUPFD_CLOEXEC, 3);
        close(fd);
        fd = high;
    }
    if (fd < 0) return NULL;
    char *copy = strdup(path);
    if (copy == NULL) {
        close(fd);
        errno = ENOMEM;
        return NULL;
    }
    forget_cgroup_file(oldest);
    *oldest = (struct cgroup_file){copy, flags, fd, ++kept.clock};
    return oldest;
}

/* Closes every kept cgroup file: after a join failed, in case one named a removed cgroup. */
void cgroup_files_forget(void) {
    for (int i = 0; i < CGROUP_FILES_KEPT; i++) forget_cgroup_file(&kept.files[i]);
}

/* Reads a counter file whole into out, through a kept fd (a read at offset 0 is a fresh one);
   returns its length, -1 if it does not exist, -2 if it cannot be read whole (the JVM then
   reads it itself). */
static int32_t read_counter_file(const char *path, unsigned char *out) {
    ssize_t n = -1;
    for (int attempt = 0; attempt < 2; attempt++) {
        struct cgroup_file *f = kept_cgroup_file(path, O_RDONLY);
        if (f == NULL) return errno == ENOENT ? -1 : -2;
        do n = pread(f->fd, out, COUNTER_FILE_BYTES, 0); while (n < 0 && errno == EINTR);
        if (n >= 0 || errno != ENODEV) break;
        forget_cgroup_file(f); /* its cgroup was removed: open the path anew, once */
    }
    return n < 0 || n == COUNTER_FILE_BYTES ? -2 : (int32_t)n;
}

/* Writes "0" to each counter reset file, through kept fds (with write: kernfs refuses pwrite
   on its seq files, and a cgroup file takes a write at any offset); 1 if every write took. */
static int reset_counters(const char *path, uint32_t n) {
    int ok = n > 0;
    for (uint32_t i = 0; i < n; i++, path += strlen(path) + 1) {
        struct cgroup_file *f = kept_cgroup_file(path, O_WRONLY);
        ssize_t w = -1;
        if (f != NULL)
            do w = write(f->fd, "0", 1); while (w < 0 && errno == EINTR);
        if (w != 1) {
            if (f != NULL) forget_cgroup_file(f);
            ok = 0;
        }
    }
    return ok;
}

/* Keeps the plan's counter and counter reset files for the reap; without memory, none: the
   JVM reads the counters and sets them back itself. */
void counters_keep(struct counters *c, const struct plan *plan) {
    size_t total = 0;
    c->paths = NULL;
    c->n_counters = c->n_resets = 0;
    for (size_t i = 0; i < plan->n_counter_files; i++) total += strlen(plan->counter_files[i]) + 1;
    for (size_t i = 0; i < plan->n_counter_resets; i++) total += strlen(plan->counter_resets[i]) + 1;
    if (total == 0 || (c->paths = malloc(total)) == NULL) return;
    char *at = c->paths;
    for (size_t i = 0; i < plan->n_counter_files + plan->n_counter_resets; i++) {
        const char *p = i < plan->n_counter_files ? plan->counter_files[i] : plan->counter_resets[i - plan->n_counter_files];
        size_t l = strlen(p) + 1;
        memcpy(at, p, l);
        at += l;
    }
    c->n_counters = (uint32_t)plan->n_counter_files;
    c->n_resets = (uint32_t)plan->n_counter_resets;
}


/* Appends, for each counter file in the plan's order, an i32 length (-1 absent, -2 unread) and
   its bytes; then a u32, 1 if the counter reset files were all written "0" after the counter
   files were all read (which is only tried then). Returns the bytes appended (at most
   COUNTERS_BYTES). */
size_t counters_append(const struct counters *c, unsigned char *out) {
    size_t len = 0;
    uint32_t n = c->n_counters;
    memcpy(out, &n, 4);
    len += 4;
    const char *path = c->paths;
    int all_read = 1;
    for (uint32_t i = 0; i < n; i++) {
        int32_t got = read_counter_file(path, out + len + 4);
        memcpy(out + len, &got, 4);
        len += 4 + (got > 0 ? (size_t)got : 0);
        path += strlen(path) + 1;
        if (got == -2) all_read = 0;
    }
    uint32_t reset = all_read && n > 0 && reset_counters(path, c->n_resets);
    memcpy(out + len, &reset, 4);
    return len + 4;
}

void counters_free(struct counters *c) {
    free(c->paths);
    c->paths = NULL;
}
