/*
 * Attacks from inside a container, one per name: each tries one forbidden thing and prints
 * "ok" if it worked, else the errno's name (EPERM, EACCES, ...). Compiled by EscapeTest with
 * gcc at test time. Every attack is harmless if it should succeed by mistake (bad magic
 * numbers, no-op values), so a broken sandbox fails the test, not the machine.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/keyctl.h>
#include <linux/perf_event.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

static int report(long r) {
    if (r >= 0) {
        puts("ok");
        return 0;
    }
    const char *n = strerrorname_np(errno);
    puts(n ? n : "unknown");
    return 1;
}

int main(int argc, char **argv) {
    if (argc < 2) return 2;
    const char *a = argv[1];
    long arg = argc > 2 ? strtol(argv[2], NULL, 10) : 0;
    if (!strcmp(a, "mount")) return report(mount("none", "/tmp", "tmpfs", 0, NULL));
    if (!strcmp(a, "fsopen")) return report(syscall(SYS_fsopen, "tmpfs", 0));
    if (!strcmp(a, "unshare-user")) return report(unshare(CLONE_NEWUSER));
    if (!strcmp(a, "unshare-mount")) return report(unshare(CLONE_NEWNS));
    if (!strcmp(a, "clone-newuser")) return report(syscall(SYS_clone, CLONE_NEWUSER | SIGCHLD, 0, 0, 0, 0) == 0 ? (_exit(0), 0) : -1);
    if (!strcmp(a, "setns")) {
        int fd = open("/proc/1/ns/mnt", O_RDONLY);
        if (fd < 0) return report(-1);
        return report(setns(fd, 0));
    }
    if (!strcmp(a, "ptrace")) return report(ptrace(PTRACE_ATTACH, (pid_t)arg, 0, 0));
    if (!strcmp(a, "process_vm_readv")) {
        char buf[8];
        struct iovec l = {buf, 8}, r = {(void *)0x400000, 8};
        return report(process_vm_readv((pid_t)arg, &l, 1, &r, 1, 0));
    }
    if (!strcmp(a, "open_by_handle_at")) {
        struct { struct file_handle h; unsigned char b[128]; } fh;
        int mnt;
        fh.h.handle_bytes = 128;
        if (name_to_handle_at(AT_FDCWD, "/etc/passwd", &fh.h, &mnt, 0) < 0) return report(-1);
        return report(open_by_handle_at(AT_FDCWD, &fh.h, O_RDONLY));
    }
    if (!strcmp(a, "init_module")) return report(syscall(SYS_init_module, "", 0UL, ""));
    if (!strcmp(a, "finit_module")) return report(syscall(SYS_finit_module, 0, "", 0));
    if (!strcmp(a, "kexec_load")) return report(syscall(SYS_kexec_load, 0UL, 0UL, NULL, 0UL));
    if (!strcmp(a, "bpf")) {
        unsigned char attr[128] = {0};
        return report(syscall(SYS_bpf, 0 /* BPF_MAP_CREATE */, attr, sizeof attr));
    }
    if (!strcmp(a, "keyctl")) return report(syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, "corral-attack"));
    if (!strcmp(a, "add_key")) return report(syscall(SYS_add_key, "user", "corral", "x", 1, KEY_SPEC_USER_KEYRING));
    if (!strcmp(a, "chroot")) return report(chroot("."));
    if (!strcmp(a, "reboot")) return report(syscall(SYS_reboot, 0, 0, 0x4321fedc, NULL)); /* bad magic: harmless */
    if (!strcmp(a, "sethostname")) return report(sethostname("corral", 6)); /* the container's own name */
    if (!strcmp(a, "settime")) {
        struct timespec t;
        clock_gettime(CLOCK_REALTIME, &t);
        return report(clock_settime(CLOCK_REALTIME, &t));
    }
    if (!strcmp(a, "perf_event_open")) {
        struct perf_event_attr pe;
        memset(&pe, 0, sizeof pe);
        pe.type = PERF_TYPE_SOFTWARE;
        pe.size = sizeof pe;
        pe.config = PERF_COUNT_SW_CPU_CLOCK;
        return report(syscall(SYS_perf_event_open, &pe, 0, -1, -1, 0));
    }
    if (!strcmp(a, "userfaultfd")) return report(syscall(SYS_userfaultfd, 0));
    if (!strcmp(a, "io_uring_setup")) {
        unsigned char params[120] = {0};
        return report(syscall(SYS_io_uring_setup, 1, params));
    }
    if (!strcmp(a, "mknod")) return report(mknod("/tmp/sda", S_IFBLK | 0600, makedev(8, 0)));
    if (!strcmp(a, "capset")) {
        struct { unsigned v; int pid; } h = {0x20080522, 0};
        struct { unsigned e, p, i; } d[2] = {{~0u, ~0u, 0}, {~0u, ~0u, 0}};
        return report(syscall(SYS_capset, &h, d));
    }
    if (!strcmp(a, "raise-nofile")) {
        struct rlimit r;
        getrlimit(RLIMIT_NOFILE, &r);
        r.rlim_max += 1;
        r.rlim_cur = r.rlim_max;
        return report(setrlimit(RLIMIT_NOFILE, &r));
    }
    if (!strcmp(a, "raise-core")) {
        struct rlimit r = {RLIM_INFINITY, RLIM_INFINITY};
        return report(setrlimit(RLIMIT_CORE, &r));
    }
    if (!strcmp(a, "vsock")) return report(socket(40 /* AF_VSOCK */, SOCK_STREAM, 0));
    if (!strcmp(a, "write-exe")) return report(open(argv[2], O_WRONLY));
    if (!strcmp(a, "open")) return report(open(argv[2], O_RDONLY));
    if (!strcmp(a, "kill")) return report(kill((pid_t)arg, 0));
    if (!strcmp(a, "caps")) { /* prints the effective and bounding sets as the kernel has them */
        char line[256];
        FILE *f = fopen("/proc/self/status", "r");
        while (f && fgets(line, sizeof line, f))
            if (!strncmp(line, "CapEff", 6) || !strncmp(line, "CapBnd", 6) || !strncmp(line, "CapAmb", 6)
                || !strncmp(line, "NoNewPrivs", 10) || !strncmp(line, "Seccomp:", 8) || !strncmp(line, "Uid", 3))
                fputs(line, stdout);
        return 0;
    }
    if (!strcmp(a, "fd-escape")) { /* runc CVE-2024-21626: a leaked directory fd or cwd outside the root */
        int found = 0;
        for (int fd = 3; fd < 1024; fd++) {
            char p[64];
            snprintf(p, sizeof p, "/proc/self/fd/%d", fd);
            if (access(p, F_OK) == 0) {
                printf("leaked fd %d\n", fd);
                found = 1;
            }
        }
        char cwd[4096];
        if (!getcwd(cwd, sizeof cwd)) {
            puts("cwd outside the root");
            return 1;
        }
        puts(found ? "leak" : "none");
        return found;
    }
    return 2;
}
