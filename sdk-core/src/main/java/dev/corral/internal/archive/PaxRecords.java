package dev.corral.internal.archive;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/**
 * Reads {@code SCHILY.xattr.*} records from the raw data of PAX extended headers (POSIX.1-2008
 * pax, "LEN KEY=VALUE\n" records). Values are kept as bytes: xattr values are binary
 * ({@code security.capability} is a struct), and Go's archive/tar and GNU tar write them raw.
 */
final class PaxRecords {
    private static final String PREFIX = "SCHILY.xattr.";

    private PaxRecords() {
    }

    /**
     * @param data the data of one or more PAX headers, as read
     * @return xattr name to raw value; later records win; malformed records end the scan
     *         (commons-compress, which parses the same bytes, reports those)
     */
    static Map<String, byte[]> xattrs(byte[] data) {
        Map<String, byte[]> out = new HashMap<>();
        int pos = 0;
        while (pos < data.length) {
            int len = 0;
            int p = pos;
            while (p < data.length && data[p] >= '0' && data[p] <= '9' && p - pos < 10) {
                len = len * 10 + (data[p] - '0');
                p++;
            }
            if (p >= data.length || data[p] != ' ' || len <= p - pos + 1 || pos + len > data.length) {
                // Padding (NULs) after the last record, or a malformed record.
                break;
            }
            int end = pos + len;
            int keyStart = p + 1;
            int eq = keyStart;
            while (eq < end && data[eq] != '=') {
                eq++;
            }
            if (eq >= end || data[end - 1] != '\n') {
                break;
            }
            String key = new String(data, keyStart, eq - keyStart, StandardCharsets.UTF_8);
            if (key.startsWith(PREFIX)) {
                out.put(key.substring(PREFIX.length()), Arrays.copyOfRange(data, eq + 1, end - 1));
            }
            pos = end;
        }
        return out;
    }
}
