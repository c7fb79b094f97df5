package dev.corral.internal.archive;

import java.util.List;

/**
 * What an extraction did.
 *
 * @param entries  archive entries read (whiteouts and skipped entries included)
 * @param bytes    bytes of file content written
 * @param warnings what was changed or left out (stripped setuid bits, skipped device nodes,
 *                 neutralised names, dropped xattrs), at most {@link #MAX_WARNINGS}, the last
 *                 one saying how many more there were
 */
public record ExtractResult(long entries, long bytes, List<String> warnings) {
    /** At most this many warnings are kept. */
    public static final int MAX_WARNINGS = 1000;

    /** @param entries entries read @param bytes bytes written @param warnings the warnings */
    public ExtractResult {
        warnings = List.copyOf(warnings);
    }
}
