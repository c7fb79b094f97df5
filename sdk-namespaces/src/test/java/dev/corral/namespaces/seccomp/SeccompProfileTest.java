package dev.corral.namespaces.seccomp;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;

class SeccompProfileTest {

    @Test
    void unknownSyscallIsAnErrorNamingItAndTheArchitecture() {
        var e = assertThrows(IllegalArgumentException.class,
                () -> SeccompProfile.builder(SeccompAction.errno(1)).allow("read", "raed").build());
        assertTrue(e.getMessage().contains("'raed'") && e.getMessage().contains("x86_64"), e.getMessage());

        var aarch = assertThrows(IllegalArgumentException.class,
                () -> SeccompProfile.builder(SeccompAction.errno(1)).allow("open").build());
        assertTrue(aarch.getMessage().contains("'open'") && aarch.getMessage().contains("aarch64"), aarch.getMessage());
    }

    @Test
    void optionalRulesAreSkippedWhereTheSyscallIsMissing() {
        SeccompProfile p = SeccompProfile.builder(SeccompAction.errno(1)).allowIfPresent("open", "no_such_call").build();
        assertEquals(SeccompAction.allow(), new Sys(p, SeccompArchitecture.X86_64).call("open"));
        assertEquals(SeccompAction.errno(1), new Sys(p, SeccompArchitecture.AARCH64).call("openat"));
    }

    @Test
    void architectureRestrictedProfilesValidateOnlyTheirArchitectures() {
        SeccompProfile p = SeccompProfile.builder(SeccompAction.errno(1))
                .architectures(SeccompArchitecture.X86_64).allow("open").build();
        assertEquals(SeccompAction.allow(), new Sys(p, SeccompArchitecture.X86_64).call("open"));
        var e = assertThrows(IllegalArgumentException.class, () -> p.compile(SeccompArchitecture.AARCH64));
        assertTrue(e.getMessage().contains("aarch64"), e.getMessage());
    }

    @Test
    void invalidValuesFailEarly() {
        assertThrows(IllegalArgumentException.class, () -> SeccompAction.errno(4096));
        assertThrows(IllegalArgumentException.class, () -> SeccompAction.errno(-1));
        assertEquals(4095, SeccompAction.errno(4095).data());
        assertThrows(IllegalArgumentException.class, () -> SeccompAction.trace(65536));
        assertThrows(IllegalArgumentException.class, () -> new SeccompAction(SeccompAction.Kind.ALLOW, 3));
        assertThrows(IllegalArgumentException.class, () -> ArgCondition.eq(6, 0));
        assertThrows(IllegalArgumentException.class, () -> ArgCondition.eq(-1, 0));
        assertThrows(IllegalArgumentException.class, () -> new ArgCondition(0, ArgCondition.Op.EQ, 0, 0xff));
        assertThrows(IllegalArgumentException.class, () -> SyscallRule.of("", SeccompAction.allow()));
    }

    @Test
    void actionsRoundTripThroughTheirReturnValues() {
        for (SeccompAction a : new SeccompAction[] {SeccompAction.allow(), SeccompAction.errno(38),
            SeccompAction.killProcess(), SeccompAction.killThread(), SeccompAction.trap(), SeccompAction.log(),
            SeccompAction.trace(7)}) {
            assertEquals(a, SeccompAction.fromReturnValue(a.returnValue()));
        }
        assertEquals(0x80000000, SeccompAction.killProcess().returnValue());
        assertEquals(0x7fff0000, SeccompAction.allow().returnValue());
        assertEquals(0x00050026, SeccompAction.errno(38).returnValue());
    }

    @Test
    void firstMatchingRuleWinsAndConditionsAreAnded() {
        SeccompProfile p = SeccompProfile.builder(SeccompAction.errno(1))
                .rule("write", SeccompAction.errno(9), ArgCondition.gt(0, 2), ArgCondition.lt(0, 1L << 32))
                .rule("write", SeccompAction.allow())
                .rule("write", SeccompAction.killProcess())
                .build();
        Sys sys = new Sys(p, SeccompArchitecture.X86_64);
        assertEquals(SeccompAction.allow(), sys.call("write", 1));
        assertEquals(SeccompAction.errno(9), sys.call("write", 3));
        assertEquals(SeccompAction.errno(9), sys.call("write", 0xffffffffL));
        assertEquals(SeccompAction.allow(), sys.call("write", 1L << 32)); // second condition fails
        assertEquals(SeccompAction.errno(1), sys.call("read"));
    }

    @Test
    void programStartsWithTheArchitectureCheckInLittleEndianSockFilters() {
        byte[] bytes = SeccompProfile.builder(SeccompAction.allow()).build()
                .compile(SeccompArchitecture.AARCH64).toByteArray();
        // ld [4]; jeq #AUDIT_ARCH_AARCH64 jt 1 jf 0; ret KILL_PROCESS
        assertArrayEquals(new byte[] {0x20, 0, 0, 0, 4, 0, 0, 0}, Arrays.copyOfRange(bytes, 0, 8));
        assertArrayEquals(new byte[] {0x15, 0, 1, 0, (byte) 0xB7, 0, 0, (byte) 0xC0}, Arrays.copyOfRange(bytes, 8, 16));
        assertArrayEquals(new byte[] {0x06, 0, 0, 0, 0, 0, 0, (byte) 0x80}, Arrays.copyOfRange(bytes, 16, 24));
    }

    @Test
    void foreignArchitecturesAndX32AreKilled() {
        SeccompProfile p = SeccompProfile.builder(SeccompAction.allow()).build();
        Sys x86 = new Sys(p, SeccompArchitecture.X86_64);
        assertEquals(SeccompAction.killProcess(), x86.callArch(0x40000003, 0)); // i386
        assertEquals(SeccompAction.killProcess(), x86.callArch(SeccompArchitecture.AARCH64.auditArch(), 0));
        assertEquals(SeccompAction.killProcess(), x86.callNr(0x40000000 + 1)); // x32 write
        assertEquals(SeccompAction.allow(), x86.callNr(-1));
        Sys arm = new Sys(p, SeccompArchitecture.AARCH64);
        assertEquals(SeccompAction.killProcess(), arm.callArch(0x40000028, 0)); // AUDIT_ARCH_ARM
        assertEquals(SeccompAction.allow(), arm.callNr(0x40000001)); // no x32 on aarch64
    }

    @Test
    void tooLargeProfilesAreACompileErrorNotABrokenProgram() {
        SeccompProfile.Builder b = SeccompProfile.builder(SeccompAction.errno(1));
        for (String name : SeccompArchitecture.X86_64.syscallNames()) {
            b.optionalRule(name, SeccompAction.allow(), ArgCondition.ge(0, 5), ArgCondition.le(1, 7),
                    ArgCondition.ne(2, 9));
        }
        SeccompProfile p = b.build();
        var e = assertThrows(SeccompCompileException.class, () -> p.compile(SeccompArchitecture.X86_64));
        assertTrue(e.getMessage().contains("4096"), e.getMessage());
    }

    @Test
    void unconfinedCompilesToNoFilter() {
        SeccompProgram p = SeccompProfiles.unconfined().compile(SeccompArchitecture.X86_64);
        assertTrue(p.isEmpty());
        assertEquals(0, p.instructionCount());
        assertTrue(SeccompProfiles.unconfined().isUnconfined());
    }

    @Test
    void syscallTablesKnowWhatEachArchitectureLacks() {
        var x86 = SeccompArchitecture.X86_64;
        var arm = SeccompArchitecture.AARCH64;
        assertEquals(0, x86.syscallNumber("read").getAsInt());
        assertEquals(2, x86.syscallNumber("open").getAsInt());
        assertEquals(56, x86.syscallNumber("clone").getAsInt());
        assertEquals(257, x86.syscallNumber("openat").getAsInt());
        assertEquals(435, x86.syscallNumber("clone3").getAsInt());
        assertEquals(63, arm.syscallNumber("read").getAsInt());
        assertEquals(56, arm.syscallNumber("openat").getAsInt());
        assertEquals(220, arm.syscallNumber("clone").getAsInt());
        assertEquals(221, arm.syscallNumber("execve").getAsInt());
        assertEquals(79, arm.syscallNumber("newfstatat").getAsInt());
        assertEquals(163, arm.syscallNumber("getrlimit").getAsInt());
        assertEquals(435, arm.syscallNumber("clone3").getAsInt());
        for (String missing : new String[] {"open", "fork", "vfork", "stat", "lstat", "dup2", "pipe", "poll",
            "select", "access", "rename", "mkdir", "unlink", "arch_prctl", "epoll_wait", "time"}) {
            assertTrue(arm.syscallNumber(missing).isEmpty(), missing);
        }
        assertEquals("openat", arm.syscallName(56).orElseThrow());
        assertEquals(SeccompArchitecture.AARCH64, SeccompArchitecture.fromName("SCMP_ARCH_AARCH64").orElseThrow());
        assertEquals(SeccompArchitecture.X86_64, SeccompArchitecture.fromName("amd64").orElseThrow());
    }

    @Test
    void theExecDescriptorIsStatedByTheProfileNotGuessedFromItsRules() {
        assertEquals(OptionalInt.of(SeccompProfiles.JUDGE_EXEC_FD), SeccompProfiles.strictJudge().execDescriptor());
        assertEquals(OptionalInt.empty(), SeccompProfiles.defaultProfile().execDescriptor());
        assertEquals(OptionalInt.empty(), SeccompProfile.unconfined().execDescriptor());
        assertTrue(SeccompProfiles.strictJudge().toString().contains("exec through fd 1023"));

        /* the judge's rules without the statement: an ordinary exec, however the rules read */
        SeccompProfile.Builder rulesOnly = SeccompProfile.builder(SeccompAction.killProcess())
                .rules(SeccompProfiles.strictJudge().rules());
        assertEquals(OptionalInt.empty(), rulesOnly.build().execDescriptor());
        assertEquals(OptionalInt.of(7), rulesOnly.execThroughDescriptor(7).build().execDescriptor());
        assertEquals(OptionalInt.of(SeccompProfiles.JUDGE_EXEC_FD),
                SeccompProfiles.strictJudge().toBuilder().build().execDescriptor(), "toBuilder keeps it");
    }

    @Test
    void anExecDescriptorNeedsAnExecveatRuleAndANumberPastStdio() {
        var noRule = assertThrows(IllegalArgumentException.class, () -> SeccompProfile.builder(SeccompAction.errno(1))
                .allow("execve").execThroughDescriptor(1023).build());
        assertTrue(noRule.getMessage().contains("execveat"), noRule.getMessage());
        assertThrows(IllegalArgumentException.class,
                () -> SeccompProfile.builder(SeccompAction.errno(1)).execThroughDescriptor(2));
        assertThrows(IllegalArgumentException.class,
                () -> SeccompProfile.builder(SeccompAction.errno(1)).execThroughDescriptor(65536));
        assertFalse(SeccompProfile.builder(SeccompAction.errno(1)).rule("execveat", SeccompAction.allow())
                .execThroughDescriptor(3).build().execDescriptor().isEmpty());
    }
}
