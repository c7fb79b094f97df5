package dev.corral.namespaces.seccomp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class OciSeccompProfilesTest {
    private static final SeccompAction ALLOW = SeccompAction.allow();
    private static final SeccompAction EPERM = SeccompAction.errno(1);
    private static final SeccompAction ENOSYS = SeccompAction.errno(38);

    private SeccompProfile podman(OciSeccompProfiles.Reader reader) throws Exception {
        try (InputStream in = getClass().getResourceAsStream("podman-seccomp.json")) {
            return reader.read(in).build();
        }
    }

    @Test
    void podmansDefaultProfileLoadsAndCompilesForBothArchitectures() throws Exception {
        SeccompProfile p = podman(OciSeccompProfiles.reader().kernelVersion("6.1"));
        assertEquals(ENOSYS, p.defaultAction()); // defaultErrnoRet 38
        assertEquals(EnumSet.allOf(SeccompArchitecture.class), p.architectures());
        for (SeccompArchitecture arch : SeccompArchitecture.values()) {
            SeccompProgram program = p.compile(arch);
            assertTrue(program.instructionCount() > 100 && program.instructionCount() < SeccompProgram.MAX_INSTRUCTIONS);
            Sys sys = new Sys(p, arch);
            assertEquals(ALLOW, sys.call("read"));
            assertEquals(ALLOW, sys.call("openat"));
            assertEquals(EPERM, sys.call("kexec_load"));
            assertEquals(EPERM, sys.call("bpf")); // excluded unless CAP_SYS_ADMIN
            assertEquals(EPERM, sys.call("open_by_handle_at"));
            assertEquals(ALLOW, sys.call("personality", 8));
            assertEquals(ENOSYS, sys.call("personality", 0x40000));
            // socket(AF_NETLINK, *, NETLINK_AUDIT) -> EINVAL; other sockets allowed
            assertEquals(SeccompAction.errno(22), sys.call("socket", 16, 3, 9));
            assertEquals(ALLOW, sys.call("socket", 16, 3, 0));
            assertEquals(ALLOW, sys.call("socket", 2, 1, 0));
            assertEquals(ENOSYS, sys.callNr(470));
        }
        Sys x86 = new Sys(p, SeccompArchitecture.X86_64);
        assertEquals(ALLOW, x86.call("arch_prctl")); // includes.arches amd64
        assertEquals(ALLOW, x86.call("open"));
        assertEquals(ALLOW, x86.call("modify_ldt"));
    }

    @Test
    void capabilitiesDecideIncludesAndExcludes() throws Exception {
        SeccompProfile admin = podman(OciSeccompProfiles.reader().capabilities(Set.of("CAP_SYS_ADMIN")));
        Sys sys = new Sys(admin, SeccompArchitecture.X86_64);
        assertEquals(ALLOW, sys.call("bpf"));
        assertEquals(ALLOW, sys.call("perf_event_open"));
        assertEquals(EPERM, sys.call("init_module")); // needs CAP_SYS_MODULE
    }

    @Test
    void installedPodmanProfileLoadsWhenPresent() throws Exception {
        Path installed = Path.of("/usr/share/containers/seccomp.json");
        assumeTrue(Files.isReadable(installed), "golang-github-containers-common is not installed");
        SeccompProfile p = OciSeccompProfiles.reader().read(installed).build();
        for (SeccompArchitecture arch : p.architectures()) {
            Sys sys = new Sys(p, arch);
            assertEquals(ALLOW, sys.call("read"));
            assertEquals(EPERM, sys.call("kexec_load"));
        }
    }

    @Test
    void archesMinKernelRepeatedIndicesAndUnsignedValues() {
        String json = "{\"defaultAction\":\"SCMP_ACT_KILL_PROCESS\",\"architectures\":[\"SCMP_ARCH_X86_64\",\"SCMP_ARCH_AARCH64\",\"SCMP_ARCH_S390X\"],"
                + "\"syscalls\":["
                + "{\"names\":[\"arch_prctl\"],\"action\":\"SCMP_ACT_ALLOW\",\"includes\":{\"arches\":[\"amd64\"]}},"
                + "{\"names\":[\"clone\"],\"action\":\"SCMP_ACT_ALLOW\",\"args\":[{\"index\":1,\"value\":2114060288,\"op\":\"SCMP_CMP_MASKED_EQ\"}],"
                + "  \"includes\":{\"arches\":[\"s390x\"]}},"
                + "{\"names\":[\"clone\"],\"action\":\"SCMP_ACT_ALLOW\",\"args\":[{\"index\":0,\"value\":2114060288,\"valueTwo\":0,\"op\":\"SCMP_CMP_MASKED_EQ\"}],"
                + "  \"excludes\":{\"arches\":[\"s390x\"]}},"
                + "{\"names\":[\"ptrace\"],\"action\":\"SCMP_ACT_ALLOW\",\"includes\":{\"minKernel\":\"4.8\"}},"
                + "{\"names\":[\"kcmp\"],\"action\":\"SCMP_ACT_ALLOW\",\"includes\":{\"minKernel\":\"99.1\"}},"
                + "{\"names\":[\"write\"],\"action\":\"SCMP_ACT_ALLOW\",\"args\":[{\"index\":0,\"value\":1,\"op\":\"SCMP_CMP_EQ\"},"
                + "  {\"index\":0,\"value\":2,\"op\":\"SCMP_CMP_EQ\"}]},"
                + "{\"names\":[\"read\"],\"action\":\"SCMP_ACT_ALLOW\",\"args\":[{\"index\":0,\"value\":18446744073709551615,\"op\":\"SCMP_CMP_EQ\"},"
                + "  {\"index\":1,\"value\":4294967296,\"op\":\"SCMP_CMP_GE\"}]},"
                + "{\"name\":\"close\",\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":9},"
                + "{\"names\":[\"open\",\"not_a_syscall\"],\"action\":\"SCMP_ACT_KILL\"}"
                + "]}";
        SeccompProfile p = OciSeccompProfiles.reader().kernelVersion("6.1.0-13-amd64").parse(json).build();
        assertEquals(EnumSet.allOf(SeccompArchitecture.class), p.architectures());
        Sys x86 = new Sys(p, SeccompArchitecture.X86_64);
        Sys arm = new Sys(p, SeccompArchitecture.AARCH64);
        SeccompAction kill = SeccompAction.killProcess();
        assertEquals(ALLOW, x86.call("arch_prctl"));
        assertEquals(ALLOW, x86.call("clone", 17));
        assertEquals(kill, x86.call("clone", 17 | 0x10000000L));
        assertEquals(kill, arm.call("clone", 17 | 0x10000000L, 0));
        assertEquals(ALLOW, arm.call("ptrace"));
        assertEquals(kill, arm.call("kcmp"));
        assertEquals(ALLOW, x86.call("write", 1)); // same index twice: ORed, like runc
        assertEquals(ALLOW, x86.call("write", 2));
        assertEquals(kill, x86.call("write", 3));
        assertEquals(ALLOW, x86.call("read", -1L, 1L << 32));
        assertEquals(kill, x86.call("read", 0xffffffffL, 1L << 32));
        assertEquals(kill, x86.call("read", -1L, 0xffffffffL));
        assertEquals(SeccompAction.errno(9), arm.call("close"));
        assertEquals(SeccompAction.killThread(), x86.call("open"));
    }

    @Test
    void malformedProfilesNameTheField() {
        var reader = OciSeccompProfiles.reader();
        assertMessage(() -> reader.parse("{\"syscalls\":[]}"), "defaultAction");
        assertMessage(() -> reader.parse("{\"defaultAction\":\"SCMP_ACT_NOPE\"}"), "SCMP_ACT_NOPE");
        assertMessage(() -> reader.parse("{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"defaultErrnoRet\":5000}"), "4095");
        assertMessage(() -> reader.parse("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"read\"],"
                + "\"action\":\"SCMP_ACT_ALLOW\",\"args\":[{\"index\":6,\"value\":0,\"op\":\"SCMP_CMP_EQ\"}]}]}"),
                "syscalls[0].args[0].index");
        assertMessage(() -> reader.parse("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"read\"],"
                + "\"action\":\"SCMP_ACT_NOTIFY\"}]}"), "SCMP_ACT_NOTIFY");
        assertMessage(() -> reader.parse("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"architectures\":[\"SCMP_ARCH_S390X\"]}"),
                "SCMP_ARCH_S390X");
        assertMessage(() -> reader.parse("{\"defaultAction\": "), "not valid JSON");
        assertMessage(() -> reader.kernelVersion("linux"), "kernel version");
    }

    private static void assertMessage(org.junit.jupiter.api.function.Executable e, String part) {
        var ex = assertThrows(IllegalArgumentException.class, e);
        assertTrue(ex.getMessage().contains(part), ex.getMessage());
    }
}
