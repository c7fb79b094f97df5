package dev.corral.internal.archive;

import java.io.IOException;

/**
 * An archive was refused: an entry would escape the target, broke a limit, or could not be
 * applied. Extraction stops at the first such entry; what was written before it stays inside
 * the target, and the caller (a layer store) throws the partial tree away.
 */
public final class ArchiveException extends IOException {
    private static final long serialVersionUID = 1L;

    /** Why an archive was refused. */
    public enum Reason {
        /** The entry would write outside the target, or through something that is not a directory. */
        UNSAFE_PATH,
        /** A limit of {@link ExtractOptions} was reached. */
        LIMIT,
        /** The archive or its compression is malformed or unsupported. */
        MALFORMED,
        /** A system call failed while applying a well-formed entry. */
        FAILED
    }

    private final Reason reason;
    private final String entry;

    ArchiveException(Reason reason, String entry, String message, Throwable cause) {
        super((entry == null ? "" : "entry " + quote(entry) + ": ") + message, cause);
        this.reason = reason;
        this.entry = entry;
    }

    ArchiveException(Reason reason, String entry, String message) {
        this(reason, entry, message, null);
    }

    /** @return why the archive was refused */
    public Reason reason() {
        return reason;
    }

    /** @return the entry's name as the archive gives it, or {@code null} when no entry is to blame */
    public String entry() {
        return entry;
    }

    static String quote(String s) {
        StringBuilder b = new StringBuilder("\"");
        int n = Math.min(s.length(), 200);
        for (int i = 0; i < n; i++) {
            char c = s.charAt(i);
            if (c < 0x20 || c == 0x7f) {
                b.append(String.format("\\x%02x", (int) c));
            } else {
                b.append(c);
            }
        }
        if (s.length() > n) {
            b.append("...");
        }
        return b.append('"').toString();
    }
}
