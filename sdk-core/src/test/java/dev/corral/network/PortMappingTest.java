package dev.corral.network;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.util.List;
import java.util.Optional;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

/** {@link PortMapping#parse}, {@link Subnet} and {@link Network}'s values: forms, errors, round trips. */
class PortMappingTest {

    @Test
    void parsesDockersForms() throws Exception {
        assertEquals(PortMapping.tcp(8080, 80), PortMapping.parse("8080:80"));
        assertEquals(PortMapping.udp(5353, 53), PortMapping.parse("5353:53/udp"));
        assertEquals(PortMapping.tcp(1, 65535), PortMapping.parse("1:65535/TCP"));
        assertEquals(new PortMapping(Optional.of(InetAddress.getByName("127.0.0.1")), 8443, 443, PortMapping.Protocol.TCP),
                PortMapping.parse("127.0.0.1:8443:443"));
        assertEquals("127.0.0.1:8443:443/tcp", PortMapping.parse("127.0.0.1:8443:443").toString());
    }

    @Test
    void refusesWhatItCannotMeanWithTheAcceptedForm() {
        for (String bad : new String[] {"80", "0:80", "80:0", "65536:80", "a:80", "80:80/sctp", ":80:80", "1.2.3:80:80",
                "localhost:80:80", "1:2:3:4", "80:80/", " 80:80", "999999:80", "256.0.0.1:80:80"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> PortMapping.parse(bad), bad);
            assertTrue(e.getMessage().contains("'" + bad + "'"), e.getMessage());
            assertTrue(e.getMessage().contains("[IP:]HOST:CONTAINER[/tcp|/udp]"), e.getMessage());
        }
        assertThrows(IllegalArgumentException.class, () -> new PortMapping(Optional.of(InetAddress.getLoopbackAddress()), 0, 1,
                PortMapping.Protocol.TCP));
    }

    @Test
    void rangesPublishPortByPortAsDockerDoes() throws Exception {
        assertEquals(List.of(PortMapping.tcp(8000, 9000), PortMapping.tcp(8001, 9001), PortMapping.tcp(8002, 9002)),
                PortMapping.parseAll("8000-8002:9000-9002"));
        InetAddress lo = InetAddress.getByName("127.0.0.1");
        assertEquals(List.of(new PortMapping(Optional.of(lo), 53, 5353, PortMapping.Protocol.UDP),
                        new PortMapping(Optional.of(lo), 54, 5354, PortMapping.Protocol.UDP)),
                PortMapping.parseAll("127.0.0.1:53-54:5353-5354/udp"));
        assertEquals(List.of(PortMapping.tcp(8080, 80)), PortMapping.parseAll("8080:80"), "no range: as parse");
        assertEquals(List.of(PortMapping.tcp(7, 7)), PortMapping.parseAll("7-7:7-7"));
        assertEquals(PortMapping.MAX_RANGE, PortMapping.parseAll("10000-" + (10000 + PortMapping.MAX_RANGE - 1) + ":20000-"
                + (20000 + PortMapping.MAX_RANGE - 1)).size());
    }

    @Test
    void rangesThatCannotBeMeantAreRefusedInTheCallersWords() {
        for (String bad : new String[] {"8000-8002:9000-9001", "8000-8002:80", "80:9000-9002", "8002-8000:9002-9000",
                "8000-:9000-9001", "0-2:1-3", "8000-8002:65534-65536", "1.2.3:8000-8001:9000-9001", "8000-8001:9000-9001/sctp",
                "10000-" + (10000 + PortMapping.MAX_RANGE) + ":20000-" + (20000 + PortMapping.MAX_RANGE), "1:2-3:4-5:6"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> PortMapping.parseAll(bad), bad);
            assertTrue(e.getMessage().contains("'" + bad + "'"), e.getMessage());
        }
    }

    @Property
    void toStringParsesBack(@ForAll @IntRange(min = 1, max = 65535) int host, @ForAll @IntRange(min = 1, max = 65535) int container,
                            @ForAll boolean udp, @ForAll("addresses") Optional<InetAddress> address) {
        PortMapping p = new PortMapping(address, host, container, udp ? PortMapping.Protocol.UDP : PortMapping.Protocol.TCP);
        assertEquals(p, PortMapping.parse(p.toString()));
    }

    @Provide
    Arbitrary<Optional<InetAddress>> addresses() {
        return Arbitraries.bytes().array(byte[].class).ofSize(4).map(b -> {
            try {
                return Optional.of(InetAddress.getByAddress(b));
            } catch (java.net.UnknownHostException e) {
                throw new IllegalStateException(e);
            }
        }).injectNull(0.3).map(o -> o == null ? Optional.<InetAddress>empty() : o);
    }

    @Test
    void subnetsKnowTheirAddresses() throws Exception {
        Subnet s = Subnet.parse("10.89.3.0/24");
        assertEquals(InetAddress.getByName("10.89.3.1"), s.gateway());
        assertEquals(InetAddress.getByName("10.89.3.255"), s.address(255));
        assertEquals(256, s.size());
        assertTrue(s.contains(InetAddress.getByName("10.89.3.77")));
        assertFalse(s.contains(InetAddress.getByName("10.89.4.1")));
        assertTrue(s.overlaps(Subnet.parse("10.89.0.0/16")));
        assertFalse(s.overlaps(Subnet.parse("10.89.4.0/24")));
        assertEquals("10.89.3.0/24", s.toString());
        assertThrows(IllegalArgumentException.class, () -> s.address(256));
        IllegalArgumentException hostBits = assertThrows(IllegalArgumentException.class, () -> Subnet.parse("10.89.3.1/24"));
        assertTrue(hostBits.getMessage().contains("10.89.3.0"), hostBits.getMessage());
        for (String bad : new String[] {"10.89.3.0", "10.89.3.0/31", "10.89.3.0/x", "10.89.0/24", "example.org/24"}) {
            assertThrows(IllegalArgumentException.class, () -> Subnet.parse(bad), bad);
        }
    }

    @Test
    void networksAreValuesAndBridgeNamesAreChecked() {
        assertEquals(Network.none(), Network.none());
        assertEquals(Network.bridge("app"), Network.bridge("app"));
        assertFalse(Network.bridge("app").equals(Network.bridge("app", Subnet.parse("10.89.3.0/24"))));
        assertFalse(Network.none().equals(Network.host()));
        for (String bad : new String[] {"", "-x", "has space", "a/b", "x".repeat(65)}) {
            assertThrows(IllegalArgumentException.class, () -> Network.bridge(bad), bad);
        }
    }
}
