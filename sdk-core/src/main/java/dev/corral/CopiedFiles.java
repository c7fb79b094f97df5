package dev.corral;

import java.util.Arrays;
import java.util.Collections;
import java.util.Map;
import java.util.Objects;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * The files copied out of a run's {@link ScratchDirectory} after it ended, within its caps, and
 * those left out, each with the reason.
 *
 * <pre>{@code
 * CopiedFiles out = result.files().orElseThrow();
 * byte[] binary = out.files().get("a.out");
 * out.refused();     // {core=over the per-file cap of 67108864 bytes}
 * out.complete();    // false: something asked for is not here
 * }</pre>
 *
 * @param files   file name to contents, in name order
 * @param refused file name to why it was left out: missing, not a regular file, or over a cap
 */
public record CopiedFiles(SortedMap<String, byte[]> files, SortedMap<String, String> refused) {

    /** Copies both maps. */
    public CopiedFiles {
        TreeMap<String, byte[]> f = new TreeMap<>();
        Objects.requireNonNull(files, "files").forEach((k, v) -> f.put(k, v.clone()));
        files = Collections.unmodifiableSortedMap(f);
        refused = Collections.unmodifiableSortedMap(new TreeMap<>(Objects.requireNonNull(refused, "refused")));
    }

    /** @return file name to contents (copies) */
    @Override
    public SortedMap<String, byte[]> files() {
        TreeMap<String, byte[]> f = new TreeMap<>();
        files.forEach((k, v) -> f.put(k, v.clone()));
        return Collections.unmodifiableSortedMap(f);
    }

    /** @return whether every file asked for was copied out */
    public boolean complete() {
        return refused.isEmpty();
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof CopiedFiles c) || !c.refused.equals(refused) || !c.files.keySet().equals(files.keySet())) {
            return false;
        }
        for (Map.Entry<String, byte[]> e : files.entrySet()) {
            if (!Arrays.equals(e.getValue(), c.files.get(e.getKey()))) {
                return false;
            }
        }
        return true;
    }

    @Override
    public int hashCode() {
        int h = refused.hashCode();
        for (Map.Entry<String, byte[]> e : files.entrySet()) {
            h = 31 * h + e.getKey().hashCode() + Arrays.hashCode(e.getValue());
        }
        return h;
    }

    @Override
    public String toString() {
        return "CopiedFiles[" + files.keySet() + (refused.isEmpty() ? "" : ", refused " + refused) + "]";
    }
}
