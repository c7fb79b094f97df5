package dev.corral.namespaces.seccomp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

class SeccompProfilesTest {
    private static final SeccompAction ALLOW = SeccompAction.allow();
    private static final SeccompAction EPERM = SeccompAction.errno(1);
    private static final SeccompAction ENOSYS = SeccompAction.errno(38);
    private static final SeccompAction KILL = SeccompAction.killProcess();
    private static final long CLONE_NEWUSER = 0x10000000L;
    private static final long CLONE_NEWNS = 0x00020000L;
    private static final long THREAD_FLAGS = 0x3d0f00L; // what glibc's pthread_create passes
    private static final long SIGCHLD = 17;

    @Test
    void defaultProfileDecisions() {
        for (SeccompArchitecture arch : SeccompArchitecture.values()) {
            Sys sys = new Sys(SeccompProfiles.defaultProfile(), arch);
            assertEquals(ALLOW, sys.call("read"));
            assertEquals(ALLOW, sys.call("openat"));
            assertEquals(ALLOW, sys.call("execve"));
            assertEquals(EPERM, sys.call("mount"));
            assertEquals(EPERM, sys.call("umount2"));
            assertEquals(EPERM, sys.call("ptrace"));
            assertEquals(EPERM, sys.call("keyctl"));
            assertEquals(EPERM, sys.call("bpf"));
            assertEquals(EPERM, sys.call("kexec_load"));
            assertEquals(EPERM, sys.call("finit_module"));
            assertEquals(EPERM, sys.call("open_by_handle_at"));
            assertEquals(EPERM, sys.call("io_uring_setup"));
            assertEquals(EPERM, sys.call("perf_event_open"));
            assertEquals(EPERM, sys.call("userfaultfd"));
            assertEquals(EPERM, sys.call("reboot"));
            assertEquals(EPERM, sys.call("setns"));
            assertEquals(EPERM, sys.call("clock_settime"));
            assertEquals(EPERM, sys.call("unshare", CLONE_NEWUSER));
            assertEquals(EPERM, sys.call("unshare", CLONE_NEWNS | 0x200 /* CLONE_FS */));
            assertEquals(EPERM, sys.call("unshare", 0x80 /* CLONE_NEWTIME */));
            assertEquals(ALLOW, sys.call("unshare", 0x200));
            assertEquals(ALLOW, sys.call("clone", THREAD_FLAGS));
            assertEquals(ALLOW, sys.call("clone", SIGCHLD));
            assertEquals(EPERM, sys.call("clone", SIGCHLD | CLONE_NEWUSER));
            assertEquals(ENOSYS, sys.call("clone3"));
            assertEquals(ALLOW, sys.call("personality", 0));
            assertEquals(ALLOW, sys.call("personality", 0xffffffffL));
            assertEquals(EPERM, sys.call("personality", 0x0040000 /* ADDR_NO_RANDOMIZE */));
            assertEquals(ALLOW, sys.call("socket", 2 /* AF_INET */));
            assertEquals(EPERM, sys.call("socket", 40 /* AF_VSOCK */));
            assertEquals(ENOSYS, sys.callNr(470)); // newer than the tables: ENOSYS lets libc fall back
        }
        Sys x86 = new Sys(SeccompProfiles.defaultProfile(), SeccompArchitecture.X86_64);
        assertEquals(ALLOW, x86.call("open"));
        assertEquals(ALLOW, x86.call("fork"));
        assertEquals(ALLOW, x86.call("arch_prctl"));
        assertEquals(EPERM, x86.call("iopl"));
        assertEquals(KILL, x86.callNr(0x40000000 + 165)); // x32 mount
    }

    @Test
    void strictJudgeDecisions() {
        for (SeccompArchitecture arch : SeccompArchitecture.values()) {
            Sys sys = new Sys(SeccompProfiles.strictJudge(), arch);
            assertEquals(ALLOW, sys.call("read"));
            assertEquals(ALLOW, sys.call("write"));
            assertEquals(ALLOW, sys.call("mmap"));
            assertEquals(ALLOW, sys.call("brk"));
            assertEquals(ALLOW, sys.call("exit_group"));
            assertEquals(KILL, sys.call("socket", 2));
            assertEquals(KILL, sys.call("socket", 10 /* AF_INET6 */));
            assertEquals(EPERM, sys.call("socket", 1 /* AF_UNIX */));
            assertEquals(KILL, sys.call("socket", 1 | (1L << 32)));
            assertEquals(KILL, sys.call("socketpair", 1));
            assertEquals(KILL, sys.call("execve"));
            assertEquals(ALLOW, sys.call("execveat", SeccompProfiles.JUDGE_EXEC_FD, 0, 0, 0, 0x1000));
            assertEquals(KILL, sys.call("execveat", SeccompProfiles.JUDGE_EXEC_FD, 0, 0, 0, 0));
            assertEquals(KILL, sys.call("execveat", 3, 0, 0, 0, 0x1000));
            assertEquals(KILL, sys.call("execveat", SeccompProfiles.JUDGE_EXEC_FD | (1L << 32), 0, 0, 0, 0x1000));
            assertEquals(ALLOW, sys.call("clone", THREAD_FLAGS));
            assertEquals(KILL, sys.call("clone", SIGCHLD));
            assertEquals(KILL, sys.call("clone", THREAD_FLAGS | CLONE_NEWNS));
            assertEquals(ENOSYS, sys.call("clone3"));
            assertEquals(SeccompAction.errno(25), sys.call("ioctl", 1, 0x5401));
            assertEquals(ALLOW, sys.call("prlimit64", 0, 7, 0, 0x7ffd0000L));
            assertEquals(EPERM, sys.call("prlimit64", 0, 7, 0x7ffd0000L, 0));
            assertEquals(EPERM, sys.call("mkdirat"));
            assertEquals(KILL, sys.call("mount"));
            assertEquals(KILL, sys.call("ptrace"));
            assertEquals(KILL, sys.call("setuid"));
        }
        Sys x86 = new Sys(SeccompProfiles.strictJudge(), SeccompArchitecture.X86_64);
        assertEquals(KILL, x86.call("fork"));
        assertEquals(KILL, x86.call("vfork"));
        assertEquals(ALLOW, x86.call("open"));
        assertEquals(EPERM, x86.call("mkdir"));
    }

    @Test
    void shippedProfilesDecideLikeTheirRulesForEveryNumber() {
        Random random = new Random(5);
        for (SeccompProfile profile : new SeccompProfile[] {SeccompProfiles.defaultProfile(), SeccompProfiles.strictJudge()}) {
            for (SeccompArchitecture arch : SeccompArchitecture.values()) {
                Sys sys = new Sys(profile, arch);
                for (int nr = -1; nr < 500; nr++) {
                    for (int i = 0; i < 8; i++) {
                        long[] args = new long[6];
                        for (int a = 0; a < 6; a++) {
                            args[a] = random.nextBoolean() ? random.nextInt(1 << 20) : random.nextLong();
                        }
                        assertEquals(ReferenceEvaluator.decide(profile, arch, arch.auditArch(), nr, args),
                                sys.callNr(nr, args), arch + " nr " + nr);
                    }
                }
            }
        }
    }

    /** Measures instruction counts and dispatch path lengths; binary search must shorten the longest path. */
    @Test
    void instructionCountsOfTheShippedProfiles() {
        for (var named : new Object[][] {{"default", SeccompProfiles.defaultProfile()}, {"strictJudge", SeccompProfiles.strictJudge()}}) {
            SeccompProfile profile = (SeccompProfile) named[1];
            for (SeccompArchitecture arch : SeccompArchitecture.values()) {
                int[] worst = new int[2];
                int[] count = new int[2];
                double[] mean = new double[2];
                for (BpfCompiler.Dispatch d : BpfCompiler.Dispatch.values()) {
                    SeccompProgram p = BpfCompiler.compile(profile, arch, d);
                    BpfInterpreter bpf = new BpfInterpreter(p.toByteArray());
                    count[d.ordinal()] = p.instructionCount();
                    long sum = 0;
                    int n = 0;
                    for (String name : arch.syscallNames()) {
                        int steps = bpf.run(arch.syscallNumber(name).getAsInt(), arch.auditArch(), 0, new long[6]).steps();
                        worst[d.ordinal()] = Math.max(worst[d.ordinal()], steps);
                        sum += steps;
                        n++;
                    }
                    mean[d.ordinal()] = (double) sum / n;
                }
                System.out.printf("seccomp %-11s %-7s: binary %4d insns, path max %3d mean %5.1f | linear %4d insns,"
                        + " path max %3d mean %5.1f%n", named[0], arch.canonicalName(), count[1], worst[1], mean[1],
                        count[0], worst[0], mean[0]);
                assertTrue(worst[1] < worst[0] / 4, "binary search should cut the longest dispatch path");
                assertTrue(count[1] <= SeccompProgram.MAX_INSTRUCTIONS);
            }
        }
    }
}
