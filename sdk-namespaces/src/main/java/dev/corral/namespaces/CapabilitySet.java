package dev.corral.namespaces;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * An immutable set of capabilities, by number (0 to 63), so capabilities newer than
 * {@link Capability} can be named too. A container's command gets exactly these, in its
 * bounding, permitted, effective, inheritable and ambient sets, whatever its user; the default
 * is {@link #none()}.
 *
 * <pre>{@code
 * CapabilitySet caps = CapabilitySet.builder().add(Capability.NET_BIND_SERVICE).build();
 * CapabilitySet all = CapabilitySet.kernelKnown();   // 0..cap_last_cap of this kernel
 * all.without(Capability.SYS_ADMIN).contains(Capability.SYS_ADMIN);   // false
 * }</pre>
 */
public final class CapabilitySet {
    private static final CapabilitySet NONE = new CapabilitySet(0);
    private final long bits;

    private CapabilitySet(long bits) {
        this.bits = bits;
    }

    /** @return the empty set: the default for every container */
    public static CapabilitySet none() {
        return NONE;
    }

    /** @param caps members @return a set of exactly these */
    public static CapabilitySet of(Capability... caps) {
        Builder b = builder();
        for (Capability c : caps) {
            b.add(c);
        }
        return b.build();
    }

    /** @param bits bit N set means capability N @return the set */
    public static CapabilitySet fromBits(long bits) {
        return new CapabilitySet(bits);
    }

    /**
     * Every capability the running kernel knows: 0 to {@code /proc/sys/kernel/cap_last_cap}
     * (or to the last one {@link Capability} names, if that file cannot be read).
     *
     * @return the full set for this kernel
     */
    public static CapabilitySet kernelKnown() {
        int last = lastCap();
        return new CapabilitySet(last >= 63 ? -1L : (1L << (last + 1)) - 1);
    }

    /** @return the highest capability number this kernel knows (read once: it cannot change) */
    public static int lastCap() {
        return LastCap.VALUE;
    }

    /** Reads {@code cap_last_cap} on first use; every container start asks for it. */
    private static final class LastCap {
        static final int VALUE = read();

        private static int read() {
            /* not Files.readString: on a /proc/sys file (size 0) it returned only the first byte */
            try (var in = Files.newInputStream(Path.of("/proc/sys/kernel/cap_last_cap"))) {
                return Math.min(63, Integer.parseInt(new String(in.readAllBytes(), java.nio.charset.StandardCharsets.US_ASCII).trim()));
            } catch (IOException | NumberFormatException e) {
                return Capability.values().length - 1;
            }
        }
    }

    /** @return a builder starting empty */
    public static Builder builder() {
        return new Builder(0);
    }

    /** @return a builder holding this set's members */
    public Builder toBuilder() {
        return new Builder(bits);
    }

    /** @param cap a capability @return whether it is a member */
    public boolean contains(Capability cap) {
        return contains(cap.number());
    }

    /** @param number a capability number @return whether it is a member */
    public boolean contains(int number) {
        return number >= 0 && number < 64 && (bits & (1L << number)) != 0;
    }

    /** @param cap a capability @return this set with it */
    public CapabilitySet with(Capability cap) {
        return new CapabilitySet(bits | (1L << cap.number()));
    }

    /** @param cap a capability @return this set without it */
    public CapabilitySet without(Capability cap) {
        return new CapabilitySet(bits & ~(1L << cap.number()));
    }

    /** @return bit N set means capability N */
    public long bits() {
        return bits;
    }

    /** @return whether there is no member */
    public boolean isEmpty() {
        return bits == 0;
    }

    /** @return the members' names ({@code CAP_...}, or {@code CAP_<number>} for unnamed ones) */
    public List<String> names() {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < 64; i++) {
            if (contains(i)) {
                int n = i;
                out.add(Capability.fromNumber(i).map(Capability::capName).orElseGet(() -> "CAP_" + n));
            }
        }
        return out;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof CapabilitySet c && c.bits == bits;
    }

    @Override
    public int hashCode() {
        return Long.hashCode(bits);
    }

    @Override
    public String toString() {
        return "CapabilitySet" + names();
    }

    /**
     * Builds a {@link CapabilitySet}.
     *
     * <pre>{@code
     * CapabilitySet caps = CapabilitySet.builder().add(Capability.CHOWN).add(Capability.NET_BIND_SERVICE).build();
     * }</pre>
     */
    public static final class Builder {
        private long bits;

        private Builder(long bits) {
            this.bits = bits;
        }

        /** @param cap a capability @return this */
        public Builder add(Capability cap) {
            bits |= 1L << Objects.requireNonNull(cap, "cap").number();
            return this;
        }

        /**
         * @param number a capability number, 0 to 63
         * @return this
         * @throws IllegalArgumentException if out of range
         */
        public Builder add(int number) {
            if (number < 0 || number > 63) {
                throw new IllegalArgumentException("capability number " + number + " is not 0 to 63");
            }
            bits |= 1L << number;
            return this;
        }

        /** @param cap a capability @return this */
        public Builder remove(Capability cap) {
            bits &= ~(1L << cap.number());
            return this;
        }

        /** @return this, with every capability this kernel knows */
        public Builder addAllKernelKnown() {
            bits |= kernelKnown().bits;
            return this;
        }

        /** @return the set */
        public CapabilitySet build() {
            return new CapabilitySet(bits);
        }
    }
}
