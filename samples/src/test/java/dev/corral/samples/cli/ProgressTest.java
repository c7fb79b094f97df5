package dev.corral.samples.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;

class ProgressTest {
    private static final long MIB = 1L << 20;

    private static String show(boolean terminal) {
        StringWriter w = new StringWriter();
        try (Progress p = new Progress(new PrintWriter(w), "unpacking", terminal)) {
            p.progress("sha256:0123456789abcdef0123", 0, 16 * MIB);
            p.progress("sha256:0123456789abcdef0123", 16 * MIB, 16 * MIB);
            p.progress("sha256:0123456789abcdef0123", 16 * MIB, 16 * MIB); /* the store reports the end twice */
            p.progress("sha256:small", MIB, MIB);                        /* too small to show */
        }
        return w.toString();
    }

    @Test
    void intoALogThereIsNoCarriageReturnAndOneLinePerLayer() {
        assertEquals("unpacking 0123456789ab    16.0 / 16.0 MiB  100%" + System.lineSeparator(), show(false));
    }

    @Test
    void onATerminalTheLineIsRewrittenAndEndsOnce() {
        String s = show(true);
        assertTrue(s.startsWith("\runpacking 0123456789ab     0.0 / 16.0 MiB    0%\r"), s);
        assertEquals(1, s.split("100%", -1).length - 1, s);
        assertTrue(s.endsWith("100%" + System.lineSeparator()), s);
    }
}
