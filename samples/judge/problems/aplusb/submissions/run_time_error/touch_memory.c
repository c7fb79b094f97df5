/* Allocates 1 GiB and touches every page: past the 64 MiB limit the kernel's OOM killer ends it
 * (MLE, which counts as run_time_error). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
int main(void) {
    size_t size = 1UL << 30;
    char *p = malloc(size);
    if (!p) return 3;
    for (size_t i = 0; i < size; i += 4096) p[i] = (char) i;
    printf("%d\n", p[size / 2]);
    return 0;
}
