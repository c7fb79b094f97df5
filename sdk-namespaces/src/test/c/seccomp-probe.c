/*
 * Test probe: makes one system call and reports it. Prints "ok" and exits 0 when the call
 * succeeded, prints "errno N" and exits 1 when it failed; a seccomp kill shows as SIGSYS.
 *
 * usage: seccomp-probe socket | fork | mount | unshare-user | write | execve PATH
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static int report(long r) {
    if (r < 0) {
        printf("errno %d\n", errno);
        return 1;
    }
    printf("ok\n");
    return 0;
}

int main(int argc, char **argv) {
    if (argc < 2) return 2;
    const char *what = argv[1];
    if (strcmp(what, "socket") == 0) return report(socket(AF_INET, SOCK_STREAM, 0));
    if (strcmp(what, "write") == 0) return report(0);
    if (strcmp(what, "unshare-user") == 0) return report(unshare(CLONE_NEWUSER));
    /* A remount of a path that does not exist: ENOENT when the kernel sees it, EPERM from the
       filter; harmless either way. */
    if (strcmp(what, "mount") == 0) return report(mount(NULL, "/nonexistent-corral-probe", NULL, MS_REMOUNT, NULL));
    if (strcmp(what, "fork") == 0) {
        fflush(stdout);
        pid_t pid = fork(); /* clone(SIGCHLD | ...) in the C library */
        if (pid == 0) _exit(0);
        if (pid > 0) waitpid(pid, NULL, 0);
        return report(pid);
    }
    if (strcmp(what, "execve") == 0 && argc > 2) {
        fflush(stdout);
        char *args[] = {argv[2], NULL};
        execv(argv[2], args);
        return report(-1);
    }
    return 2;
}
