package dev.corral.namespaces.seccomp;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Compiles a {@link SeccompProfile} for one architecture into classic BPF.
 *
 * <p>Layout: check {@code seccomp_data.arch} (kill on any other), on x86_64 reject x32 numbers
 * (kill), dispatch on the system call number, then each call's rules in order, then the
 * default action. Code is first emitted with symbolic labels; {@link #assemble} then places it,
 * turning every conditional branch that cannot reach its target in 8 bits into a branch to a
 * trampoline right after it (a {@code ja} with a 32-bit offset, or a copy of the target when it
 * is a {@code ret}), repeating until every offset fits.
 */
final class BpfCompiler {

    /** How the system call number is dispatched. */
    enum Dispatch {
        /** One {@code jeq} per system call, in number order. */
        LINEAR,
        /** A binary search over the sorted numbers, with short linear runs at the leaves. */
        BINARY
    }

    /** Leaves of the binary search hold at most this many numbers, compared linearly. */
    static final int LEAF_SIZE = 4;

    private final List<Insn> code = new ArrayList<>();

    private BpfCompiler() {
    }

    static SeccompProgram compile(SeccompProfile profile, SeccompArchitecture arch, Dispatch dispatch) {
        if (profile.isUnconfined()) {
            return new SeccompProgram(arch, new byte[0]);
        }
        BpfCompiler c = new BpfCompiler();
        c.emitProgram(profile, arch, dispatch);
        return new SeccompProgram(arch, c.assemble(arch));
    }

    // ---- emitting ----

    private void emitProgram(SeccompProfile profile, SeccompArchitecture arch, Dispatch dispatch) {
        int kill = SeccompAction.killProcess().returnValue();
        int dflt = profile.defaultAction().returnValue();

        Label archOk = new Label();
        load(Bpf.OFFSET_ARCH);
        jump(Bpf.JEQ_K, arch.auditArch(), archOk, null);
        ret(kill);
        bind(archOk);
        load(Bpf.OFFSET_NR);
        Label dispatchStart = new Label();
        if (arch == SeccompArchitecture.X86_64) {
            // nr >= 0x40000000 is an x32 call, except -1, which a tracer may set to skip a call.
            jump(Bpf.JGE_K, Bpf.X32_SYSCALL_BIT, null, dispatchStart);
            jump(Bpf.JEQ_K, -1, dispatchStart, null);
            ret(kill);
        }
        bind(dispatchStart);

        // Rules per number, in profile order; calls whose rules reduce to one unconditional
        // action share a single ret per action.
        TreeMap<Integer, List<SyscallRule>> byNumber = new TreeMap<>();
        for (SyscallRule rule : profile.rules()) {
            if (!rule.appliesTo(arch)) {
                continue;
            }
            var nr = arch.syscallNumber(rule.syscall());
            if (nr.isEmpty()) {
                continue; // optional; build() rejected non-optional unknown names
            }
            byNumber.computeIfAbsent(nr.getAsInt(), n -> new ArrayList<>()).add(rule);
        }
        Map<Integer, Label> shared = new LinkedHashMap<>();
        Map<List<SyscallRule>, Label> blocks = new LinkedHashMap<>();
        List<int[]> entries = new ArrayList<>(); // {nr, index into targets}
        List<Label> targets = new ArrayList<>();
        for (var e : byNumber.entrySet()) {
            List<SyscallRule> rules = reachable(e.getValue());
            Label target;
            if (rules.isEmpty()) {
                continue;
            } else if (rules.get(0).conditions().isEmpty()) {
                int value = rules.get(0).action().returnValue();
                if (value == dflt) {
                    continue; // same as no rule
                }
                target = shared.computeIfAbsent(value, v -> new Label());
            } else {
                target = blocks.computeIfAbsent(rules, r -> new Label());
            }
            entries.add(new int[] {e.getKey(), targets.size()});
            targets.add(target);
        }

        if (dispatch == Dispatch.LINEAR) {
            for (int[] entry : entries) {
                jump(Bpf.JEQ_K, entry[0], targets.get(entry[1]), null);
            }
            ret(dflt);
        } else {
            emitSearch(entries, targets, 0, entries.size() - 1, dflt);
        }
        for (var e : shared.entrySet()) {
            bind(e.getValue());
            ret(e.getKey());
        }
        for (var e : blocks.entrySet()) {
            bind(e.getValue());
            emitRules(e.getKey(), dflt);
        }
    }

    /** Drops the rules after the first unconditional one: the first match wins. */
    private static List<SyscallRule> reachable(List<SyscallRule> rules) {
        List<SyscallRule> out = new ArrayList<>();
        for (SyscallRule r : rules) {
            out.add(r);
            if (r.conditions().isEmpty()) {
                break;
            }
        }
        return out;
    }

    private void emitSearch(List<int[]> entries, List<Label> targets, int lo, int hi, int dflt) {
        if (hi - lo + 1 <= LEAF_SIZE) {
            for (int i = lo; i <= hi; i++) {
                jump(Bpf.JEQ_K, entries.get(i)[0], targets.get(entries.get(i)[1]), null);
            }
            ret(dflt);
            return;
        }
        int mid = (lo + hi + 1) >>> 1;
        Label right = new Label();
        jump(Bpf.JGE_K, entries.get(mid)[0], right, null);
        emitSearch(entries, targets, lo, mid - 1, dflt);
        bind(right);
        emitSearch(entries, targets, mid, hi, dflt);
    }

    private void emitRules(List<SyscallRule> rules, int dflt) {
        for (SyscallRule rule : rules) {
            Label fail = new Label();
            for (ArgCondition c : rule.conditions()) {
                emitCondition(c, fail);
            }
            ret(rule.action().returnValue());
            bind(fail);
            if (rule.conditions().isEmpty()) {
                return; // unreachable past here
            }
        }
        ret(dflt);
    }

    /** Falls through when the condition holds, jumps to {@code fail} when it does not. */
    private void emitCondition(ArgCondition c, Label fail) {
        int hiOff = Bpf.argHigh(c.index());
        int loOff = Bpf.argLow(c.index());
        int vHi = (int) (c.value() >>> 32);
        int vLo = (int) c.value();
        Label pass = new Label();
        switch (c.op()) {
            case EQ:
                load(hiOff);
                jump(Bpf.JEQ_K, vHi, null, fail);
                load(loOff);
                jump(Bpf.JEQ_K, vLo, null, fail);
                break;
            case NE:
                load(hiOff);
                jump(Bpf.JEQ_K, vHi, null, pass);
                load(loOff);
                jump(Bpf.JEQ_K, vLo, fail, null);
                break;
            case GT:
            case GE:
                load(hiOff);
                jump(Bpf.JGT_K, vHi, pass, null);
                jump(Bpf.JEQ_K, vHi, null, fail);
                load(loOff);
                jump(c.op() == ArgCondition.Op.GT ? Bpf.JGT_K : Bpf.JGE_K, vLo, null, fail);
                break;
            case LT:
            case LE:
                load(hiOff);
                jump(Bpf.JGT_K, vHi, fail, null);
                jump(Bpf.JEQ_K, vHi, null, pass);
                load(loOff);
                // arg < v  <=>  !(arg >= v);  arg <= v  <=>  !(arg > v)
                jump(c.op() == ArgCondition.Op.LT ? Bpf.JGE_K : Bpf.JGT_K, vLo, fail, null);
                break;
            case MASKED_EQ:
                int mHi = (int) (c.mask() >>> 32);
                int mLo = (int) c.mask();
                if (mHi != 0 || vHi != 0) { // (hi & 0) == 0 always holds: skip it
                    load(hiOff);
                    if (mHi != -1) {
                        alu(Bpf.ALU_AND_K, mHi);
                    }
                    jump(Bpf.JEQ_K, vHi, null, fail);
                }
                load(loOff);
                if (mLo != -1) {
                    alu(Bpf.ALU_AND_K, mLo);
                }
                jump(Bpf.JEQ_K, vLo, null, fail);
                break;
            default:
                throw new AssertionError(c.op());
        }
        bind(pass);
    }

    // ---- symbolic instructions ----

    private static final class Label {
        int index = -1; // index in code of the instruction the label precedes
    }

    private static final class Insn {
        final int code;
        final int k;
        final Label jt; // null: next instruction
        final Label jf;
        boolean farTrue;
        boolean farFalse;

        Insn(int code, int k, Label jt, Label jf) {
            this.code = code;
            this.k = k;
            this.jt = jt;
            this.jf = jf;
        }

        boolean isConditional() {
            return code == Bpf.JEQ_K || code == Bpf.JGT_K || code == Bpf.JGE_K || code == Bpf.JSET_K;
        }

        int size() {
            return 1 + (farTrue ? 1 : 0) + (farFalse ? 1 : 0);
        }
    }

    private void load(int offset) {
        code.add(new Insn(Bpf.LD_W_ABS, offset, null, null));
    }

    private void alu(int op, int k) {
        code.add(new Insn(op, k, null, null));
    }

    private void jump(int op, int k, Label jt, Label jf) {
        code.add(new Insn(op, k, jt, jf));
    }

    private void ret(int value) {
        code.add(new Insn(Bpf.RET_K, value, null, null));
    }

    private void bind(Label label) {
        if (label.index >= 0) {
            throw new IllegalStateException("label bound twice");
        }
        label.index = code.size();
    }

    // ---- assembling ----

    private byte[] assemble(SeccompArchitecture arch) {
        int n = code.size();
        int[] pos = new int[n + 1];
        boolean changed = true;
        while (changed) {
            changed = false;
            for (int i = 0; i < n; i++) {
                pos[i + 1] = pos[i] + code.get(i).size();
            }
            if (pos[n] > SeccompProgram.MAX_INSTRUCTIONS) {
                break; // reported below; growing further changes nothing
            }
            for (int i = 0; i < n; i++) {
                Insn insn = code.get(i);
                if (!insn.isConditional()) {
                    continue;
                }
                if (!insn.farTrue && insn.jt != null && pos[insn.jt.index] - (pos[i] + 1) > 255) {
                    insn.farTrue = true;
                    changed = true;
                }
                if (!insn.farFalse && insn.jf != null && pos[insn.jf.index] - (pos[i] + 1) > 255) {
                    insn.farFalse = true;
                    changed = true;
                }
            }
        }
        int total = pos[n];
        if (total > SeccompProgram.MAX_INSTRUCTIONS) {
            throw new SeccompCompileException("seccomp program for " + arch.canonicalName() + " needs " + total
                    + " instructions, the kernel accepts at most " + SeccompProgram.MAX_INSTRUCTIONS
                    + " (BPF_MAXINSNS): use fewer rules or conditions");
        }
        ByteBuffer out = ByteBuffer.allocate(total * 8).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < n; i++) {
            Insn insn = code.get(i);
            int here = pos[i];
            if (!insn.isConditional()) {
                put(out, insn.code, 0, 0, insn.k);
                continue;
            }
            int next = here + 1;
            int jt = insn.farTrue ? 0 : offset(pos, insn.jt, i, next);
            int jf = insn.farFalse ? (insn.farTrue ? 1 : 0) : offset(pos, insn.jf, i, next);
            put(out, insn.code, jt, jf, insn.k);
            int slot = next;
            if (insn.farTrue) {
                trampoline(out, pos, insn.jt, slot++);
            }
            if (insn.farFalse) {
                trampoline(out, pos, insn.jf, slot);
            }
        }
        return out.array();
    }

    /** The 8-bit offset from {@code next} (the pc after the jump, trampolines included) to the label. */
    private int offset(int[] pos, Label target, int i, int next) {
        Insn insn = code.get(i);
        int trampolines = insn.size() - 1;
        int to = target == null ? pos[i] + insn.size() : pos[target.index];
        int off = to - next;
        if (target == null) {
            off = trampolines; // "next instruction" means past our own trampolines
        }
        if (off < 0 || off > 255) {
            throw new IllegalStateException("branch offset " + off + " at instruction " + pos[i]);
        }
        return off;
    }

    private void trampoline(ByteBuffer out, int[] pos, Label target, int slot) {
        Insn t = code.get(target.index);
        if (t.code == Bpf.RET_K) {
            put(out, Bpf.RET_K, 0, 0, t.k); // a copy of the ret is as short as a jump to it
        } else {
            int off = pos[target.index] - (slot + 1);
            if (off < 0) {
                throw new IllegalStateException("backward jump to " + pos[target.index] + " from " + slot);
            }
            put(out, Bpf.JA, 0, 0, off);
        }
    }

    private static void put(ByteBuffer out, int code, int jt, int jf, int k) {
        out.putShort((short) code).put((byte) jt).put((byte) jf).putInt(k);
    }
}
