package dev.corral.namespaces;

import java.util.List;
import java.util.Locale;

/**
 * One line of a user namespace's {@code uid_map} or {@code gid_map}: {@code count} IDs from
 * {@code containerId} inside map to {@code count} IDs from {@code hostId} outside (in the
 * caller's own user namespace).
 *
 * <pre>{@code
 * IdMapping.of(0, 100000, 65536);           // container 0..65535 = host 100000..165535
 * IdMapping.parse("0:100000:65536");        // the --uidmap syntax
 * }</pre>
 *
 * @param containerId first ID inside
 * @param hostId      first ID outside
 * @param count       how many, at least 1
 */
public record IdMapping(long containerId, long hostId, long count) {
    private static final long MAX = 0xFFFFFFFFL;

    /** Checks the ranges fit in 32-bit IDs. */
    public IdMapping {
        if (containerId < 0 || hostId < 0 || count < 1 || containerId + count > MAX || hostId + count > MAX) {
            throw new IllegalArgumentException("ID mapping " + containerId + ":" + hostId + ":" + count
                    + " is out of range (IDs 0 to 4294967294, count at least 1)");
        }
    }

    /** @param containerId inside @param hostId outside @param count how many @return the mapping */
    public static IdMapping of(long containerId, long hostId, long count) {
        return new IdMapping(containerId, hostId, count);
    }

    /**
     * @param text {@code CONTAINER:HOST:COUNT}
     * @return the mapping
     * @throws IllegalArgumentException if it does not parse
     */
    public static IdMapping parse(String text) {
        String[] p = text.trim().split(":");
        if (p.length != 3) {
            throw new IllegalArgumentException("expected CONTAINER:HOST:COUNT, not '" + text + "'");
        }
        try {
            return new IdMapping(Long.parseLong(p[0]), Long.parseLong(p[1]), Long.parseLong(p[2]));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("expected numbers in CONTAINER:HOST:COUNT, not '" + text + "'");
        }
    }

    /** @param id an ID inside @return whether this mapping covers it */
    public boolean coversContainerId(long id) {
        return id >= containerId && id < containerId + count;
    }

    /** @param id an ID outside @return whether this mapping covers it */
    public boolean coversHostId(long id) {
        return id >= hostId && id < hostId + count;
    }

    /** @param maps mappings @return their {@code uid_map} text, one line each */
    public static String mapText(List<IdMapping> maps) {
        StringBuilder s = new StringBuilder();
        for (IdMapping m : maps) {
            s.append(String.format(Locale.ROOT, "%d %d %d%n", m.containerId, m.hostId, m.count));
        }
        return s.toString();
    }

    @Override
    public String toString() {
        return containerId + ":" + hostId + ":" + count;
    }
}
