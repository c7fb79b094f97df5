package dev.corral.namespaces.seccomp;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * A classic BPF interpreter for the subset seccomp accepts, written from the kernel's rules
 * (net/core/filter.c, kernel/seccomp.c): it first checks the program as the kernel would
 * (length, opcodes, aligned loads inside {@code struct seccomp_data}, jumps inside the program,
 * a ret at the end), then runs it on one {@code seccomp_data}.
 */
final class BpfInterpreter {

    /** The result of one run: the returned value and how many instructions ran. */
    record Run(int value, int steps) {
        SeccompAction action() {
            return SeccompAction.fromReturnValue(value);
        }
    }

    private final int[] code;
    private final int[] jt;
    private final int[] jf;
    private final int[] k;

    BpfInterpreter(byte[] program) {
        if (program.length == 0 || program.length % 8 != 0) {
            throw new IllegalArgumentException("bad program length " + program.length);
        }
        int n = program.length / 8;
        if (n > 4096) {
            throw new IllegalArgumentException("program too long: " + n);
        }
        code = new int[n];
        jt = new int[n];
        jf = new int[n];
        k = new int[n];
        ByteBuffer b = ByteBuffer.wrap(program).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < n; i++) {
            code[i] = b.getShort() & 0xffff;
            jt[i] = b.get() & 0xff;
            jf[i] = b.get() & 0xff;
            k[i] = b.getInt();
        }
        verify();
    }

    int length() {
        return code.length;
    }

    private void verify() {
        int n = code.length;
        for (int pc = 0; pc < n; pc++) {
            switch (code[pc]) {
                case 0x20: // ld w abs
                    if (k[pc] < 0 || k[pc] >= 64 || (k[pc] & 3) != 0) {
                        throw new IllegalArgumentException("bad load offset " + k[pc] + " at " + pc);
                    }
                    break;
                case 0x54: // and k
                case 0x06: // ret k
                    break;
                case 0x05: // ja
                    if (Integer.toUnsignedLong(k[pc]) >= n - pc - 1) {
                        throw new IllegalArgumentException("ja out of program at " + pc);
                    }
                    break;
                case 0x15:
                case 0x25:
                case 0x35:
                case 0x45:
                    if (pc + 1 + jt[pc] >= n || pc + 1 + jf[pc] >= n) {
                        throw new IllegalArgumentException("conditional jump out of program at " + pc);
                    }
                    break;
                default:
                    throw new IllegalArgumentException(String.format("opcode 0x%x not allowed at %d", code[pc], pc));
            }
        }
        if (code[n - 1] != 0x06) {
            throw new IllegalArgumentException("program does not end with ret");
        }
    }

    Run run(int nr, int arch, long instructionPointer, long[] args) {
        ByteBuffer data = ByteBuffer.allocate(64).order(ByteOrder.LITTLE_ENDIAN);
        data.putInt(nr).putInt(arch).putLong(instructionPointer);
        for (int i = 0; i < 6; i++) {
            data.putLong(args[i]);
        }
        int a = 0;
        int pc = 0;
        int steps = 0;
        while (true) {
            steps++;
            int c = code[pc];
            int kk = k[pc];
            switch (c) {
                case 0x20:
                    a = data.getInt(kk);
                    pc++;
                    break;
                case 0x54:
                    a &= kk;
                    pc++;
                    break;
                case 0x06:
                    return new Run(kk, steps);
                case 0x05:
                    pc += 1 + kk;
                    break;
                case 0x15:
                    pc += 1 + (a == kk ? jt[pc] : jf[pc]);
                    break;
                case 0x25:
                    pc += 1 + (Integer.compareUnsigned(a, kk) > 0 ? jt[pc] : jf[pc]);
                    break;
                case 0x35:
                    pc += 1 + (Integer.compareUnsigned(a, kk) >= 0 ? jt[pc] : jf[pc]);
                    break;
                case 0x45:
                    pc += 1 + ((a & kk) != 0 ? jt[pc] : jf[pc]);
                    break;
                default:
                    throw new IllegalStateException("unverified opcode " + c);
            }
        }
    }
}
