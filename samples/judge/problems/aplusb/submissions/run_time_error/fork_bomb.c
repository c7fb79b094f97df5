/* Forks until it cannot: it reaches its pids limit, which the judge tells apart from running out
 * of CPU time. */
#include <unistd.h>
int main(void) {
    for (;;) fork();
}
