package dev.corral.namespaces.seccomp;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * A compiled seccomp filter: the {@code struct sock_filter} array for one architecture, as
 * little-endian bytes (8 per instruction: {@code u16 code, u8 jt, u8 jf, u32 k}), ready for
 * {@code seccomp(SECCOMP_SET_MODE_FILTER, 0, &(struct sock_fprog){count, bytes})}.
 *
 * <p>The program of an {@linkplain SeccompProfile#isUnconfined() unconfined} profile is
 * {@linkplain #isEmpty() empty}: install nothing (the kernel would refuse it with EINVAL anyway,
 * so it can never be mistaken for a filter).
 *
 * <pre>{@code
 * SeccompProgram p = SeccompProfiles.defaultProfile().compile(SeccompArchitecture.X86_64);
 * p.instructionCount();          // about 200
 * byte[] filter = p.toByteArray();  // 8 * instructionCount() bytes, handed to the launcher
 * }</pre>
 */
public final class SeccompProgram {

    /** The most instructions the kernel accepts in one filter ({@code BPF_MAXINSNS}). */
    public static final int MAX_INSTRUCTIONS = 4096;

    private final SeccompArchitecture architecture;
    private final byte[] bytes;

    SeccompProgram(SeccompArchitecture architecture, byte[] bytes) {
        if (bytes.length % 8 != 0) {
            throw new IllegalArgumentException("a sock_filter array is a multiple of 8 bytes, was " + bytes.length);
        }
        this.architecture = architecture;
        this.bytes = bytes.clone();
    }

    /** @return the architecture this program checks for */
    public SeccompArchitecture architecture() {
        return architecture;
    }

    /** @return the number of {@code struct sock_filter} instructions; 0 for an empty program */
    public int instructionCount() {
        return bytes.length / 8;
    }

    /** @return whether this is the program of an unconfined profile, which installs no filter */
    public boolean isEmpty() {
        return bytes.length == 0;
    }

    /** @return a copy of the {@code struct sock_filter} array, little-endian */
    public byte[] toByteArray() {
        return bytes.clone();
    }

    /**
     * Writes the {@code struct sock_filter} array.
     *
     * @param out where to write
     * @throws IOException when writing fails
     */
    public void writeTo(OutputStream out) throws IOException {
        out.write(bytes);
    }

    /**
     * @return the program as text, one instruction a line ({@code 0003: jeq #0x101 jt 4 jf 9}),
     *         for logs and debugging
     */
    public String disassemble() {
        StringBuilder sb = new StringBuilder();
        ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        for (int pc = 0; pc < instructionCount(); pc++) {
            int code = b.getShort() & 0xffff;
            int jt = b.get() & 0xff;
            int jf = b.get() & 0xff;
            int k = b.getInt();
            sb.append(String.format("%04d: ", pc));
            switch (code) {
                case Bpf.LD_W_ABS:
                    sb.append(String.format("ld [%d]", k));
                    break;
                case Bpf.ALU_AND_K:
                    sb.append(String.format("and #0x%x", k));
                    break;
                case Bpf.JA:
                    sb.append(String.format("ja %d", pc + 1 + k));
                    break;
                case Bpf.JEQ_K:
                case Bpf.JGT_K:
                case Bpf.JGE_K:
                case Bpf.JSET_K:
                    String op = code == Bpf.JEQ_K ? "jeq" : code == Bpf.JGT_K ? "jgt" : code == Bpf.JGE_K ? "jge" : "jset";
                    sb.append(String.format("%s #0x%x jt %d jf %d", op, k, pc + 1 + jt, pc + 1 + jf));
                    break;
                case Bpf.RET_K:
                    String action;
                    try {
                        action = SeccompAction.fromReturnValue(k).toString();
                    } catch (IllegalArgumentException e) {
                        action = String.format("0x%08x", k);
                    }
                    sb.append("ret ").append(action);
                    break;
                default:
                    sb.append(String.format("code 0x%04x jt %d jf %d k 0x%x", code, jt, jf, k));
            }
            sb.append('\n');
        }
        return sb.toString();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof SeccompProgram && ((SeccompProgram) o).architecture == architecture
                && Arrays.equals(((SeccompProgram) o).bytes, bytes);
    }

    @Override
    public int hashCode() {
        return architecture.hashCode() * 31 + Arrays.hashCode(bytes);
    }

    @Override
    public String toString() {
        return "SeccompProgram[" + architecture.canonicalName() + ", " + instructionCount() + " instructions]";
    }
}
