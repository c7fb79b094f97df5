package dev.corral;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.corral.unit.DataSize;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * A limited container sees its own cgroup, and only it, read-only at {@code /sys/fs/cgroup},
 * through its cgroup namespace: so a JVM inside sizes itself to the container's limits, not
 * the host's. Runs on the hybrid v1 host and (tag cgroup-v2) on the cgroup-v2-only VM; the JDK
 * inside is the host's, through the host's read-only view. The attempts to write, widen or leave
 * the limits through the view are in {@link EscapeTest}.
 */
@Tag("cgroup-v2")
class CgroupViewTest {
    private static final String JAVA = Path.of(System.getProperty("java.home"), "bin", "java").toString();

    private static ContainerSpec limited() {
        return Container.builder().memory(DataSize.ofMebibytes(256)).cpus(1).pids(64).build();
    }

    private static ContainerResult sh(ContainerSpec spec, String script) {
        ContainerResult r = spec.run("/bin/bash", "-c", script);
        assertEquals(Termination.EXITED, r.termination(), () -> r + " " + r.stderr());
        return r;
    }

    private static long maxHeapSize(String printFlagsFinal) {
        Matcher m = Pattern.compile("size_t MaxHeapSize\\s+=\\s+(\\d+)").matcher(printFlagsFinal);
        assertTrue(m.find(), printFlagsFinal);
        return Long.parseLong(m.group(1));
    }

    @Test
    void aJvmInsideSeesTheContainersMemoryAndCpuLimits() throws Exception {
        ContainerResult settings = limited().run(JAVA, "-Xshare:off", "-XshowSettings:system", "-version");
        assertEquals(0, settings.exitCode().orElse(-1), settings::stderr);
        String out = settings.stderr();
        assertTrue(out.contains("Memory Limit: 256.00M"), out);
        assertTrue(out.contains("Effective CPU Count: 1"), out);

        ContainerResult flags = limited().run(JAVA, "-Xshare:off", "-XX:+PrintFlagsFinal", "-version");
        assertEquals(0, flags.exitCode().orElse(-1), flags::stderr);
        long inside = maxHeapSize(flags.stdout());
        /* what this JDK's ergonomics give a machine of 256 MiB: the heap follows the container's
           limit, not the host's memory (a quarter of that would be gigabytes here) */
        Process p = new ProcessBuilder(JAVA, "-Xshare:off", "-XX:MaxRAM=268435456", "-XX:+PrintFlagsFinal", "-version")
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        String host = new String(p.getInputStream().readAllBytes());
        assertEquals(0, p.waitFor());
        assertEquals(maxHeapSize(host), inside, flags.stdout());
        assertTrue(inside <= DataSize.ofMebibytes(128).bytes(), () -> "MaxHeapSize " + inside);
    }

    @Test
    void theViewIsItsOwnCgroupOnlyAndReadOnly() {
        ContainerResult r = sh(limited(), "cat /proc/self/cgroup; echo ---; awk 'index($5, \"/sys\") == 1' /proc/self/mountinfo; echo ---;"
                + " ls /sys/fs/cgroup; echo ---; ls /sys/fs/cgroup/*/ /sys/fs/cgroup/ | grep -c '^c[0-9]'");
        String[] parts = r.stdout().split("---\n");
        /* every hierarchy it was moved into reads as its namespace's root: on v1 those of memory,
           cpu, cpuacct, cpuset and pids; on v2 the one hierarchy */
        boolean v1 = parts[0].matches("(?s).*\\d+:[a-z,]*memory[a-z,]*:.*");
        int own = 0;
        for (String line : parts[0].strip().split("\n")) {
            String[] f = line.split(":", 3);
            boolean joined = v1 ? java.util.Arrays.stream(f[1].split(",")).anyMatch(c -> c.matches("memory|cpu|cpuacct|cpuset|pids"))
                    : f[0].equals("0");
            if (joined) {
                own++;
                assertEquals("/", f[2], parts[0]);
            }
        }
        assertTrue(own >= 1, parts[0]);
        /* each cgroup mount's root is shown as / (the bind is of the container's own directory),
           and the mount on top at each point (the last listed: /sys is bound onto itself
           read-only over the tmpfs) is read-only */
        java.util.Map<String, String> top = new java.util.LinkedHashMap<>();
        for (String line : parts[1].strip().split("\n")) {
            top.put(f(line)[4], line);
        }
        int cgroupMounts = 0;
        for (String line : top.values()) {
            if (line.contains(" - cgroup")) {
                cgroupMounts++;
                assertEquals("/", f(line)[3], line);
            } else {
                assertEquals("/sys", f(line)[4], line);
            }
            assertTrue(f(line)[5].startsWith("ro,"), line);
        }
        assertTrue(cgroupMounts >= 1, parts[1]);
        /* no other container's cgroup (named c + number) and no host cgroup is visible */
        assertEquals("0", parts[3].strip(), r.stdout());
    }

    private static String[] f(String line) {
        return line.split(" ");
    }
}
