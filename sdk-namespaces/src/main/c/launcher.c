/* placeholder replaced by the real launcher in the next commit */
#include <stdio.h>
int main(void) { puts("corral-launcher"); return 0; }
