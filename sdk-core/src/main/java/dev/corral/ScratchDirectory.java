package dev.corral;

import dev.corral.unit.DataSize;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * A fresh directory for one run, with files copied in before the command starts and out after
 * the container has ended, each file within a per-file cap and all of them within a total cap
 * (go-judge's copyIn/copyOut, isolate's box). The directory lives on the host, in
 * {@code /dev/shm} where that is a tmpfs (so what the container writes there is memory charged
 * to the container's own memory limit) or else the JVM's temporary directory, and is removed
 * when the result is in. A file copied in over a cap fails the start with a
 * {@link ScratchCapExceededException}; one to copy out that is over a cap, or missing, is left
 * out and named in {@link CopiedFiles#refused()}: never a partial copy taken for the whole.
 *
 * <pre>{@code
 * ContainerResult r = Container.builder()
 *         .scratch(ScratchDirectory.at("/box")
 *                 .copyIn("main.c", Input.file(Path.of("submission.c")))
 *                 .copyOut("a.out")
 *                 .caps(DataSize.ofMebibytes(16), DataSize.ofMebibytes(64)))
 *         .workingDirectory("/box")
 *         .run("gcc", "-O2", "-o", "a.out", "main.c");
 * byte[] binary = r.files().orElseThrow().files().get("a.out");
 * }</pre>
 *
 * @param target     where the container sees the directory (read-write)
 * @param copyIn     file name to what it holds: {@link Input#file}, {@link Input#bytes},
 *                   {@link Input#string} or {@link Input#empty()}
 * @param copyOut    the names of the files to copy out
 * @param copyOutEverything copy out every regular file at the directory's top, whatever its name
 * @param perFileCap the most one file may hold, in or out
 * @param totalCap   the most all files copied in, and all copied out, may hold together
 */
public record ScratchDirectory(String target, SortedMap<String, Input> copyIn, List<String> copyOut, boolean copyOutEverything,
                               DataSize perFileCap, DataSize totalCap) {

    /** The per-file cap when none is given: 64 MiB. */
    public static final DataSize DEFAULT_PER_FILE_CAP = DataSize.ofMebibytes(64);
    /** The total cap when none is given: 256 MiB. */
    public static final DataSize DEFAULT_TOTAL_CAP = DataSize.ofMebibytes(256);
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_+-][A-Za-z0-9_.+-]{0,254}");

    /** Checks every field. */
    public ScratchDirectory {
        Objects.requireNonNull(target, "target");
        check(target.startsWith("/") && !target.equals("/") && !target.endsWith("/") && !target.contains("//")
                && !target.contains("/./") && !target.contains("/../") && !target.endsWith("/..")
                && !target.endsWith("/.") && target.indexOf('\0') < 0,
                "target '" + target + "' must be an absolute path other than '/', without '.', '..' or '//'");
        copyIn = Collections.unmodifiableSortedMap(new TreeMap<>(Objects.requireNonNull(copyIn, "copyIn")));
        for (var e : copyIn.entrySet()) {
            checkName(e.getKey());
            Input in = Objects.requireNonNull(e.getValue(), "copyIn " + e.getKey());
            check(in instanceof Input.FromFile || in instanceof Input.Bytes || in instanceof Input.Empty,
                    "copyIn " + e.getKey() + " must be Input.file, bytes, string or empty, not " + in);
        }
        copyOut = List.copyOf(copyOut);
        copyOut.forEach(ScratchDirectory::checkName);
        Objects.requireNonNull(perFileCap, "perFileCap");
        Objects.requireNonNull(totalCap, "totalCap");
        check(perFileCap.bytes() > 0 && totalCap.bytes() > 0, "caps must be positive");
    }

    private static void checkName(String name) {
        check(NAME.matcher(name).matches(), "file name '" + name + "' must be 1-255 of A-Z, a-z, 0-9, '_', '.', '+', '-', "
                + "not starting with '.': a file at the directory's top");
    }

    private static void check(boolean ok, String message) {
        if (!ok) {
            throw new InvalidSpecException("scratch", message);
        }
    }

    /**
     * @param target where the container sees the directory
     * @return an empty scratch directory there, copying nothing, with the default caps
     */
    public static ScratchDirectory at(String target) {
        return new ScratchDirectory(target, new TreeMap<>(), List.of(), false, DEFAULT_PER_FILE_CAP, DEFAULT_TOTAL_CAP);
    }

    /**
     * @param name    the file's name in the directory
     * @param content what it holds
     * @return this with the file copied in too (replacing one of the same name)
     */
    public ScratchDirectory copyIn(String name, Input content) {
        SortedMap<String, Input> in = new TreeMap<>(copyIn);
        in.put(name, content);
        return new ScratchDirectory(target, in, copyOut, copyOutEverything, perFileCap, totalCap);
    }

    /**
     * @param names files to copy out once the container has ended
     * @return this with them copied out too
     */
    public ScratchDirectory copyOut(String... names) {
        List<String> out = new ArrayList<>(copyOut);
        for (String n : names) {
            if (!out.contains(n)) {
                out.add(n);
            }
        }
        return new ScratchDirectory(target, copyIn, out, copyOutEverything, perFileCap, totalCap);
    }

    /** @return this copying out every regular file at the directory's top once the container has ended */
    public ScratchDirectory copyOutAll() {
        return new ScratchDirectory(target, copyIn, copyOut, true, perFileCap, totalCap);
    }

    /**
     * @param perFile the most one file may hold
     * @param total   the most all files copied in, and all copied out, may hold together
     * @return this with these caps
     */
    public ScratchDirectory caps(DataSize perFile, DataSize total) {
        return new ScratchDirectory(target, copyIn, copyOut, copyOutEverything, perFile, total);
    }
}
