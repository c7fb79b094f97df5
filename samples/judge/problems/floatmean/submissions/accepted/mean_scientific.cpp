// Prints in scientific notation: the float tolerance accepts any formatting of the number.
#include <cstdio>
int main() {
    int n;
    if (std::scanf("%d", &n) != 1) return 1;
    double sum = 0, x;
    for (int i = 0; i < n; i++) { std::scanf("%lf", &x); sum += x; }
    std::printf("%.12E\n", sum / n);
}
