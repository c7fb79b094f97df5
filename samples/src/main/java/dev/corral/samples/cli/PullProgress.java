package dev.corral.samples.cli;

import dev.corral.image.PullListener;
import java.io.PrintWriter;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * Progress of a pull or push, one line per blob: bytes, rate and time left. On a terminal the
 * lines are redrawn in place (cursor up, line cleared) at most five times a second, as {@code
 * docker pull} does; into a file or a pipe (a CI log), one plain line per blob when it is done.
 * Called from the threads that transfer blobs, so every method is synchronized.
 */
final class PullProgress implements PullListener, AutoCloseable {
    private static final long REDRAW_NANOS = 200_000_000L;

    private final PrintWriter err;
    private final String verb;
    private final boolean terminal;
    private final LongSupplier clock;
    private final Map<String, Blob> blobs = new LinkedHashMap<>();
    private int drawn;
    private long lastDraw = Long.MIN_VALUE;

    private static final class Blob {
        final long start;
        long done;
        long total;
        long end = -1;
        boolean present;

        Blob(long start) {
            this.start = start;
        }
    }

    /**
     * @param err      where progress goes
     * @param verb     what is done to a blob, e.g. "fetched"
     * @param terminal whether {@code err} is a terminal
     * @param clock    nanoseconds, e.g. {@code System::nanoTime}
     */
    PullProgress(PrintWriter err, String verb, boolean terminal, LongSupplier clock) {
        this.err = err;
        this.verb = verb;
        this.terminal = terminal;
        this.clock = clock;
    }

    @Override
    public synchronized void present(String blob, long size) {
        Blob b = blobs.computeIfAbsent(blob, k -> new Blob(clock.getAsLong()));
        b.present = true;
        b.done = size;
        b.total = size;
        if (terminal) {
            draw(true);
        } else {
            err.println(line(blob, b, 0));
            err.flush();
        }
    }

    @Override
    public synchronized void progress(String blob, long done, long total) {
        long now = clock.getAsLong();
        Blob b = blobs.computeIfAbsent(blob, k -> new Blob(now));
        boolean finished = done >= total && b.end < 0;
        b.done = done;
        b.total = total;
        if (finished) {
            b.end = now;
        }
        if (terminal) {
            draw(finished);
        } else if (finished) {
            err.println(line(blob, b, now));
            err.flush();
        }
    }

    private void draw(boolean force) {
        long now = clock.getAsLong();
        if (!force && lastDraw != Long.MIN_VALUE && now - lastDraw < REDRAW_NANOS) {
            return;
        }
        lastDraw = now;
        StringBuilder sb = new StringBuilder();
        if (drawn > 0) {
            sb.append("\033[").append(drawn).append('A');
        }
        for (Map.Entry<String, Blob> e : blobs.entrySet()) {
            sb.append('\r').append(line(e.getKey(), e.getValue(), now)).append("\033[K\n");
        }
        drawn = blobs.size();
        err.print(sb);
        err.flush();
    }

    private String line(String digest, Blob b, long now) {
        String id = digest.startsWith("sha256:") ? digest.substring(7, Math.min(digest.length(), 19)) : digest;
        if (b.present) {
            return String.format(Locale.ROOT, "%s  %s, already %s", id, ImageCommands.mib(b.total),
                    verb.equals("sent") ? "in the registry" : "in the store");
        }
        long end = b.end >= 0 ? b.end : now;
        double seconds = Math.max(end - b.start, 1) / 1e9;
        double rate = b.done / seconds;
        if (b.end >= 0) {
            return String.format(Locale.ROOT, "%s  %s %s in %.1f s, %s/s", id, verb, ImageCommands.mib(b.total), seconds,
                    ImageCommands.mib((long) rate));
        }
        String eta = rate <= 0 ? "--" : String.format(Locale.ROOT, "%.0f s", (b.total - b.done) / rate);
        return String.format(Locale.ROOT, "%s  %6.1f / %.1f MiB  %s/s  %s left", id, b.done / 1048576.0,
                b.total / 1048576.0, ImageCommands.mib((long) rate), eta);
    }

    /** On a terminal, draws the last state of every line. */
    @Override
    public synchronized void close() {
        if (terminal && !blobs.isEmpty()) {
            draw(true);
        }
    }
}
