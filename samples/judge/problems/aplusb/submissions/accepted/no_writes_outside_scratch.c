/* Tries to write outside its scratch space (its private /tmp, and /dev/shm, both in memory and
 * gone with the container): into its own program directory, the root, /etc, /usr, /var/tmp and
 * through /proc/self/root. Prints a wrong answer if any write works: accepted only while the
 * sandbox refuses them all. Writing in /tmp must work. */
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

int main(void) {
    const char *outside[] = {"/prog/x", "/x", "/etc/x", "/usr/x", "/var/tmp/x",
                             "/proc/self/root/x", "/home/x", "/root/x", "/judge/x"};
    int escaped = 0;
    for (unsigned i = 0; i < sizeof outside / sizeof *outside; i++) {
        int fd = open(outside[i], O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd >= 0 && write(fd, "x", 1) == 1) { fprintf(stderr, "wrote %s\n", outside[i]); escaped = 1; }
        if (fd >= 0) close(fd);
    }
    int fd = open("/tmp/scratch", O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int scratch_ok = fd >= 0 && write(fd, "ok", 2) == 2;
    long long a, b;
    if (scanf("%lld %lld", &a, &b) != 2) return 1;
    printf("%lld\n", escaped || !scratch_ok ? a + b + 1 : a + b);
    return 0;
}
