package dev.corral.samples.cli;

import dev.corral.image.UnpackListener;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * Progress while layers unpack, for layers of 8 MiB or more. On a terminal: one line rewritten
 * in place with a carriage return at most five times a second, finished with a newline. Into a
 * file or a pipe (a CI log): no carriage return and no intermediate lines, one line per layer
 * once it is done. A layer reported done twice prints once. A progress-bar library would be a
 * dependency, and start-up time, for nothing one line needs.
 */
final class Progress implements UnpackListener, AutoCloseable {
    private static final long MIN_SIZE = 8L << 20;
    private final PrintWriter err;
    private final String verb;
    private final boolean terminal;
    private long lastPrint;
    private boolean printed;
    private String finished = "";

    /**
     * @param err      where progress goes
     * @param verb     what is being done, e.g. "unpacking"
     * @param terminal whether {@code err} is a terminal (see {@link #stderrIsTerminal()})
     */
    Progress(PrintWriter err, String verb, boolean terminal) {
        this.err = err;
        this.verb = verb;
        this.terminal = terminal;
    }

    /** @return whether this process's standard error is a terminal (Linux: /proc/self/fd/2 is a tty) */
    static boolean stderrIsTerminal() {
        try {
            String target = Files.readSymbolicLink(Path.of("/proc/self/fd/2")).toString();
            return target.startsWith("/dev/pts/") || target.startsWith("/dev/tty") || target.equals("/dev/console");
        } catch (IOException | UnsupportedOperationException e) {
            return false;
        }
    }

    @Override
    public void progress(String layer, long done, long total) {
        if (total < MIN_SIZE || (done >= total && layer.equals(finished))) {
            return;
        }
        long now = System.nanoTime();
        if (done < total && (!terminal || now - lastPrint < 200_000_000L)) {
            return;
        }
        lastPrint = now;
        String id = layer.startsWith("sha256:") ? layer.substring(7, Math.min(layer.length(), 19)) : layer;
        String line = String.format(Locale.ROOT, "%s %s  %6.1f / %.1f MiB  %3d%%", verb, id, done / 1048576.0,
                total / 1048576.0, total == 0 ? 100 : (int) (100 * done / total));
        if (terminal) {
            err.print("\r" + line);
            printed = true;
        } else {
            err.print(line);
        }
        if (done >= total) {
            err.println();
            printed = false;
            finished = layer;
        }
        err.flush();
    }

    @Override
    public void close() {
        if (printed) {
            err.println();
            err.flush();
        }
    }
}
