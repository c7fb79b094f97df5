package dev.corral;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Escape attempts from inside a default container, one attack per test, each asserting that it
 * fails and how. The attacks are a small C program ({@code src/test/c/attack.c}) compiled with
 * gcc now and bound read-only at {@code /attack}, plus shell tools of the host's read-only view.
 * Each test names what stops it: seccomp (the default profile answers EPERM), the user namespace
 * (the container's root is an unprivileged host ID with no capability over the host), no
 * capabilities, the mount table (masked and read-only paths), or the PID/network namespaces.
 *
 * <p>The same tests run as root and as an unprivileged user ({@code .ci/rootless-tests.sh}).
 * Never run {@code attack} on the host: there it would succeed.
 */
class EscapeTest {
    private static Path dir;

    @BeforeAll
    static void compile() throws Exception {
        dir = Files.createTempDirectory("corral-attack");
        Path src = Path.of("src/test/c/attack.c").toAbsolutePath();
        Process gcc = new ProcessBuilder("gcc", "-O1", "-o", dir.resolve("attack").toString(), src.toString())
                .redirectErrorStream(true).start();
        String out = new String(gcc.getInputStream().readAllBytes());
        assertEquals(0, gcc.waitFor(), "gcc: " + out);
        TestRootfs.openUp(dir, "rwxr-xr-x");
    }

    @AfterAll
    static void clean() throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    private static ContainerSpec.Builder box() {
        return Container.builder().mount(Mount.bind(dir, "/attack"));
    }

    /** Runs one attack in a default container and returns what it printed: "ok" or an errno name. */
    private static String attack(String... args) {
        String[] cmd = new String[args.length + 1];
        cmd[0] = "/attack/attack";
        System.arraycopy(args, 0, cmd, 1, args.length);
        ContainerResult r = box().run(cmd);
        assertEquals(Termination.EXITED, r.termination(), () -> r + " " + r.stderr());
        return r.stdout().trim();
    }

    private static ContainerResult sh(String script) {
        ContainerResult r = box().run("/bin/bash", "-c", script);
        assertEquals(Termination.EXITED, r.termination(), () -> r + " " + r.stderr());
        return r;
    }

    /* ---- mounting ---- */

    @Test
    void mountAnything() { // seccomp: mount is EPERM; and no CAP_SYS_ADMIN
        assertEquals("EPERM", attack("mount"));
        ContainerResult r = sh("mount -t tmpfs none /tmp 2>&1; echo rc=$?");
        assertTrue(r.stdout().contains("rc=") && !r.stdout().contains("rc=0"), r.stdout());
    }

    @Test
    void mountWithTheNewMountApi() { // seccomp: fsopen is EPERM
        assertEquals("EPERM", attack("fsopen"));
    }

    @Test
    void unshareAUserNamespaceThenMount() { // seccomp: unshare with CLONE_NEW* is EPERM
        assertEquals("EPERM", attack("unshare-user"));
        ContainerResult r = sh("unshare -Ur mount -t tmpfs none /tmp 2>&1; echo rc=$?");
        assertTrue(r.stdout().contains("unshare failed: Operation not permitted"), r.stdout());
    }

    @Test
    void unshareAMountNamespace() { // seccomp
        assertEquals("EPERM", attack("unshare-mount"));
    }

    @Test
    void cloneANewUserNamespace() { // seccomp: clone with CLONE_NEWUSER is EPERM
        assertEquals("EPERM", attack("clone-newuser"));
    }

    @Test
    void setnsIntoAnotherNamespace() { // the init is not dumpable: its ns links do not open (EACCES); seccomp: setns EPERM
        String r = attack("setns");
        assertTrue(r.equals("EACCES") || r.equals("EPERM"), r);
    }

    /* ---- other processes ---- */

    @Test
    void ptraceAProcessOutside() { // seccomp: ptrace EPERM; the host's processes are not even visible (PID namespace)
        assertEquals("EPERM", attack("ptrace", "1"));
        assertEquals("EPERM", attack("ptrace", Long.toString(ProcessHandle.current().pid())));
    }

    @Test
    void readAnotherProcessesMemory() { // seccomp: process_vm_readv EPERM
        assertEquals("EPERM", attack("process_vm_readv", "1"));
    }

    @Test
    void signalAHostProcess() { // PID namespace: the JVM's PID names nothing (or another container process) inside
        long jvm = ProcessHandle.current().pid();
        String r = attack("kill", Long.toString(jvm));
        assertTrue(r.equals("ESRCH") || jvm <= 2, r);
        ContainerResult ps = sh("for p in /proc/[0-9]*; do cat $p/comm; done");
        assertEquals("corral-init\nbash\n", ps.stdout(), "nothing of the host is visible");
    }

    @Test
    void overwriteTheLauncherThroughProcPid1Exe() { // the init (launcher code) is not dumpable: /proc/1/exe is closed
        String r = attack("write-exe", "/proc/1/exe");
        assertTrue(r.equals("EACCES") || r.equals("EPERM"), r);
        assertTrue(Stream.of("EACCES", "EPERM").anyMatch(attack("open", "/proc/1/exe")::equals));
    }

    @Test
    void overwriteTheProgramThroughProcSelfExe() { // mount: the host view is read-only (and the file busy)
        String r = attack("write-exe", "/proc/self/exe");
        assertTrue(r.equals("EROFS") || r.equals("ETXTBSY") || r.equals("EACCES"), r);
    }

    /* ---- host files ---- */

    @Test
    void openHostFilesByHandle() { // seccomp: open_by_handle_at EPERM (it needs CAP_DAC_READ_SEARCH on the host too)
        assertEquals("EPERM", attack("open_by_handle_at"));
    }

    @Test
    void readEtcShadow() { // user namespace: the container's root is not the host's; /etc/shadow is 0640 root:shadow
        String r = attack("open", "/etc/shadow");
        assertEquals("EACCES", r);
    }

    @Test
    void writeTheHostView() { // mount: /usr, /etc, ... are read-only binds
        ContainerResult r = sh("touch /usr/corral-escape /etc/corral-escape 2>&1; echo rc=$?");
        assertTrue(r.stdout().contains("Read-only file system") || r.stdout().contains("Permission denied"), r.stdout());
        assertFalse(Files.exists(Path.of("/usr/corral-escape")));
    }

    @Test
    void chrootEscapeThroughAnFd() { // seccomp: chroot EPERM; and no CAP_SYS_CHROOT
        assertEquals("EPERM", attack("chroot"));
    }

    @Test
    void useALeakedFdOrWorkingDirectory() { // the launcher closes every fd but 0-2, and the cwd is inside the new root
        assertEquals("none", attack("fd-escape"));
        ContainerResult r = sh("cd /proc/self/cwd/../../../../ && ls / | tr '\\n' ' '");
        assertFalse(r.stdout().contains("home") || r.stdout().contains("root ") || r.stdout().contains("var"), r.stdout());
    }

    /* ---- /proc ---- */

    @Test
    void writeSysrqTrigger() { // mount: masked by a read-only /dev/null
        ContainerResult r = sh("echo h > /proc/sysrq-trigger; echo rc=$?");
        assertEquals("rc=1\n", r.stdout());
        /* some kernels have no sysrq at all: then there is nothing to write to */
        assertTrue(r.stderr().contains(Files.exists(Path.of("/proc/sysrq-trigger")) ? "Read-only file system"
                : "No such file or directory"), r.stderr());
    }

    @Test
    void readKcore() { // mount: masked (an empty /dev/null)
        ContainerResult r = sh("for f in kcore keys timer_list; do [ -e /proc/$f ] && wc -c < /proc/$f; done");
        long present = Stream.of("kcore", "keys", "timer_list").filter(f -> Files.exists(Path.of("/proc", f))).count();
        assertEquals("0\n".repeat((int) present), r.stdout(), r.stderr());
        assertTrue(present > 0, "this kernel has none of them: the test proves nothing");
    }

    @Test
    void listMaskedProcDirectories() { // mount: masked (an empty read-only tmpfs)
        long present = Stream.of("acpi", "scsi").filter(d -> Files.isDirectory(Path.of("/proc", d))).count();
        ContainerResult r = sh("for d in acpi scsi; do [ -d /proc/$d ] && ls -A /proc/$d | wc -l"
                + " && { touch /proc/$d/x 2>/dev/null && echo writable || echo ro; }; done");
        assertEquals("0\nro\n".repeat((int) present), r.stdout(), r.stderr());
        assertTrue(present > 0, "this kernel has neither /proc/acpi nor /proc/scsi: the test proves nothing");
    }

    @Test
    void writeCorePattern() { // mount: /proc/sys is read-only; user namespace: not the host's root either
        ContainerResult r = sh("echo '|/attack/attack' > /proc/sys/kernel/core_pattern; echo rc=$?; cat /proc/sys/kernel/core_pattern");
        assertTrue(r.stdout().startsWith("rc=1\n") && r.stderr().contains("Read-only file system"), r + r.stderr());
        assertFalse(r.stdout().contains("|/attack"));
    }

    /* ---- the kernel ---- */

    @Test
    void loadAKernelModule() { // seccomp: init_module, finit_module EPERM; no CAP_SYS_MODULE
        assertEquals("EPERM", attack("init_module"));
        assertEquals("EPERM", attack("finit_module"));
    }

    @Test
    void kexecLoad() { // seccomp
        assertEquals("EPERM", attack("kexec_load"));
    }

    @Test
    void bpf() { // seccomp
        assertEquals("EPERM", attack("bpf"));
    }

    @Test
    void keyctlIntoTheHostKeyring() { // seccomp: keyctl, add_key EPERM; /proc/keys masked
        assertEquals("EPERM", attack("keyctl"));
        assertEquals("EPERM", attack("add_key"));
    }

    @Test
    void reboot() { // seccomp EPERM (capability check comes first in the kernel too: no CAP_SYS_BOOT)
        assertEquals("EPERM", attack("reboot"));
    }

    @Test
    void perfEventOpen() { // seccomp
        assertEquals("EPERM", attack("perf_event_open"));
    }

    @Test
    void userfaultfd() { // seccomp
        assertEquals("EPERM", attack("userfaultfd"));
    }

    @Test
    void ioUring() { // seccomp: its operations would bypass the filter
        assertEquals("EPERM", attack("io_uring_setup"));
    }

    @Test
    void vsockToTheHypervisor() { // seccomp: socket(AF_VSOCK) EPERM
        assertEquals("EPERM", attack("vsock"));
    }

    @Test
    void changeTheHostname() throws Exception { // seccomp EPERM; UTS namespace: the host's stays anyway
        String before = new String(Files.readAllBytes(Path.of("/proc/sys/kernel/hostname")));
        assertEquals("EPERM", attack("sethostname"));
        assertEquals(before, new String(Files.readAllBytes(Path.of("/proc/sys/kernel/hostname"))));
    }

    @Test
    void changeTheTime() { // seccomp: clock_settime EPERM; no CAP_SYS_TIME
        assertEquals("EPERM", attack("settime"));
    }

    @Test
    void createADeviceNode() { // user namespace: mknod of a device is EPERM for any non-initial namespace
        assertEquals("EPERM", attack("mknod"));
    }

    /* ---- privileges ---- */

    @Test
    void capsetToRegainCapabilities() { // no capabilities: the permitted set is empty, capset cannot raise
        assertEquals("EPERM", attack("capset"));
    }

    @Test
    void theCommandHasNoCapabilitiesAndNoNewPrivs() {
        String caps = attack("caps");
        assertTrue(caps.contains("CapEff:\t0000000000000000"), caps);
        assertTrue(caps.contains("CapBnd:\t0000000000000000"), caps);
        assertTrue(caps.contains("NoNewPrivs:\t1"), caps);
        assertTrue(caps.contains("Seccomp:\t2"), caps);
    }

    @Test
    void aSetuidBinaryGrantsNothing() throws Exception { // no_new_privs, nosuid binds, unmapped owner
        Path suid = dir.resolve("suid");
        Files.copy(dir.resolve("attack"), suid, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        assertEquals(0, new ProcessBuilder("chmod", "4755", suid.toString()).start().waitFor());
        ContainerResult r = box().user(1000, 1000).run("/attack/suid", "caps");
        assertTrue(r.stdout().contains("Uid:\t1000\t1000\t1000\t1000"), r.stdout());
        assertTrue(r.stdout().contains("CapEff:\t0000000000000000"), r.stdout());
    }

    @Test
    void raiseAnRlimitBack() { // no CAP_SYS_RESOURCE: a hard limit cannot go up
        assertEquals("EPERM", attack("raise-nofile"));
        assertEquals("EPERM", attack("raise-core"));
        assertEquals("0\n", sh("ulimit -c").stdout());
    }

    /* ---- the cgroup view ---- */

    @Test
    void widenOrLeaveItsLimitsThroughTheCgroupView() { // mount: /sys/fs/cgroup is read-only binds of its own cgroup only; no CAP_SYS_ADMIN, seccomp: no remount
        /* memory and pids may go unenforced where no cgroup can be made (rootless on cgroup v1):
           then there is no view, and nothing to attack through it either */
        ContainerSpec spec = box().limits(dev.corral.cgroups.CgroupLimits.builder()
                .memory(dev.corral.unit.DataSize.ofMebibytes(256)).pids(64)
                .allowUnenforced(dev.corral.cgroups.Controller.MEMORY, dev.corral.cgroups.Controller.PIDS).build()).build();
        ContainerResult r = spec.run("/bin/bash", "-c", """
                cd /sys/fs/cgroup 2>/dev/null || { echo no view; exit 0; }
                for f in memory.limit_in_bytes memory.max memory.memsw.limit_in_bytes pids.max memory.high; do
                  for g in $f */$f; do
                    [ -e "$g" ] || continue
                    (echo max > "$g") 2>/dev/null && echo "wrote $g"
                    (echo -1 > "$g") 2>/dev/null && echo "wrote $g"
                  done
                done
                for f in cgroup.procs */cgroup.procs */tasks ../cgroup.procs; do
                  [ -e "$f" ] || continue
                  (echo $$ > "$f") 2>/dev/null && echo "joined $f"
                done
                mkdir escape memory/escape 2>/dev/null && echo "made a child cgroup"
                mount -o remount,bind,rw /sys/fs/cgroup/memory 2>/dev/null && echo "remounted memory"
                mount -o remount,bind,rw /sys/fs/cgroup 2>/dev/null && echo "remounted the view"
                mount -t cgroup2 none /tmp 2>/dev/null && echo "mounted cgroup2"
                mount -t cgroup -o memory none /tmp 2>/dev/null && echo "mounted memory"
                echo "up: $(ls /sys/fs/cgroup/../.. | tr '\\n' ' ')"
                echo "others: $(find /sys/fs/cgroup -mindepth 1 -maxdepth 3 -type d | grep -c '/c[0-9]')"
                cat memory/memory.limit_in_bytes memory.max 2>/dev/null
                """);
        assertEquals(Termination.EXITED, r.termination(), () -> r + " " + r.stderr());
        String out = r.stdout();
        if (r.usage().peakMemorySource() == ResourceUsage.PeakMemorySource.RUSAGE_MAX_RSS) {
            assertTrue(out.startsWith("no view"), out); /* no cgroup, so no view of one */
            return;
        }
        for (String verb : new String[] {"wrote", "joined", "made", "remounted", "mounted"}) {
            assertFalse(out.contains(verb), out);
        }
        assertTrue(out.contains("up: fs \n"), out);          /* above the view: /sys's own tmpfs only */
        assertTrue(out.contains("others: 0\n"), out);        /* no other container's cgroup */
        assertTrue(out.endsWith("268435456\n"), out);         /* and its limit still holds */
    }

    /* ---- network ---- */

    @Test
    void reachTheHostNetwork() throws Exception { // network namespace: only the container's own loopback
        try (ServerSocket host = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            ContainerResult r = sh("(exec 3<>/dev/tcp/127.0.0.1/" + host.getLocalPort() + "); echo rc=$?");
            assertTrue(r.stderr().contains("Connection refused"), r.stderr());
            assertNotEquals("rc=0", r.stdout().trim());
        }
        ContainerResult out = sh("(exec 3<>/dev/tcp/1.1.1.1/53); echo rc=$?");
        assertTrue(out.stderr().contains("Network is unreachable"), out.stderr());
    }
}
