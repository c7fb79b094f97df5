package dev.corral.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Docker's reference grammar and defaults, case by case. */
class ImageRefTest {
    private static final String D = "sha256:" + "0123456789abcdef".repeat(4);

    @Test
    void dockerHubDefaults() {
        ImageRef r = ImageRef.parse("busybox");
        assertEquals(new ImageRef("docker.io", "library/busybox", Optional.of("latest"), Optional.empty()), r);
        assertEquals("docker.io/library/busybox:latest", r.toString());
        assertEquals("registry-1.docker.io", r.apiHost());
        assertEquals(r, ImageRef.parse("docker.io/library/busybox:latest"));
        assertEquals(r, ImageRef.parse("index.docker.io/library/busybox"));
        assertEquals("team/app", ImageRef.parse("team/app:1").repository());
        assertEquals("docker.io", ImageRef.parse("team/app:1").registry());
    }

    @Test
    void hostsWithPortsAndLocalhost() {
        ImageRef r = ImageRef.parse("localhost:5000/team/app:1.2");
        assertEquals("localhost:5000", r.registry());
        assertEquals("team/app", r.repository());
        assertEquals(Optional.of("1.2"), r.tag());
        assertEquals("localhost", ImageRef.parse("localhost/app").registry());
        assertEquals("app", ImageRef.parse("localhost/app").repository());
        assertEquals("127.0.0.1:41234", ImageRef.parse("127.0.0.1:41234/x").registry());
        assertEquals("quay.io", ImageRef.parse("quay.io/podman/stable").registry());
        assertEquals("localhost:5000", ImageRef.parse("localhost:5000/app").apiHost());
    }

    @Test
    void digestsPinWithoutTagAndAlongsideOne() {
        ImageRef d = ImageRef.parse("alpine@" + D);
        assertEquals(Optional.empty(), d.tag());
        assertEquals(Optional.of(D), d.digest());
        assertEquals(D, d.reference());
        assertEquals("docker.io/library/alpine@" + D, d.toString());
        ImageRef both = ImageRef.parse("localhost:5000/alpine:3.20@" + D);
        assertEquals(Optional.of("3.20"), both.tag());
        assertEquals(D, both.reference());
        assertEquals("3.21", both.withTag("3.21").reference());
    }

    @Test
    void invalidReferencesAreRejectedWithTheReason() {
        for (String bad : new String[] {"", "UPPER/case", "a//b", "app:", "app:-x", "app@sha256:abc", "app@md5:" + "0".repeat(32),
                "-app", "app/", "localhost:5000/", "a:b:c"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ImageRef.parse(bad), bad);
            assertTrue(e.getMessage().contains("'" + bad + "'"), e.getMessage());
            assertTrue(ImageRef.tryParse(bad).isEmpty(), bad);
        }
    }
}
