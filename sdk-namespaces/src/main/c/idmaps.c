/* A new user namespace's ID maps, written by the launcher or by newuidmap/newgidmap. */
#include "launcher.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static int write_file(const char *path, const char *text) {
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    size_t len = strlen(text);
    ssize_t w = write(fd, text, len);
    int saved = errno;
    close(fd);
    if (w != (ssize_t)len) {
        errno = w < 0 ? saved : EIO;
        return -1;
    }
    return 0;
}

/* Runs newuidmap/newgidmap (setuid root, checks /etc/subuid) as "TOOL PID <map words>" and
   waits for it. A failure is EPERM; the tool's own message goes to the launcher's stderr. */
static int run_map_tool(const char *tool, pid_t pid, const char *map) {
    char words[4096], pidtext[16];
    char *argv[3 + 3 * 340 + 1];
    size_t len = strlen(map);
    int n = 0;
    if (len >= sizeof words) {
        errno = E2BIG;
        return -1;
    }
    memcpy(words, map, len + 1);
    snprintf(pidtext, sizeof pidtext, "%d", pid);
    argv[n++] = (char *)tool;
    argv[n++] = pidtext;
    for (char *save = NULL, *w = strtok_r(words, " \t\n", &save); w; w = strtok_r(NULL, " \t\n", &save)) {
        if (n >= (int)(sizeof argv / sizeof argv[0]) - 1) {
            errno = E2BIG;
            return -1;
        }
        argv[n++] = w;
    }
    argv[n] = NULL;
    char *envp[] = {"PATH=/usr/sbin:/usr/bin:/sbin:/bin", NULL};
    pid_t t = fork();
    if (t < 0) return -1;
    if (t == 0) {
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        int null = open("/dev/null", O_RDWR);
        if (null >= 0) { dup2(null, 0); dup2(null, 1); }
        execve(tool, argv, envp);
        _exit(127);
    }
    int status;
    while (waitpid(t, &status, 0) < 0)
        if (errno != EINTR) return -1;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        errno = WIFEXITED(status) && WEXITSTATUS(status) == 127 ? ENOENT : EPERM;
        return -1;
    }
    return 0;
}

/* Writes a new user namespace's ID maps, as the launcher or a setuid tool (rootless) may:
   uid_map, then "deny" to setgroups where asked, then gid_map. 0, or -1 with errno and *step,
   *index naming the write that failed (index 1: by the tool). */
int write_id_maps(pid_t pid, const char *uid_map, const char *uid_tool, const char *gid_map,
                         const char *gid_tool, int deny_setgroups, int32_t *step, int32_t *index) {
    char path[64];
    if (uid_map) {
        snprintf(path, sizeof path, "/proc/%d/uid_map", pid);
        *step = STEP_UID_MAP;
        *index = uid_tool ? 1 : 0;
        if ((uid_tool ? run_map_tool(uid_tool, pid, uid_map) : write_file(path, uid_map)) < 0) return -1;
    }
    if (gid_map) {
        snprintf(path, sizeof path, "/proc/%d/setgroups", pid);
        *step = STEP_SETGROUPS_DENY;
        *index = 0;
        if (deny_setgroups && write_file(path, "deny") < 0 && errno != ENOENT) return -1;
        snprintf(path, sizeof path, "/proc/%d/gid_map", pid);
        *step = STEP_GID_MAP;
        *index = gid_tool ? 1 : 0;
        if ((gid_tool ? run_map_tool(gid_tool, pid, gid_map) : write_file(path, gid_map)) < 0) return -1;
    }
    return 0;
}

