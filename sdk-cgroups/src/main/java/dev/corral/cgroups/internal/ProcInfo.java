package dev.corral.cgroups.internal;

import dev.corral.cgroups.CgroupException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalLong;

/** Facts about processes and the host, read from an injectable proc root. */
public final class ProcInfo {

    private final Path procRoot;

    /** @param procRoot usually {@code /proc} */
    public ProcInfo(Path procRoot) {
        this.procRoot = procRoot;
    }

    /** @return the proc root */
    public Path root() {
        return procRoot;
    }

    /** @return the effective UID of this process (second field of {@code Uid:} in status) */
    public long effectiveUid() {
        for (String line : CgroupFs.read(procRoot.resolve("self/status")).split("\n")) {
            if (line.startsWith("Uid:")) {
                return Long.parseLong(line.substring(4).trim().split("\\s+")[1]);
            }
        }
        throw new CgroupException("no Uid: line in " + procRoot.resolve("self/status"));
    }

    /** @return whether the machine has any swap space */
    public boolean hasSwap() {
        Path meminfo = procRoot.resolve("meminfo");
        if (!Files.exists(meminfo)) {
            return true;   // unknown: assume the worst
        }
        for (String line : CgroupFs.read(meminfo).split("\n")) {
            if (line.startsWith("SwapTotal:")) {
                return !line.substring(10).trim().startsWith("0 ");
            }
        }
        return true;
    }

    /** @return the inode of this process's PID namespace, or 0 if it cannot be read */
    public long pidNamespace() {
        try {
            String link = Files.readSymbolicLink(procRoot.resolve("self/ns/pid")).toString();   // pid:[4026531836]
            return Long.parseLong(link.substring(link.indexOf('[') + 1, link.indexOf(']')));
        } catch (IOException | RuntimeException e) {
            return 0;
        }
    }

    /** @return the start time of a process in clock ticks after boot, empty if it does not exist */
    public OptionalLong startTime(long pid) {
        Path stat = procRoot.resolve(Long.toString(pid)).resolve("stat");
        String text;
        try {
            text = Files.readString(stat);
        } catch (IOException e) {
            return OptionalLong.empty();
        }
        return OptionalLong.of(parseStartTime(text));
    }

    /**
     * @param stat the content of /proc/PID/stat
     * @return field 22, starttime; the command name (field 2) may hold spaces and parentheses
     */
    public static long parseStartTime(String stat) {
        int close = stat.lastIndexOf(')');
        if (close < 0) {
            throw new IllegalArgumentException("not a /proc/PID/stat line: '" + stat + "'");
        }
        String[] rest = stat.substring(close + 1).trim().split("\\s+");
        // rest[0] is field 3 (state), so field 22 is rest[19]
        if (rest.length < 20) {
            throw new IllegalArgumentException("not a /proc/PID/stat line: '" + stat + "'");
        }
        return Long.parseLong(rest[19]);
    }
}
