/* Writes without end: past the 1 MiB output limit the container is killed (OLE, which counts as
 * run_time_error). */
#include <stdio.h>
int main(void) {
    for (;;) fputs("flood flood flood flood flood flood flood flood flood flood flood flood\n", stdout);
}
