package dev.corral.network;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Objects;

/**
 * An IPv4 subnet, as a bridge network's address range: its network address and prefix length.
 * The first address is the gateway (the bridge's own), the last the broadcast address, and the
 * ones between are leased to containers.
 *
 * <pre>{@code
 * Subnet s = Subnet.parse("10.89.3.0/24");
 * s.gateway();       // 10.89.3.1
 * s.address(5);      // 10.89.3.5
 * s.size();          // 256
 * s.toString();      // "10.89.3.0/24"
 * }</pre>
 *
 * @param network      the network address (its host bits zero)
 * @param prefixLength 8 to 30
 */
public record Subnet(Inet4Address network, int prefixLength) {

    /** @param network the network address @param prefixLength its prefix length */
    public Subnet {
        Objects.requireNonNull(network, "network");
        if (prefixLength < 8 || prefixLength > 30) {
            throw new IllegalArgumentException("subnet prefix length must be 8 to 30, not " + prefixLength);
        }
        int bits = toInt(network);
        if ((bits & ~mask(prefixLength)) != 0) {
            throw new IllegalArgumentException("subnet " + network.getHostAddress() + "/" + prefixLength
                    + " has host bits set: its network address is " + fromInt(bits & mask(prefixLength)).getHostAddress());
        }
    }

    /**
     * @param cidr an IPv4 subnet, {@code A.B.C.D/N}
     * @return the subnet
     * @throws IllegalArgumentException naming what is wrong
     */
    public static Subnet parse(String cidr) {
        Objects.requireNonNull(cidr, "cidr");
        int slash = cidr.indexOf('/');
        if (slash < 0) {
            throw new IllegalArgumentException("subnet '" + cidr + "' must be A.B.C.D/N, e.g. 10.89.0.0/24");
        }
        int prefix;
        try {
            prefix = Integer.parseInt(cidr.substring(slash + 1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("subnet '" + cidr + "': the prefix length must be a number", e);
        }
        return new Subnet(parseIpv4(cidr.substring(0, slash), "subnet '" + cidr + "'"), prefix);
    }

    /**
     * @param text  a dotted-quad IPv4 address (never a host name: nothing is looked up)
     * @param field what the text is, for the message
     * @return the address
     * @throws IllegalArgumentException if it is not one
     */
    static Inet4Address parseIpv4(String text, String field) {
        String[] parts = text.split("\\.", -1);
        byte[] b = new byte[4];
        if (parts.length != 4) {
            throw new IllegalArgumentException(field + ": '" + text + "' is not an IPv4 address A.B.C.D");
        }
        for (int i = 0; i < 4; i++) {
            int v;
            try {
                v = parts[i].isEmpty() || parts[i].length() > 3 ? -1 : Integer.parseInt(parts[i]);
            } catch (NumberFormatException e) {
                v = -1;
            }
            if (v < 0 || v > 255) {
                throw new IllegalArgumentException(field + ": '" + text + "' is not an IPv4 address A.B.C.D");
            }
            b[i] = (byte) v;
        }
        return (Inet4Address) fromBytes(b);
    }

    /** @return how many addresses it spans, network and broadcast addresses included */
    public int size() {
        return 1 << (32 - prefixLength);
    }

    /** @return the gateway: the subnet's first address, the bridge's own */
    public Inet4Address gateway() {
        return address(1);
    }

    /**
     * @param index 0 (the network address) to {@code size() - 1} (the broadcast address)
     * @return the address at that offset
     */
    public Inet4Address address(int index) {
        if (index < 0 || index >= size()) {
            throw new IllegalArgumentException("address " + index + " is outside " + this + " (0 to " + (size() - 1) + ")");
        }
        return fromInt(toInt(network) + index);
    }

    /** @param address an address @return whether it is in this subnet */
    public boolean contains(InetAddress address) {
        return address instanceof Inet4Address a && (toInt(a) & mask(prefixLength)) == toInt(network);
    }

    /** @param other a subnet @return whether the two share any address */
    public boolean overlaps(Subnet other) {
        int m = mask(Math.min(prefixLength, other.prefixLength));
        return (toInt(network) & m) == (toInt(other.network) & m);
    }

    @Override
    public String toString() {
        return network.getHostAddress() + "/" + prefixLength;
    }

    private static int mask(int prefix) {
        return prefix == 0 ? 0 : -1 << (32 - prefix);
    }

    private static int toInt(Inet4Address a) {
        byte[] b = a.getAddress();
        return (b[0] & 0xff) << 24 | (b[1] & 0xff) << 16 | (b[2] & 0xff) << 8 | (b[3] & 0xff);
    }

    private static Inet4Address fromInt(int v) {
        return (Inet4Address) fromBytes(new byte[] {(byte) (v >>> 24), (byte) (v >>> 16), (byte) (v >>> 8), (byte) v});
    }

    private static InetAddress fromBytes(byte[] b) {
        try {
            return InetAddress.getByAddress(b);
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e); /* four bytes are always an address */
        }
    }
}
