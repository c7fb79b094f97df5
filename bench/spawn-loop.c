/* The floor a pooled run is compared with: posix_spawn + waitpid of one program, N times, from
   one C process; prints the median and the mean per run in milliseconds.
     cc -O2 -o spawn-loop bench/spawn-loop.c && ./spawn-loop 1000 /bin/true */
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>

extern char **environ;

static int cmp(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: %s RUNS PROGRAM [ARG...]\n", argv[0]);
        return 2;
    }
    int n = atoi(argv[1]);
    if (n < 1) return 2;
    double *ms = malloc(sizeof(double) * (size_t)n), sum = 0;
    if (!ms) return 1;
    for (int i = 0; i < n; i++) {
        struct timespec a, b;
        pid_t pid;
        int status;
        clock_gettime(CLOCK_MONOTONIC, &a);
        if (posix_spawn(&pid, argv[2], NULL, NULL, argv + 2, environ) != 0) { perror("posix_spawn"); return 1; }
        if (waitpid(pid, &status, 0) < 0) { perror("waitpid"); return 1; }
        clock_gettime(CLOCK_MONOTONIC, &b);
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) { fprintf(stderr, "run %d failed\n", i); return 1; }
        ms[i] = (double)(b.tv_sec - a.tv_sec) * 1e3 + (double)(b.tv_nsec - a.tv_nsec) / 1e6;
        sum += ms[i];
    }
    qsort(ms, (size_t)n, sizeof(double), cmp);
    printf("spawn-loop median_ms=%.3f mean_ms=%.3f min_ms=%.3f runs=%d\n", ms[n / 2], sum / n, ms[0], n);
    return 0;
}
