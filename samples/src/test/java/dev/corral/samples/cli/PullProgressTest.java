package dev.corral.samples.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class PullProgressTest {
    private static final long MIB = 1L << 20;
    private static final long SECOND = 1_000_000_000L;
    private static final String A = "sha256:aaaaaaaaaaaa0000";
    private static final String B = "sha256:bbbbbbbbbbbb0000";

    /** Two layers fetched at once, one already in the store; the clock moves by the test's hand. */
    private static String show(boolean terminal) {
        StringWriter w = new StringWriter();
        AtomicLong now = new AtomicLong();
        try (PullProgress p = new PullProgress(new PrintWriter(w), "fetched", terminal, now::get)) {
            p.present(B, 3 * MIB);
            p.progress(A, 0, 8 * MIB);
            now.addAndGet(SECOND);
            p.progress(A, 2 * MIB, 8 * MIB);
            now.addAndGet(SECOND / 10);                 /* too soon to redraw */
            p.progress(A, 3 * MIB, 8 * MIB);
            now.addAndGet(SECOND - SECOND / 10);
            p.progress(A, 8 * MIB, 8 * MIB);
        }
        return w.toString();
    }

    @Test
    void intoALogEachBlobIsOnePlainLineWhenDone() {
        String nl = System.lineSeparator();
        assertEquals("bbbbbbbbbbbb  3.0 MiB, already in the store" + nl
                + "aaaaaaaaaaaa  fetched 8.0 MiB in 2.0 s, 4.0 MiB/s" + nl, show(false));
    }

    @Test
    void onATerminalTheLinesAreRedrawnInPlaceWithRateAndTimeLeft() {
        String s = show(true);
        assertTrue(s.contains("\raaaaaaaaaaaa     2.0 / 8.0 MiB  2.0 MiB/s  3 s left\033[K"), s);
        assertTrue(!s.contains("3.0 / 8.0 MiB"), "no redraw within 200 ms: " + s);
        assertTrue(s.contains("\033[2A"), "cursor back up over both lines: " + s);
        assertTrue(s.endsWith("\raaaaaaaaaaaa  fetched 8.0 MiB in 2.0 s, 4.0 MiB/s\033[K\n"), s);
        assertTrue(!s.contains("\r\n"), s);
    }
}
