package dev.corral.samples.cli;

import dev.corral.image.UnpackListener;
import java.io.PrintWriter;
import java.util.Locale;

/**
 * A one-line progress display on stderr while layers unpack: rewritten in place with a carriage
 * return, only for layers of 8 MiB or more and at most five times a second, and finished with a
 * newline. Plain text is enough for one line; a progress bar library would be a dependency for
 * nothing the terminal cannot do with {@code \r}.
 */
final class Progress implements UnpackListener, AutoCloseable {
    private static final long MIN_SIZE = 8L << 20;
    private final PrintWriter err;
    private final String verb;
    private long lastPrint;
    private boolean printed;

    Progress(PrintWriter err, String verb) {
        this.err = err;
        this.verb = verb;
    }

    @Override
    public void progress(String layer, long done, long total) {
        if (total < MIN_SIZE) {
            return;
        }
        long now = System.nanoTime();
        if (done < total && now - lastPrint < 200_000_000L) {
            return;
        }
        lastPrint = now;
        String id = layer.startsWith("sha256:") ? layer.substring(7, Math.min(layer.length(), 19)) : layer;
        err.printf(Locale.ROOT, "\r%s %s  %6.1f / %.1f MiB  %3d%%", verb, id, done / 1048576.0, total / 1048576.0,
                total == 0 ? 100 : (int) (100 * done / total));
        err.flush();
        printed = true;
        if (done >= total) {
            err.println();
            printed = false;
        }
    }

    @Override
    public void close() {
        if (printed) {
            err.println();
        }
    }
}
