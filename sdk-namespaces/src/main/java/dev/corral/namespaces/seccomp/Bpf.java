package dev.corral.namespaces.seccomp;

/** The classic BPF opcodes and {@code seccomp_data} offsets the compiler uses. */
final class Bpf {
    private Bpf() {
    }

    /** {@code BPF_LD | BPF_W | BPF_ABS}: A = 32-bit word at offset k of seccomp_data. */
    static final int LD_W_ABS = 0x20;
    /** {@code BPF_ALU | BPF_AND | BPF_K}: A &= k. */
    static final int ALU_AND_K = 0x54;
    /** {@code BPF_JMP | BPF_JA}: pc += k. */
    static final int JA = 0x05;
    /** {@code BPF_JMP | BPF_JEQ | BPF_K}: pc += (A == k) ? jt : jf. */
    static final int JEQ_K = 0x15;
    /** {@code BPF_JMP | BPF_JGT | BPF_K}: pc += (A > k) ? jt : jf, unsigned. */
    static final int JGT_K = 0x25;
    /** {@code BPF_JMP | BPF_JGE | BPF_K}: pc += (A >= k) ? jt : jf, unsigned. */
    static final int JGE_K = 0x35;
    /** {@code BPF_JMP | BPF_JSET | BPF_K}: pc += (A & k) != 0 ? jt : jf. */
    static final int JSET_K = 0x45;
    /** {@code BPF_RET | BPF_K}: return k. */
    static final int RET_K = 0x06;

    /** {@code offsetof(struct seccomp_data, nr)} */
    static final int OFFSET_NR = 0;
    /** {@code offsetof(struct seccomp_data, arch)} */
    static final int OFFSET_ARCH = 4;

    /**
     * @param index argument 0..5
     * @return the offset of the low 32 bits of {@code seccomp_data.args[index]} (little-endian)
     */
    static int argLow(int index) {
        return 16 + 8 * index;
    }

    /**
     * @param index argument 0..5
     * @return the offset of the high 32 bits of {@code seccomp_data.args[index]} (little-endian)
     */
    static int argHigh(int index) {
        return 16 + 8 * index + 4;
    }

    /** x32 system calls have this bit set in their number ({@code __X32_SYSCALL_BIT}). */
    static final int X32_SYSCALL_BIT = 0x40000000;
}
