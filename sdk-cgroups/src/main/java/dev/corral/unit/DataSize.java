package dev.corral.unit;

import java.util.Locale;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * An amount of bytes: a memory limit, a tmpfs size, an output limit.
 *
 * <p>Binary units throughout (a mebibyte is 1024 × 1024 bytes), as the kernel counts them.
 * {@link #parse(String)} reads what users type on command lines: {@code 512}, {@code 64k},
 * {@code 256m}, {@code 1.5g}, {@code 2GiB}.
 *
 * <pre>{@code
 * DataSize limit = DataSize.ofMebibytes(256);
 * limit.bytes();                       // 268435456
 * DataSize.parse("64m").equals(DataSize.ofMebibytes(64));   // true
 * }</pre>
 *
 * @param bytes the number of bytes, never negative
 */
public record DataSize(long bytes) implements Comparable<DataSize> {

    private static final Pattern TEXT =
            Pattern.compile("(\\d+(?:\\.\\d+)?)\\s*([kmgtp]?)(i?b?)", Pattern.CASE_INSENSITIVE);

    /** Zero bytes. */
    public static final DataSize ZERO = new DataSize(0);

    /**
     * @param bytes the number of bytes
     * @throws IllegalArgumentException if {@code bytes} is negative
     */
    public DataSize {
        if (bytes < 0) {
            throw new IllegalArgumentException("a data size cannot be negative: " + bytes + " bytes");
        }
    }

    /** @param bytes a number of bytes, at least 0 @return that size */
    public static DataSize ofBytes(long bytes) {
        return new DataSize(bytes);
    }

    /** @param kib a number of kibibytes (1024 bytes) @return that size */
    public static DataSize ofKibibytes(long kib) {
        return new DataSize(Math.multiplyExact(kib, 1L << 10));
    }

    /** @param mib a number of mebibytes (1024 KiB) @return that size */
    public static DataSize ofMebibytes(long mib) {
        return new DataSize(Math.multiplyExact(mib, 1L << 20));
    }

    /** @param gib a number of gibibytes (1024 MiB) @return that size */
    public static DataSize ofGibibytes(long gib) {
        return new DataSize(Math.multiplyExact(gib, 1L << 30));
    }

    /**
     * Reads a size as users write it: a number and an optional binary unit {@code k}, {@code m},
     * {@code g}, {@code t} or {@code p}, optionally followed by {@code i}, {@code b} or
     * {@code ib}, in any case ({@code 64m}, {@code 64MiB}, {@code 1.5G}, {@code 4096}).
     *
     * @param text the size
     * @return the size in bytes, rounded down to a whole byte
     * @throws IllegalArgumentException if the text is not a size
     */
    public static DataSize parse(String text) {
        Objects.requireNonNull(text, "text");
        Matcher m = TEXT.matcher(text.trim());
        if (!m.matches()) {
            throw new IllegalArgumentException("not a data size: '" + text
                    + "' (expected a number and an optional unit k, m, g, t or p, e.g. 64m)");
        }
        int shift = switch (m.group(2).toLowerCase(Locale.ROOT)) {
            case "" -> 0;
            case "k" -> 10;
            case "m" -> 20;
            case "g" -> 30;
            case "t" -> 40;
            default -> 50;
        };
        if (!m.group(3).isEmpty() && m.group(2).isEmpty() && !m.group(3).equalsIgnoreCase("b")) {
            throw new IllegalArgumentException("not a data size: '" + text + "'");
        }
        java.math.BigDecimal value = new java.math.BigDecimal(m.group(1))
                .multiply(java.math.BigDecimal.valueOf(2).pow(shift));
        if (value.compareTo(java.math.BigDecimal.valueOf(Long.MAX_VALUE)) > 0) {
            throw new IllegalArgumentException("data size too large: '" + text + "'");
        }
        return new DataSize(value.longValue());
    }

    /** @return the size in whole kibibytes, rounded down */
    public long toKibibytes() {
        return bytes >> 10;
    }

    /** @return the size in whole mebibytes, rounded down */
    public long toMebibytes() {
        return bytes >> 20;
    }

    @Override
    public int compareTo(DataSize other) {
        return Long.compare(bytes, other.bytes);
    }

    /** @return the size in the largest binary unit that divides it, e.g. {@code 64MiB} */
    @Override
    public String toString() {
        String[] units = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
        long value = bytes;
        int unit = 0;
        while (unit < units.length - 1 && value != 0 && value % 1024 == 0) {
            value /= 1024;
            unit++;
        }
        return value + units[unit];
    }
}
