package dev.corral.namespaces.seccomp;

import java.math.BigInteger;

/**
 * The straightforward Java reading of a profile's documented semantics, independent of the
 * compiler: what the compiled program must return for one system call.
 */
final class ReferenceEvaluator {
    private ReferenceEvaluator() {
    }

    static SeccompAction decide(SeccompProfile profile, SeccompArchitecture programArch, int auditArch, int nr,
                                long[] args) {
        if (auditArch != programArch.auditArch()) {
            return SeccompAction.killProcess();
        }
        if (programArch == SeccompArchitecture.X86_64 && Integer.compareUnsigned(nr, 0x40000000) >= 0 && nr != -1) {
            return SeccompAction.killProcess();
        }
        for (SyscallRule rule : profile.rules()) {
            if (!rule.appliesTo(programArch)) {
                continue;
            }
            var number = programArch.syscallNumber(rule.syscall());
            if (number.isEmpty() || number.getAsInt() != nr) {
                continue;
            }
            boolean all = true;
            for (ArgCondition c : rule.conditions()) {
                all &= holds(c, args[c.index()]);
            }
            if (all) {
                return rule.action();
            }
        }
        return profile.defaultAction();
    }

    static boolean holds(ArgCondition c, long arg) {
        BigInteger a = unsigned(arg);
        BigInteger v = unsigned(c.value());
        int cmp = a.compareTo(v);
        switch (c.op()) {
            case EQ: return cmp == 0;
            case NE: return cmp != 0;
            case LT: return cmp < 0;
            case LE: return cmp <= 0;
            case GT: return cmp > 0;
            case GE: return cmp >= 0;
            case MASKED_EQ: return a.and(unsigned(c.mask())).equals(v);
            default: throw new AssertionError(c.op());
        }
    }

    private static BigInteger unsigned(long x) {
        return new BigInteger(Long.toUnsignedString(x));
    }
}
