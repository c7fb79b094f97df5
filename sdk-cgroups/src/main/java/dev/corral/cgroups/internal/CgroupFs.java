package dev.corral.cgroups.internal;

import dev.corral.cgroups.CgroupException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;

/** Reading and writing cgroup files; every error names the file and, for writes, the value. */
public final class CgroupFs {

    private CgroupFs() {
    }

    /** @return the reason an I/O error gives, e.g. "Invalid argument" */
    public static String reason(IOException e) {
        if (e instanceof NoSuchFileException) {
            return "no such file";
        }
        if (e instanceof FileAlreadyExistsException) {
            return "exists already";
        }
        if (e instanceof FileSystemException && ((FileSystemException) e).getReason() != null) {
            return ((FileSystemException) e).getReason();
        }
        return e.getMessage();
    }

    /** @return the file's content without the trailing newline */
    public static String read(Path file) {
        try {
            return Files.readString(file, StandardCharsets.UTF_8).strip();
        } catch (IOException e) {
            throw new CgroupException("cannot read " + file + ": " + reason(e), file.toString(), null, e);
        }
    }

    /** @return the file's content, or empty if the file does not exist */
    public static Optional<String> readIfExists(Path file) {
        try { /* no stat first: usage reads are on a container's result path */
            return Optional.of(new String(Files.readAllBytes(file), StandardCharsets.UTF_8).strip());
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException e) {
            throw new CgroupException("cannot read " + file + ": " + reason(e), file.toString(), null, e);
        }
    }

    /** Writes {@code value} to a cgroup file in one {@code write(2)}; the file must exist. */
    public static void write(Path file, String value) {
        try {
            Files.write(file, value.getBytes(StandardCharsets.UTF_8), StandardOpenOption.WRITE);
        } catch (IOException e) {
            throw new CgroupException("cannot write '" + value + "' to " + file + ": " + reason(e),
                    file.toString(), value, e);
        }
    }

    /** @return the {@code key value} lines of a flat keyed file such as {@code memory.events} */
    public static Map<String, Long> readKeyed(Path file) {
        return parseKeyed(read(file));
    }

    /**
     * @return the {@code key value} lines of a flat keyed file's text; non-numbers left out.
     *     Parsed by hand, not with a regular expression: this runs on every limited
     *     container's result path.
     */
    public static Map<String, Long> parseKeyed(String text) {
        Map<String, Long> values = new HashMap<>();
        for (String line : text.split("\n")) {
            String kv = line.strip();
            int space = 0;
            while (space < kv.length() && !Character.isWhitespace(kv.charAt(space))) {
                space++;
            }
            String value = kv.substring(space).strip();
            if (space == 0 || value.isEmpty() || value.chars().anyMatch(Character::isWhitespace)) {
                continue; /* not "key value" */
            }
            try {
                values.put(kv.substring(0, space), Long.parseLong(value));
            } catch (NumberFormatException e) {
                // not a number (e.g. "max"): not a counter
            }
        }
        return values;
    }

    /** @return one key of a flat keyed file, if the file and the key exist */
    public static OptionalLong readKey(Path file, String key) {
        if (!Files.exists(file)) {
            return OptionalLong.empty();
        }
        Long value = readKeyed(file).get(key);
        return value == null ? OptionalLong.empty() : OptionalLong.of(value);
    }

    /** @return a file holding one number, if it exists */
    public static OptionalLong readLong(Path file) {
        return parseLong(file, readIfExists(file));
    }

    /** @return the number in {@code file}'s text, if it exists */
    public static OptionalLong parseLong(Path file, Optional<String> text) {
        if (text.isEmpty()) {
            return OptionalLong.empty();
        }
        try {
            return OptionalLong.of(Long.parseLong(text.get()));
        } catch (NumberFormatException e) {
            throw new CgroupException("not a number in " + file + ": '" + text.get() + "'", file.toString(), null, e);
        }
    }

    /** @return the PIDs in a {@code cgroup.procs} file; empty if the cgroup is gone */
    public static List<Long> readPids(Path procs) {
        List<Long> pids = new ArrayList<>();
        Optional<String> text;
        try {
            text = readIfExists(procs);
        } catch (CgroupException e) {
            if (!Files.exists(procs)) {
                return pids;   // removed while we read
            }
            throw e;
        }
        for (String line : text.orElse("").split("\n")) {
            if (!line.isBlank()) {
                pids.add(Long.parseLong(line.trim()));
            }
        }
        return pids;
    }

    /** @return {@code dir} and every cgroup directory below it, parents before children */
    public static List<Path> tree(Path dir) {
        List<Path> dirs = new ArrayList<>();
        if (!Files.isDirectory(dir)) {
            return dirs;
        }
        dirs.add(dir);
        for (int i = 0; i < dirs.size(); i++) {
            try (DirectoryStream<Path> children = Files.newDirectoryStream(dirs.get(i), Files::isDirectory)) {
                children.forEach(dirs::add);
            } catch (NoSuchFileException e) {
                // removed meanwhile
            } catch (IOException e) {
                throw new CgroupException("cannot list " + dirs.get(i) + ": " + reason(e), dirs.get(i).toString(), null, e);
            }
        }
        return dirs;
    }

    /** @return the PIDs in {@code dir} and below it */
    public static List<Long> pidsBelow(Path dir) {
        List<Long> pids = new ArrayList<>();
        for (Path d : tree(dir)) {
            pids.addAll(readPids(d.resolve("cgroup.procs")));
        }
        return pids;
    }

    /**
     * Creates a cgroup directory.
     *
     * @return true if it was created, false if it existed
     */
    public static boolean mkdir(Path dir) {
        try {
            Files.createDirectory(dir);
            return true;
        } catch (FileAlreadyExistsException e) {
            return false;
        } catch (IOException e) {
            throw new CgroupException("cannot create cgroup " + dir + ": " + reason(e), dir.toString(), null, e);
        }
    }

    /**
     * Removes {@code dir} and the cgroups below it, deepest first. The cgroups must be empty of
     * processes; a directory the kernel still calls busy (a process that has just exited) is
     * retried for a short while.
     */
    public static void removeTree(Path dir) {
        try { /* the common case, a cgroup without children: no walk over its control files */
            Files.deleteIfExists(dir);
            return;
        } catch (IOException e) {
            /* children, or busy: below */
        }
        List<Path> dirs = tree(dir);
        for (int i = dirs.size() - 1; i >= 0; i--) {
            rmdir(dirs.get(i));
        }
    }

    /** Removes one empty cgroup directory, retrying while it is busy; absent is fine. */
    public static void rmdir(Path dir) {
        Waits.Backoff backoff = Waits.backoff(Waits.REMOVE_TIMEOUT);
        while (true) {
            try {
                Files.deleteIfExists(dir);
                return;
            } catch (IOException e) {
                if (!backoff.sleep()) {
                    throw new CgroupException("cannot remove cgroup " + dir + ": " + reason(e)
                            + " (processes left: " + pidsBelow(dir) + ")", dir.toString(), null, e);
                }
            }
        }
    }

    /** Removes one cgroup directory if it is empty of cgroups and processes; true if removed. */
    public static boolean rmdirIfUnused(Path dir) {
        try {
            Files.deleteIfExists(dir);
            return true;
        } catch (IOException e) {
            return false;
        }
    }
}
