/* Rounds to two decimals: outside the 1e-6 tolerance on most tests. */
#include <stdio.h>
int main(void) {
    int n;
    if (scanf("%d", &n) != 1) return 1;
    double sum = 0, x;
    for (int i = 0; i < n; i++) { scanf("%lf", &x); sum += x; }
    printf("%.2f\n", sum / n);
    return 0;
}
