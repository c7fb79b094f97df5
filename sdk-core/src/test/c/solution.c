/* A judge "solution": reads two numbers and prints their sum; with an argument it also tries a
   forbidden call (fork, exec, socket) to be killed by the strict judge profile. */
#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int main(int argc, char **argv) {
    long a = 0, b = 0;
    if (scanf("%ld %ld", &a, &b) != 2) return 3;
    printf("%ld\n", a + b);
    fflush(stdout);
    if (argc > 1 && !strcmp(argv[1], "fork")) fork();
    if (argc > 1 && !strcmp(argv[1], "exec")) execl("/bin/true", "true", (char *)0);
    if (argc > 1 && !strcmp(argv[1], "socket")) socket(AF_INET, SOCK_STREAM, 0);
    if (argc > 1 && !strcmp(argv[1], "fd1023")) printf("%d\n", (int)write(1023, "x", 1));
    return 0;
}
