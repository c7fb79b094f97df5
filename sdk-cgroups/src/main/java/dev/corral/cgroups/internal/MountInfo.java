package dev.corral.cgroups.internal;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** Parses {@code /proc/PID/mountinfo} (proc(5)) and {@code /proc/PID/cgroup} (cgroups(7)). */
public final class MountInfo {

    private MountInfo() {
    }

    /**
     * One line of mountinfo.
     *
     * @param root the path inside the file system that is mounted (for cgroups: the cgroup)
     * @param mountPoint where it is mounted
     * @param fsType e.g. {@code cgroup} or {@code cgroup2}
     * @param superOptions e.g. {@code [rw, memory]}
     */
    public record Mount(String root, String mountPoint, String fsType, List<String> superOptions) {
    }

    /**
     * One line of /proc/PID/cgroup.
     *
     * @param hierarchyId 0 for cgroup v2
     * @param controllers the v1 controllers of the hierarchy (empty for v2), including
     *     {@code name=...} entries
     * @param path the cgroup, relative to the hierarchy's root, starting with {@code /}
     */
    public record CgroupLine(int hierarchyId, List<String> controllers, String path) {
    }

    /** @return the mounts, in order; lines that are not mountinfo are an error */
    public static List<Mount> parseMountInfo(String text) {
        List<Mount> mounts = new ArrayList<>();
        for (String line : text.split("\n")) {
            if (line.isBlank()) {
                continue;
            }
            String[] f = line.trim().split(" ");
            int dash = Arrays.asList(f).indexOf("-");
            if (dash < 6 || f.length < dash + 3) {
                throw new IllegalArgumentException("not a mountinfo line: '" + line + "'");
            }
            List<String> superOptions = f.length > dash + 3 ? List.of(f[dash + 3].split(",")) : List.of();
            mounts.add(new Mount(unescape(f[3]), unescape(f[4]), unescape(f[dash + 1]), superOptions));
        }
        return mounts;
    }

    /** @return the lines of /proc/PID/cgroup */
    public static List<CgroupLine> parseCgroup(String text) {
        List<CgroupLine> lines = new ArrayList<>();
        for (String line : text.split("\n")) {
            if (line.isBlank()) {
                continue;
            }
            String[] f = line.split(":", 3);
            if (f.length != 3 || !f[2].startsWith("/")) {
                throw new IllegalArgumentException("not a /proc/PID/cgroup line: '" + line + "'");
            }
            int id;
            try {
                id = Integer.parseInt(f[0]);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("not a /proc/PID/cgroup line: '" + line + "'", e);
            }
            lines.add(new CgroupLine(id, f[1].isEmpty() ? List.of() : List.of(f[1].split(",")), f[2]));
        }
        return lines;
    }

    /** Undoes the octal escapes mountinfo uses for space, tab, newline and backslash. */
    public static String unescape(String field) {
        if (field.indexOf('\\') < 0) {
            return field;
        }
        StringBuilder out = new StringBuilder(field.length());
        for (int i = 0; i < field.length(); i++) {
            char c = field.charAt(i);
            if (c == '\\' && i + 3 < field.length() && isOctal(field, i + 1) && isOctal(field, i + 2) && isOctal(field, i + 3)) {
                out.append((char) Integer.parseInt(field.substring(i + 1, i + 4), 8));
                i += 3;
            } else {
                out.append(c);
            }
        }
        return out.toString();
    }

    /** Escapes as the kernel does (for tests and fixtures). */
    public static String escape(String path) {
        StringBuilder out = new StringBuilder(path.length());
        for (char c : path.toCharArray()) {
            if (c == ' ' || c == '\t' || c == '\n' || c == '\\') {
                out.append(String.format("\\%03o", (int) c));
            } else {
                out.append(c);
            }
        }
        return out.toString();
    }

    private static boolean isOctal(String s, int i) {
        return i < s.length() && s.charAt(i) >= '0' && s.charAt(i) <= '7';
    }
}
