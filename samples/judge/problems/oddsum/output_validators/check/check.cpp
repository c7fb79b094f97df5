// Output validator: input_file answer_file feedback_dir < team_output. Accepts two odd positive
// integers (and nothing more) that sum to the N of the input file.
#include <fstream>
#include <iostream>
#include <string>

static int reject(const std::string &dir, const std::string &why) {
    std::ofstream(dir + "judgemessage.txt") << why << '\n';
    return 43;
}

int main(int argc, char **argv) {
    if (argc < 4) return 1;
    std::ifstream in(argv[1]);
    long long n;
    if (!(in >> n)) return 1;
    std::string dir = argv[3];
    long long a, b;
    if (!(std::cin >> a >> b)) return reject(dir, "expected two integers");
    std::string extra;
    if (std::cin >> extra) return reject(dir, "more output than two integers");
    if (a <= 0 || b <= 0) return reject(dir, "the numbers must be positive");
    if (a % 2 == 0 || b % 2 == 0) return reject(dir, "the numbers must be odd");
    if (a + b != n) return reject(dir, std::to_string(a) + " + " + std::to_string(b) + " is not " + std::to_string(n));
    return 42;
}
