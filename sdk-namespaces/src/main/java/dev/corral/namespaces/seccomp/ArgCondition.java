package dev.corral.namespaces.seccomp;

/**
 * A condition on one system call argument. Arguments and values are compared as unsigned 64-bit
 * numbers, the way the kernel hands them to the filter ({@code seccomp_data.args[i]}); a Java
 * {@code long} such as {@code -1L} stands for {@code 0xffff_ffff_ffff_ffff}. A 32-bit {@code int}
 * argument that the caller passes negative may arrive sign-extended or not, depending on the
 * architecture and the C library, so compare such flags with {@link #maskedEquals} on the bits
 * that matter.
 *
 * <pre>{@code
 * ArgCondition.eq(0, 8);                                  // args[0] == 8
 * ArgCondition.maskedEquals(0, 0x7E020000L, 0);           // (args[0] & CLONE_NEW*) == 0
 * ArgCondition.ge(2, 1L << 32);                           // args[2] >= 2^32, unsigned
 * }</pre>
 *
 * @param index the argument, 0..5
 * @param op    the comparison
 * @param value the value compared with (for {@code MASKED_EQ}: with the masked argument)
 * @param mask  the mask for {@code MASKED_EQ}; -1 (all bits) for every other comparison
 */
public record ArgCondition(int index, Op op, long value, long mask) {

    /**
     * The comparisons a condition can make, all unsigned 64-bit.
     *
     * <pre>{@code
     * new ArgCondition(1, ArgCondition.Op.LT, 4096, -1L);   // same as ArgCondition.lt(1, 4096)
     * }</pre>
     */
    public enum Op {
        /** {@code arg == value} */
        EQ,
        /** {@code arg != value} */
        NE,
        /** {@code arg < value} */
        LT,
        /** {@code arg <= value} */
        LE,
        /** {@code arg > value} */
        GT,
        /** {@code arg >= value} */
        GE,
        /** {@code (arg & mask) == value} */
        MASKED_EQ
    }

    /**
     * Validates the condition.
     *
     * @throws IllegalArgumentException when the index is not in 0..5, or a mask is given for a
     *                                  comparison other than {@code MASKED_EQ}
     */
    public ArgCondition {
        if (index < 0 || index > 5) {
            throw new IllegalArgumentException("seccomp argument index must be in 0..5, was " + index);
        }
        if (op == null) {
            throw new IllegalArgumentException("seccomp comparison must not be null");
        }
        if (op != Op.MASKED_EQ && mask != -1L) {
            throw new IllegalArgumentException("seccomp comparison " + op + " takes no mask");
        }
    }

    /**
     * @param index the argument, 0..5
     * @param value the value
     * @return {@code args[index] == value}
     */
    public static ArgCondition eq(int index, long value) {
        return new ArgCondition(index, Op.EQ, value, -1L);
    }

    /**
     * @param index the argument, 0..5
     * @param value the value
     * @return {@code args[index] != value}
     */
    public static ArgCondition ne(int index, long value) {
        return new ArgCondition(index, Op.NE, value, -1L);
    }

    /**
     * @param index the argument, 0..5
     * @param value the value, unsigned
     * @return {@code args[index] < value}, unsigned
     */
    public static ArgCondition lt(int index, long value) {
        return new ArgCondition(index, Op.LT, value, -1L);
    }

    /**
     * @param index the argument, 0..5
     * @param value the value, unsigned
     * @return {@code args[index] <= value}, unsigned
     */
    public static ArgCondition le(int index, long value) {
        return new ArgCondition(index, Op.LE, value, -1L);
    }

    /**
     * @param index the argument, 0..5
     * @param value the value, unsigned
     * @return {@code args[index] > value}, unsigned
     */
    public static ArgCondition gt(int index, long value) {
        return new ArgCondition(index, Op.GT, value, -1L);
    }

    /**
     * @param index the argument, 0..5
     * @param value the value, unsigned
     * @return {@code args[index] >= value}, unsigned
     */
    public static ArgCondition ge(int index, long value) {
        return new ArgCondition(index, Op.GE, value, -1L);
    }

    /**
     * @param index the argument, 0..5
     * @param mask  the bits of the argument to compare
     * @param value the value the masked bits must equal
     * @return {@code (args[index] & mask) == value}
     */
    public static ArgCondition maskedEquals(int index, long mask, long value) {
        return new ArgCondition(index, Op.MASKED_EQ, value, mask);
    }

    @Override
    public String toString() {
        String v = "0x" + Long.toHexString(value);
        return op == Op.MASKED_EQ
                ? "(arg" + index + " & 0x" + Long.toHexString(mask) + ") == " + v
                : "arg" + index + " " + op + " " + v;
    }

    /*
     * equals and hashCode written out, with the same meaning as a record's own: those are
     * linked through invokedynamic on first use, which costs a short-lived JVM (the CLI) more
     * than compiling a whole profile; the compiler hashes rule lists to share their code.
     */
    @Override
    public boolean equals(Object o) {
        return o instanceof ArgCondition c && index == c.index && op == c.op && value == c.value && mask == c.mask;
    }

    @Override
    public int hashCode() {
        return ((31 * index + op.hashCode()) * 31 + Long.hashCode(value)) * 31 + Long.hashCode(mask);
    }
}
