package dev.corral.cgroups.internal;

import dev.corral.cgroups.CgroupException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.BitSet;

/**
 * Kernel CPU lists ({@code 0-3,6}): a cpuset asked for is checked against the CPUs its parent
 * offers before it is written, so that the error names both lists instead of the kernel's bare
 * "Invalid argument".
 */
public final class CpuList {
    private CpuList() {}

    /**
     * @param list a kernel list such as {@code 0-2,5}, or empty
     * @return its members
     * @throws IllegalArgumentException if it is not such a list
     */
    public static BitSet parse(String list) {
        BitSet set = new BitSet();
        String s = list.strip();
        if (s.isEmpty()) {
            return set;
        }
        for (String part : s.split(",")) {
            int dash = part.indexOf('-');
            try {
                int from = Integer.parseInt(dash < 0 ? part : part.substring(0, dash));
                int to = dash < 0 ? from : Integer.parseInt(part.substring(dash + 1));
                if (from < 0 || to < from) {
                    throw new IllegalArgumentException("'" + list + "' is not a CPU list");
                }
                set.set(from, to + 1);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("'" + list + "' is not a CPU list", e);
            }
        }
        return set;
    }

    /**
     * Checks that {@code wanted} names only CPUs listed in {@code offered}, when that file exists.
     *
     * @param what    what is checked, for the message ({@code "cpuset cpus"})
     * @param wanted  the list asked for
     * @param offered the file listing what the parent offers
     * @throws CgroupException naming the CPUs that are not offered and the file that says so
     */
    public static void checkWithin(String what, String wanted, Path offered) {
        if (!Files.isRegularFile(offered)) {
            return;
        }
        String available = CgroupFs.read(offered).strip();
        BitSet missing = parse(wanted);
        missing.andNot(parse(available));
        if (!missing.isEmpty()) {
            throw new CgroupException(what + " '" + wanted + "' names " + format(missing) + ", which this machine does not "
                    + "offer here: the available ones are " + (available.isEmpty() ? "none" : available)
                    + " (" + offered + ")", offered.toString(), wanted, null);
        }
    }

    /** @return the set as a kernel list, ranges joined */
    static String format(BitSet set) {
        StringBuilder b = new StringBuilder();
        for (int i = set.nextSetBit(0); i >= 0; ) {
            int end = set.nextClearBit(i) - 1;
            b.append(b.length() > 0 ? "," : "").append(i);
            if (end > i) {
                b.append('-').append(end);
            }
            i = set.nextSetBit(end + 1);
        }
        return b.toString();
    }
}
