package dev.corral.namespaces.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.corral.namespaces.launcher.LaunchPlan.CapabilitySets;
import dev.corral.namespaces.launcher.LaunchPlan.MountOp;
import dev.corral.namespaces.launcher.LaunchPlan.RlimitOp;
import dev.corral.namespaces.launcher.LaunchPlan.SeccompBytes;
import dev.corral.namespaces.launcher.LaunchPlan.StdioOp;
import dev.corral.namespaces.launcher.LaunchPlan.UserIds;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.lifecycle.AddLifecycleHook;
import net.jqwik.api.lifecycle.LifecycleContext;
import net.jqwik.api.lifecycle.SkipExecutionHook;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Builders;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/** The plan's one writer (Java) and one reader (the launcher's plan.c) agree, for any plan. */
class PlanCodecProperties {

    static final Path LAUNCHER = launcherFor(LauncherBinary.architecture());

    /** The launcher cross-built for the other architecture (aarch64 on x86_64 and back). */
    static final String OTHER_ARCHITECTURE = LauncherBinary.architecture().equals("x86_64") ? "aarch64" : "x86_64";
    static final Path OTHER_LAUNCHER = launcherFor(OTHER_ARCHITECTURE);

    static Path launcherFor(String architecture) {
        return Path.of("target/classes/dev/corral/namespaces/launcher/linux-" + architecture + "/corral-launcher");
    }

    @Property(tries = 300)
    void javaReadsBackWhatItWrites(@ForAll("plans") LaunchPlan plan) {
        assertEquals(plan, PlanCodec.decode(PlanCodec.encode(plan), plan.descriptors()));
    }

    @net.jqwik.api.Example
    void stdoutIsForStderrOnly() {
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> LaunchPlan.builder().stdio(1, StdioOp.sameAsStdout()));
        assertEquals(StdioOp.Kind.STDOUT, LaunchPlan.builder().stdio(2, StdioOp.sameAsStdout()).argv(List.of("x")).build()
                .stdio().get(2).kind());
    }

    @Property(tries = 150)
    void theLauncherReadsWhatJavaWrites(@ForAll("plans") LaunchPlan plan) throws IOException, InterruptedException {
        assertEquals(PlanCodec.describe(plan), describe(List.of(LAUNCHER.toString()), PlanCodec.encode(plan)));
    }

    /**
     * The cross-built launcher (the other architecture's) decodes the same plans, run under
     * qemu-user: byte order, alignment and type sizes are the target's own there. A build
     * without the cross compiler says so and packs no such launcher; CI checks that its jar has both.
     */
    @Property(tries = 100)
    @AddLifecycleHook(OtherLauncherBuilt.class)
    void theOtherArchitecturesLauncherReadsWhatJavaWrites(@ForAll("plans") LaunchPlan plan)
            throws IOException, InterruptedException {
        List<String> command = underEmulation();
        assertEquals(PlanCodec.describe(plan), describe(command, PlanCodec.encode(plan)));
    }

    @Property(tries = 30)
    @AddLifecycleHook(OtherLauncherBuilt.class)
    void theOtherArchitecturesLauncherRefusesTruncatedPlans(@ForAll("plans") LaunchPlan plan) throws Exception {
        byte[] wire = PlanCodec.encode(plan);
        Process p = new ProcessBuilder(underEmulation()).start();
        p.getOutputStream().write(java.util.Arrays.copyOf(wire, wire.length - 1));
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(1, p.waitFor(), out);
        assertEquals(List.of("error Protocol error"), List.of(out.trim()));
    }

    /** Skips (and says why) where this build made no launcher for the other architecture. */
    public static final class OtherLauncherBuilt implements SkipExecutionHook {
        @Override
        public SkipResult shouldBeSkipped(LifecycleContext context) {
            return Files.isRegularFile(OTHER_LAUNCHER) ? SkipResult.doNotSkip()
                    : SkipResult.skip("this build has no " + OTHER_ARCHITECTURE
                            + " launcher (no cross compiler; the build said so in one line)");
        }
    }

    /** qemu-ARCH-static (Debian's qemu-user-static) or qemu-ARCH, running the other launcher. */
    static List<String> underEmulation() {
        for (String name : List.of("qemu-" + OTHER_ARCHITECTURE + "-static", "qemu-" + OTHER_ARCHITECTURE)) {
            for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(":")) {
                Path qemu = Path.of(dir.isEmpty() ? "." : dir, name);
                if (Files.isExecutable(qemu)) {
                    return List.of(qemu.toString(), OTHER_LAUNCHER.toString(), "--describe-plan");
                }
            }
        }
        throw new AssertionError("the " + OTHER_ARCHITECTURE + " launcher was built but cannot be tested:"
                + " no qemu-" + OTHER_ARCHITECTURE + "-static on the PATH (Debian: qemu-user-static)");
    }

    static String describe(List<String> launcher, byte[] wire) throws IOException, InterruptedException {
        List<String> command = new java.util.ArrayList<>(launcher);
        if (!command.contains("--describe-plan")) {
            command.add("--describe-plan");
        }
        Process p = new ProcessBuilder(command).start();
        p.getOutputStream().write(wire);
        p.getOutputStream().close();
        String described = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        p.waitFor();
        return described;
    }

    static Arbitrary<String> text() {
        return Arbitraries.strings().withCharRange('\u0001', '\ud7ff').withCharRange('\ue000', '\ufffd').ofMaxLength(40);
    }

    static Arbitrary<String> path() {
        return Arbitraries.strings().alpha().numeric().withChars("-_. é").ofMinLength(1).ofMaxLength(12)
                .list().ofMaxSize(4).map(parts -> "/" + String.join("/", parts));
    }

    static Arbitrary<MountOp> mounts() {
        /* an overlay request is never planned: OverlayTrees.add makes it an FS mount */
        return Combinators.combine(Arbitraries.of(MountOp.Kind.BIND, MountOp.Kind.FS, MountOp.Kind.SYMLINK, MountOp.Kind.MKNOD),
                        Arbitraries.integers().between(0, 511),
                        Arbitraries.integers().between(0, 07777), Arbitraries.integers(), Arbitraries.integers(),
                        text(), path(), text())
                .as((kind, flags, mode, major, minor, source, target, data) -> new MountOp(kind, flags, mode, major, minor,
                        source, target, data));
    }

    static final int DESCRIPTORS = 8;

    static Arbitrary<Integer> descriptorPlace() {
        return Arbitraries.integers().between(0, DESCRIPTORS - 1);
    }

    static Arbitrary<StdioOp> stdio() {
        return Combinators.combine(Arbitraries.of(StdioOp.Kind.values()), Arbitraries.integers(),
                Arbitraries.integers().between(0, 0777), text()).as(StdioOp::new);
    }

    /** STDOUT (2>&1) is for fd 2 only: fds 0 and 1 get a relay instead. */
    private static StdioOp notStdout(StdioOp op) {
        return op.kind() == StdioOp.Kind.STDOUT ? new StdioOp(StdioOp.Kind.RELAY, op.openFlags(), op.mode(), op.path()) : op;
    }

    @Provide
    Arbitrary<LaunchPlan> plans() {
        return Builders.withBuilder(LaunchPlan::builder)
                /* descriptors 0 to 7 are always there (they travel beside the plan's bytes); the
                   operations name them by place */
                .use(Arbitraries.integers().between(3, 9999).set().ofSize(DESCRIPTORS)).in((b, v) -> { v.forEach(b::descriptor); return b; })
                .use(Arbitraries.integers()).in((b, v) -> b.cloneFlags(v))
                .use(Arbitraries.of(true, false)).in((b, v) -> b.commandAsPid1(v))
                .use(path()).in((b, v) -> b.stagingDir(v))
                .use(mounts().list().ofMaxSize(6)).in((b, v) -> { v.forEach(b::mount); return b; })
                .use(Arbitraries.of(true, false)).in((b, v) -> b.rootReadOnly(v))
                .use(Arbitraries.of(true, false)).in((b, v) -> b.commandParentDeath(v))
                .use(text()).withProbability(0.5).in((b, v) -> b.hostname(v))
                .use(Arbitraries.of(true, false)).in((b, v) -> b.loopback(v))
                .use(stdio().list().ofSize(3)).in((b, v) -> b.stdio(0, notStdout(v.get(0))).stdio(1, notStdout(v.get(1)))
                        .stdio(2, v.get(2)))
                .use(text().list().ofMinSize(1).ofMaxSize(5)).in((b, v) -> b.argv(v))
                .use(text().list().ofMaxSize(5)).in((b, v) -> b.env(v))
                .use(text()).withProbability(0.5).in((b, v) -> b.searchPath(v))
                .use(path()).withProbability(0.5).in((b, v) -> b.cwd(v))
                .use(Combinators.combine(Arbitraries.integers(), Arbitraries.integers(),
                        Arbitraries.integers().list().ofMaxSize(4)).as(UserIds::new)).withProbability(0.5).in((b, v) -> b.user(v))
                .use(Combinators.combine(Arbitraries.integers().between(0, 15), Arbitraries.longs(), Arbitraries.longs())
                        .as(RlimitOp::new).list().ofMaxSize(3)).in((b, v) -> { v.forEach(b::rlimit); return b; })
                .use(Arbitraries.of(true, false)).in((b, v) -> b.noNewPrivs(v))
                .use(Arbitraries.bytes().array(byte[].class).ofMinSize(1).ofMaxSize(8).map(a -> {
                    byte[] p = new byte[a.length * 8];
                    System.arraycopy(a, 0, p, 0, a.length);
                    return new SeccompBytes(p);
                })).withProbability(0.5).in((b, v) -> b.seccomp(v))
                .use(Arbitraries.integers().between(0, 0777)).withProbability(0.5).in((b, v) -> b.umask(v))
                .use(descriptorPlace().list().ofMaxSize(3)).in((b, v) -> { v.forEach(b::writeZero); return b; })
                .use(text()).withProbability(0.5).in((b, v) -> b.uidMap(v))
                .use(text()).withProbability(0.5).in((b, v) -> b.gidMap(v))
                .use(Combinators.combine(Arbitraries.longs(), Arbitraries.longs(), Arbitraries.longs(),
                        Arbitraries.longs(), Arbitraries.longs()).as(CapabilitySets::new)).withProbability(0.5).in((b, v) -> b.capabilities(v))
                .use(Arbitraries.of(true, false)).in((b, v) -> b.denySetgroups(v))
                .use(path()).withProbability(0.3).in((b, v) -> b.uidMapTool(v))
                .use(path()).withProbability(0.3).in((b, v) -> b.gidMapTool(v))
                .use(Arbitraries.integers().between(3, 65535)).withProbability(0.3).in((b, v) -> b.execFd(v))
                .use(Combinators.combine(descriptorPlace(), descriptorPlace()).as(LaunchPlan.CgroupClone::new))
                        .withProbability(0.5).in((b, v) -> b.cloneIntoCgroup(v))
                .use(descriptorPlace().list().ofMaxSize(LaunchPlan.MAX_COUNTER_FILES)).in((b, v) -> { v.forEach(b::readAtReap); return b; })
                .use(descriptorPlace().list().ofMaxSize(LaunchPlan.MAX_COUNTER_FILES)).in((b, v) -> { v.forEach(b::zeroAtReap); return b; })
                .use(Combinators.combine(descriptorPlace(), Arbitraries.integers()).as(LaunchPlan.SetnsOp::new)
                        .list().ofMaxSize(LaunchPlan.MAX_SETNS)).in((b, v) -> { v.forEach(b::setns); return b; })
                .use(descriptorPlace().list().ofMaxSize(4)).in((b, v) -> { v.forEach(b::attachInStaging); return b; })
                .use(descriptorPlace().list().ofMaxSize(4)).in((b, v) -> { v.forEach(b::idmap); return b; })
                .use(Combinators.combine(descriptorPlace(), descriptorPlace()).as(LaunchPlan.TtyPair::new))
                        .withProbability(0.3).in((b, v) -> b.ttyPair(v))
                .use(descriptorPlace()).withProbability(0.5).in((b, v) -> b.gate(v))
                /* a bind with its source as a tree: the tree names the bind by its place among the mounts */
                .use(Combinators.combine(path(), path(), descriptorPlace()).as((source, target, place) -> List.of(source, target, place)))
                        .withProbability(0.5).in((b, v) -> {
                            int mount = b.mountCount();
                            b.mount(MountOp.bind((String) v.get(0), (String) v.get(1), MountOp.RECURSIVE));
                            return b.mountTree(new LaunchPlan.MountTree(mount, (Integer) v.get(2)));
                        })
                .build(LaunchPlan.Builder::build);
    }

    /** Any Java string crosses as UTF-8 and back, unless it holds NUL or a lone surrogate. */
    @Property(tries = 500)
    void aStringCrossesUnlessItCannot(@ForAll("anyString") String s) {
        boolean encodable = s.indexOf('\0') < 0 && new String(s.getBytes(StandardCharsets.UTF_8), StandardCharsets.UTF_8).equals(s);
        LaunchPlan plan = LaunchPlan.builder().stagingDir("/tmp").argv(List.of("/bin/true", s)).build();
        if (encodable) {
            assertEquals(plan, PlanCodec.decode(PlanCodec.encode(plan)));
        } else {
            org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> PlanCodec.encode(plan));
        }
    }

    @Provide
    Arbitrary<String> anyString() {
        return Arbitraries.oneOf(Arbitraries.strings().all().ofMaxLength(12),
                Arbitraries.strings().withCharRange('\u0001', '\uffff').ofMaxLength(12),
                Arbitraries.of("\ud83d\ude00", "a\ud83d", "\ude00b", "caf\u00e9", "\u0800\uffff"));
    }

    @Property(tries = 50)
    void theLauncherRefusesTruncatedPlans(@ForAll("plans") LaunchPlan plan) throws Exception {
        byte[] wire = PlanCodec.encode(plan);
        byte[] cut = java.util.Arrays.copyOf(wire, wire.length - 1);
        Process p = new ProcessBuilder(LAUNCHER.toString(), "--describe-plan").start();
        p.getOutputStream().write(cut);
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(1, p.waitFor(), out);
        assertEquals(List.of("error Protocol error"), List.of(out.trim()));
    }
}
