package dev.corral.namespaces.seccomp;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.Size;

/**
 * For random rule sets, the compiled program (run by {@link BpfInterpreter}) gives the same
 * action as {@link ReferenceEvaluator}, for random system calls, arguments and architectures.
 */
class SeccompCompilerPropertyTest {

    /** Names on both architectures, and some that only one has (always added as optional). */
    private static final List<String> COMMON = List.of("read", "write", "openat", "close", "clone", "mmap",
            "personality", "socket", "ioctl", "prctl", "futex", "exit_group", "execve", "kill", "unshare", "mount");
    private static final List<String> ONE_ARCH = List.of("open", "fork", "arch_prctl", "stat", "dup2", "renameat");
    private static final long[] EDGES = {0, 1, 2, 0x7fffffffL, 0x80000000L, 0xfffffffeL, 0xffffffffL, 1L << 32,
        (1L << 32) + 1, 0x1_ffff_ffffL, Long.MAX_VALUE, Long.MIN_VALUE, -2L, -1L, 0x7E020000L};

    static final int FOREIGN_ARCH = 0x40000003; // AUDIT_ARCH_I386

    @Property(tries = 400)
    void compiledProgramDecidesLikeTheRules(@ForAll("profiles") SeccompProfile profile, @ForAll long seed) {
        checkAgainstReference(profile, seed, 300);
    }

    @Property(tries = 25)
    void largeProfilesNeedLongJumpsAndStillDecideLikeTheRules(
            @ForAll("largeProfiles") SeccompProfile profile, @ForAll long seed) {
        checkAgainstReference(profile, seed, 1500);
    }

    private static void checkAgainstReference(SeccompProfile profile, long seed, int queries) {
        Random random = new Random(seed);
        for (SeccompArchitecture arch : SeccompArchitecture.values()) {
            for (BpfCompiler.Dispatch dispatch : BpfCompiler.Dispatch.values()) {
                SeccompProgram program = BpfCompiler.compile(profile, arch, dispatch);
                BpfInterpreter bpf = new BpfInterpreter(program.toByteArray());
                assertEquals(program.instructionCount(), bpf.length());
                for (int q = 0; q < queries; q++) {
                    int auditArch = random.nextInt(10) == 0 ? FOREIGN_ARCH
                            : random.nextInt(20) == 0 ? otherArch(arch).auditArch() : arch.auditArch();
                    int nr = randomNumber(random, profile, arch);
                    long[] args = randomArgs(random, profile);
                    SeccompAction expected = ReferenceEvaluator.decide(profile, arch, auditArch, nr, args);
                    SeccompAction actual = bpf.run(nr, auditArch, random.nextLong(), args).action();
                    assertEquals(expected, actual, () -> String.format(
                            "%s %s: nr %d arch 0x%x args %s%n%s%n%s", arch, dispatch, nr, auditArch,
                            java.util.Arrays.toString(args), profile.rules(), program.disassemble()));
                }
            }
        }
    }

    private static SeccompArchitecture otherArch(SeccompArchitecture arch) {
        return arch == SeccompArchitecture.X86_64 ? SeccompArchitecture.AARCH64 : SeccompArchitecture.X86_64;
    }

    private static int randomNumber(Random random, SeccompProfile profile, SeccompArchitecture arch) {
        int pick = random.nextInt(10);
        if (pick < 6 && !profile.rules().isEmpty()) {
            String name = profile.rules().get(random.nextInt(profile.rules().size())).syscall();
            var nr = arch.syscallNumber(name);
            if (nr.isPresent()) {
                return nr.getAsInt();
            }
        }
        switch (pick) {
            case 6: return 0x40000000 + random.nextInt(600);       // x32
            case 7: return random.nextBoolean() ? -1 : (int) EDGES[random.nextInt(EDGES.length)];
            default: return random.nextInt(520);
        }
    }

    private static long[] randomArgs(Random random, SeccompProfile profile) {
        long[] args = new long[6];
        List<ArgCondition> conditions = new ArrayList<>();
        profile.rules().forEach(r -> conditions.addAll(r.conditions()));
        for (int i = 0; i < 6; i++) {
            int pick = random.nextInt(8);
            if (pick < 4 && !conditions.isEmpty()) {
                // near a value a condition compares with, so conditions go both ways
                ArgCondition c = conditions.get(random.nextInt(conditions.size()));
                long base = c.op() == ArgCondition.Op.MASKED_EQ && random.nextBoolean()
                        ? c.value() | (random.nextLong() & ~c.mask()) : c.value();
                args[i] = base + random.nextInt(3) - 1;
                if (random.nextInt(4) == 0) {
                    args[i] ^= 1L << (32 + random.nextInt(32)); // differ in the high half only
                }
            } else if (pick < 7) {
                args[i] = EDGES[random.nextInt(EDGES.length)];
            } else {
                args[i] = random.nextLong();
            }
        }
        return args;
    }

    // ---- generators ----

    @Provide
    Arbitrary<SeccompProfile> profiles() {
        return profiles(0, 40);
    }

    @Provide
    Arbitrary<SeccompProfile> largeProfiles() {
        return profiles(150, 350);
    }

    private static Arbitrary<SeccompProfile> profiles(int minRules, int maxRules) {
        return Combinators.combine(actions(), rules().list().ofMinSize(minRules).ofMaxSize(maxRules))
                .as((dflt, rules) -> SeccompProfile.builder(dflt).rules(rules).build());
    }

    static Arbitrary<SeccompAction> actions() {
        return Arbitraries.oneOf(
                Arbitraries.just(SeccompAction.allow()),
                Arbitraries.integers().between(0, SeccompAction.MAX_ERRNO).map(SeccompAction::errno),
                Arbitraries.just(SeccompAction.killProcess()),
                Arbitraries.just(SeccompAction.killThread()),
                Arbitraries.just(SeccompAction.trap()),
                Arbitraries.just(SeccompAction.log()),
                Arbitraries.integers().between(0, 0xffff).map(SeccompAction::trace));
    }

    static Arbitrary<Long> values() {
        return Arbitraries.oneOf(Arbitraries.of(java.util.Arrays.stream(EDGES).boxed().toArray(Long[]::new)), Arbitraries.longs(),
                Arbitraries.longs().between(0, 1000));
    }

    static Arbitrary<ArgCondition> conditions() {
        Arbitrary<Integer> index = Arbitraries.integers().between(0, 5);
        Arbitrary<ArgCondition.Op> op = Arbitraries.of(ArgCondition.Op.class);
        return Combinators.combine(index, op, values(), values()).as((i, o, v, m) ->
                o == ArgCondition.Op.MASKED_EQ
                        // mostly value within the mask, as real profiles have; sometimes not
                        ? ArgCondition.maskedEquals(i, m, (v & 0xff) == 0 ? v : v & m)
                        : new ArgCondition(i, o, v, -1L));
    }

    static Arbitrary<SyscallRule> rules() {
        Arbitrary<SyscallRule> common = Combinators.combine(Arbitraries.of(COMMON), actions(),
                conditions().list().ofMaxSize(3))
                .as((name, action, conds) -> SyscallRule.of(name, action, conds.toArray(ArgCondition[]::new)));
        Arbitrary<SyscallRule> oneArch = Combinators.combine(Arbitraries.of(ONE_ARCH), actions(),
                conditions().list().ofMaxSize(2))
                .as((name, action, conds) -> SyscallRule.of(name, action, conds.toArray(ArgCondition[]::new))
                        .asOptional());
        Arbitrary<SyscallRule> restricted = common.map(r -> r.onlyOn(SeccompArchitecture.AARCH64));
        Arbitrary<SyscallRule> anyName = Combinators.combine(
                Arbitraries.of(SeccompArchitecture.X86_64.syscallNames().toArray(String[]::new)), actions(),
                conditions().list().ofMaxSize(2))
                .as((name, action, conds) -> SyscallRule.of(name, action, conds.toArray(ArgCondition[]::new))
                        .asOptional());
        return Arbitraries.frequencyOf(
                net.jqwik.api.Tuple.of(6, common), net.jqwik.api.Tuple.of(1, oneArch),
                net.jqwik.api.Tuple.of(1, restricted), net.jqwik.api.Tuple.of(3, anyName));
    }

    @Property(tries = 50)
    void sameDecisionWhateverTheArgumentHalves(@ForAll @Size(max = 3) List<@net.jqwik.api.From("conditionsOnly") ArgCondition> conds,
                                              @ForAll long arg) {
        // one rule on read with the conditions, checked on arguments made from the values' halves
        SeccompProfile p = SeccompProfile.builder(SeccompAction.errno(1))
                .rule("read", SeccompAction.allow(), conds.toArray(ArgCondition[]::new)).build();
        BpfInterpreter bpf = new BpfInterpreter(p.compile(SeccompArchitecture.X86_64).toByteArray());
        int nr = SeccompArchitecture.X86_64.syscallNumber("read").getAsInt();
        for (ArgCondition c : conds) {
            long v = c.value();
            long[] candidates = {v, v + 1, v - 1, (v & 0xffffffff00000000L) | (arg & 0xffffffffL),
                (arg & 0xffffffff00000000L) | (v & 0xffffffffL), arg};
            for (long candidate : candidates) {
                long[] args = new long[6];
                java.util.Arrays.fill(args, arg);
                args[c.index()] = candidate;
                assertEquals(ReferenceEvaluator.decide(p, SeccompArchitecture.X86_64,
                                SeccompArchitecture.X86_64.auditArch(), nr, args),
                        bpf.run(nr, SeccompArchitecture.X86_64.auditArch(), 0, args).action());
            }
        }
    }

    @Provide
    Arbitrary<ArgCondition> conditionsOnly() {
        return conditions();
    }
}
