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
        /** A binary search over runs of numbers with the same outcome. */
        BINARY
    }

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
        // What each number leads to: a value to return (calls whose rules reduce to one
        // unconditional action) or a block of rules, shared by calls with equal rule lists.
        Map<List<SyscallRule>, Label> blocks = new LinkedHashMap<>();
        TreeMap<Integer, Target> targets = new TreeMap<>();
        for (var e : byNumber.entrySet()) {
            List<SyscallRule> rules = reachable(e.getValue());
            if (rules.get(0).conditions().isEmpty()) {
                int value = rules.get(0).action().returnValue();
                if (value != dflt) { // same as no rule otherwise
                    targets.put(e.getKey(), Target.ret(value));
                }
            } else {
                targets.put(e.getKey(), Target.block(blocks.computeIfAbsent(rules, r -> new Label())));
            }
        }

        if (dispatch == Dispatch.LINEAR) {
            Map<Integer, Label> shared = new LinkedHashMap<>();
            for (var e : targets.entrySet()) {
                Target t = e.getValue();
                Label to = t.block != null ? t.block : shared.computeIfAbsent(t.value, v -> new Label());
                jump(Bpf.JEQ_K, e.getKey(), to, null);
            }
            ret(dflt);
            for (var e : shared.entrySet()) {
                bind(e.getValue());
                ret(e.getKey());
            }
        } else {
            List<Interval> intervals = intervals(targets, Target.ret(dflt));
            emitSearch(intervals, 0, intervals.size() - 1);
        }
        for (var e : blocks.entrySet()) {
            bind(e.getValue());
            emitRules(e.getKey(), dflt);
        }
    }

    /** Where a system call number leads: a return value, or a block of rules. */
    private static final class Target {
        final int value;
        final Label block;

        private Target(int value, Label block) {
            this.value = value;
            this.block = block;
        }

        static Target ret(int value) {
            return new Target(value, null);
        }

        static Target block(Label block) {
            return new Target(0, block);
        }

        boolean sameAs(Target o) {
            return block == null ? o.block == null && value == o.value : block == o.block;
        }
    }

    /** Numbers {@code start} up to the next interval's start (unsigned) lead to {@code target}. */
    private static final class Interval {
        final int start;
        final Target target;

        Interval(int start, Target target) {
            this.start = start;
            this.target = target;
        }
    }

    /**
     * Splits the 32-bit number space into maximal runs of numbers with the same target;
     * numbers without rules lead to the default. An allow list of hundreds of calls becomes
     * far fewer intervals, since neighbouring numbers mostly share their action.
     */
    private static List<Interval> intervals(TreeMap<Integer, Target> targets, Target dflt) {
        List<Interval> out = new ArrayList<>();
        out.add(new Interval(0, dflt));
        long next = 0; // the first number not yet covered by an explicit target
        for (var e : targets.entrySet()) {
            int nr = e.getKey();
            Interval last = out.get(out.size() - 1);
            if (Integer.toUnsignedLong(nr) > next && !last.target.sameAs(dflt)) {
                out.add(new Interval((int) next, dflt));
                last = out.get(out.size() - 1);
            }
            if (!last.target.sameAs(e.getValue())) {
                if (last.start == nr) {
                    out.set(out.size() - 1, new Interval(nr, e.getValue())); // empty run replaced
                } else {
                    out.add(new Interval(nr, e.getValue()));
                }
            }
            next = Integer.toUnsignedLong(nr) + 1;
        }
        if (next <= 0xffffffffL && !out.get(out.size() - 1).target.sameAs(dflt)) {
            out.add(new Interval((int) next, dflt));
        }
        return out;
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

    /** A binary search over the interval starts; each leaf returns or jumps to its rules. */
    private void emitSearch(List<Interval> intervals, int lo, int hi) {
        if (lo == hi) {
            Target t = intervals.get(lo).target;
            if (t.block == null) {
                ret(t.value);
            } else {
                code.add(new Insn(Bpf.JA, 0, t.block, null));
            }
            return;
        }
        int mid = (lo + hi + 1) >>> 1;
        Label right = new Label();
        jump(Bpf.JGE_K, intervals.get(mid).start, right, null);
        emitSearch(intervals, lo, mid - 1);
        bind(right);
        emitSearch(intervals, mid, hi);
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
            if (insn.code == Bpf.JA) {
                put(out, Bpf.JA, 0, 0, pos[insn.jt.index] - (here + 1)); // 32-bit offset: always reaches
                continue;
            }
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
