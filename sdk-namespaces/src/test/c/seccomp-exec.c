/*
 * Test helper: installs a seccomp filter compiled by Corral's Java compiler into itself, then
 * executes a command under it. The JVM never installs a filter; this process does.
 *
 * usage: seccomp-exec [--exec-fd N] [--nofile M] FILTER_FILE|- COMMAND [ARG...]
 *   FILTER_FILE  a struct sock_filter array (8 bytes an instruction); "-" installs none
 *   --exec-fd N  open COMMAND as fd N (O_PATH|O_CLOEXEC) and exec it with
 *                execveat(N, "", argv, envp, AT_EMPTY_PATH), as the strict judge profile needs
 *   --nofile M   set RLIMIT_NOFILE (soft and hard) to M before installing the filter
 * Exit status 125 and a message on stderr when a setup step fails.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

extern char **environ;

static void die(const char *step) {
    fprintf(stderr, "seccomp-exec: %s: %s\n", step, strerror(errno));
    exit(125);
}

int main(int argc, char **argv) {
    int exec_fd = -1;
    long nofile = -1;
    int i = 1;
    for (; i < argc && strncmp(argv[i], "--", 2) == 0; i += 2) {
        if (i + 1 >= argc) {
            fprintf(stderr, "seccomp-exec: %s needs a value\n", argv[i]);
            return 125;
        }
        if (strcmp(argv[i], "--exec-fd") == 0) {
            exec_fd = atoi(argv[i + 1]);
        } else if (strcmp(argv[i], "--nofile") == 0) {
            nofile = atol(argv[i + 1]);
        } else {
            fprintf(stderr, "seccomp-exec: unknown option %s\n", argv[i]);
            return 125;
        }
    }
    if (argc - i < 2) {
        fprintf(stderr, "usage: seccomp-exec [--exec-fd N] [--nofile M] FILTER_FILE|- COMMAND [ARG...]\n");
        return 125;
    }
    const char *filter_file = argv[i];
    char **command = &argv[i + 1];

    static unsigned char filter[4096 * 8];
    size_t length = 0;
    if (strcmp(filter_file, "-") != 0) {
        int fd = open(filter_file, O_RDONLY | O_CLOEXEC);
        if (fd < 0) die("open filter");
        ssize_t n;
        while ((n = read(fd, filter + length, sizeof filter - length)) > 0) length += (size_t) n;
        if (n < 0) die("read filter");
        close(fd);
        if (length == 0 || length % 8 != 0) {
            fprintf(stderr, "seccomp-exec: filter has %zu bytes, not a sock_filter array\n", length);
            return 125;
        }
    }

    if (exec_fd >= 0) {
        int fd = open(command[0], O_PATH | O_CLOEXEC);
        if (fd < 0) die("open command");
        if (dup3(fd, exec_fd, O_CLOEXEC) < 0) die("dup3 command");
        close(fd);
    }
    if (nofile >= 0) {
        struct rlimit rl = {(rlim_t) nofile, (rlim_t) nofile};
        if (setrlimit(RLIMIT_NOFILE, &rl) < 0) die("setrlimit RLIMIT_NOFILE");
    }
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) die("prctl PR_SET_NO_NEW_PRIVS");
    if (length > 0) {
        struct sock_fprog prog = {(unsigned short) (length / 8), (struct sock_filter *) filter};
        if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) < 0) die("seccomp SECCOMP_SET_MODE_FILTER");
    }
    if (exec_fd >= 0) {
        syscall(SYS_execveat, exec_fd, "", command, environ, AT_EMPTY_PATH);
        die("execveat");
    }
    execvp(command[0], command);
    die("execvp");
}
