/* Looks for the judge's answer files (.ans, this test's or another's) everywhere but /proc, /sys
 * and the host's read-only system directories, and prints a wrong answer if it can read any:
 * accepted only while the sandbox shows it none. */
#define _GNU_SOURCE
#include <ftw.h>
#include <stdio.h>
#include <string.h>

static int found;

static int visit(const char *path, const struct stat *st, int type, struct FTW *ftw) {
    (void) st; (void) ftw;
    static const char *skip[] = {"/proc", "/sys", "/usr", "/lib", "/lib32", "/lib64", "/libx32", "/bin", "/sbin", "/etc"};
    if (type == FTW_D)
        for (unsigned i = 0; i < sizeof skip / sizeof *skip; i++)
            if (strcmp(path, skip[i]) == 0) return FTW_SKIP_SUBTREE;
    size_t n = strlen(path);
    if (type == FTW_F && n > 4 && strcmp(path + n - 4, ".ans") == 0) {
        FILE *f = fopen(path, "r");
        if (f) { fprintf(stderr, "read %s\n", path); found = 1; fclose(f); return FTW_STOP; }
    }
    return FTW_CONTINUE;
}

int main(void) {
    long long a, b;
    if (scanf("%lld %lld", &a, &b) != 2) return 1;
    nftw("/", visit, 32, FTW_PHYS | FTW_ACTIONRETVAL);
    printf("%lld\n", found ? a + b + 1 : a + b);
    return 0;
}
