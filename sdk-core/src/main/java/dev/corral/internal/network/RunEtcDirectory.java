package dev.corral.internal.network;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * One run's own {@code /etc/hosts} and {@code /etc/resolv.conf} on the host, in a directory
 * {@code corral-net-PID-ID} (this JVM's PID, the run's id: a killed JVM's are found by the PID)
 * in {@code /dev/shm} where that is writable, else in {@code java.io.tmpdir}; the files are
 * {@code 0644}, for a container root that is another host user.
 *
 * <pre>{@code
 * RunEtcDirectory dir = RunEtcDirectory.write(id, Map.of("hosts", text));
 * dir.files();    // [FileBind[/dev/shm/corral-net-812-3/hosts, /etc/hosts]]
 * dir.remove();
 * }</pre>
 */
final class RunEtcDirectory {
    /** The prefix of every such directory. */
    static final String PREFIX = "corral-net-";

    private final Path dir;
    private final List<NetworkAttachment.FileBind> files;

    private RunEtcDirectory(Path dir, List<NetworkAttachment.FileBind> files) {
        this.dir = dir;
        this.files = files;
    }

    static Path base() {
        Path shm = Path.of("/dev/shm");
        return Files.isDirectory(shm) && Files.isWritable(shm) ? shm : Path.of(System.getProperty("java.io.tmpdir"));
    }

    /**
     * @param id       the run's id
     * @param contents file name in {@code /etc} ({@code hosts}, {@code resolv.conf}) to its text
     * @return the directory, written
     */
    static RunEtcDirectory write(long id, Map<String, String> contents) {
        Path dir = base().resolve(PREFIX + ProcessHandle.current().pid() + "-" + id);
        try {
            Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x")));
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
            List<NetworkAttachment.FileBind> binds = new ArrayList<>();
            for (Map.Entry<String, String> e : contents.entrySet()) {
                Path f = dir.resolve(e.getKey());
                Files.writeString(f, e.getValue(), StandardCharsets.UTF_8);
                Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-r--r--"));
                binds.add(new NetworkAttachment.FileBind(f, "/etc/" + e.getKey()));
            }
            return new RunEtcDirectory(dir, List.copyOf(binds));
        } catch (IOException e) {
            remove(dir);
            throw new UncheckedIOException("cannot write the container's /etc/hosts or /etc/resolv.conf in " + dir + ": "
                    + e.getMessage(), e);
        }
    }

    List<NetworkAttachment.FileBind> files() {
        return files;
    }

    void remove() {
        remove(dir);
    }

    /** Removes a directory of such files (no subdirectories); quietly if it is gone. */
    static void remove(Path dir) {
        try (var list = Files.list(dir)) {
            for (Path f : (Iterable<Path>) list::iterator) {
                Files.deleteIfExists(f);
            }
            Files.deleteIfExists(dir);
        } catch (java.nio.file.NoSuchFileException e) {
            /* gone already */
        } catch (IOException e) {
            throw new UncheckedIOException("cannot remove " + dir + ": " + e.getMessage(), e);
        }
    }

    /**
     * Removes the directories of JVMs that are no longer running.
     *
     * @return how many were removed
     */
    static int sweepStale() {
        int removed = 0;
        try (var list = Files.newDirectoryStream(base(), PREFIX + "*")) {
            for (Path d : list) {
                String rest = d.getFileName().toString().substring(PREFIX.length());
                int dash = rest.indexOf('-');
                long pid;
                try {
                    pid = Long.parseLong(dash < 0 ? rest : rest.substring(0, dash));
                } catch (NumberFormatException e) {
                    continue;
                }
                if (pid != ProcessHandle.current().pid() && ProcessHandle.of(pid).isEmpty()) {
                    try {
                        remove(d);
                        removed++;
                    } catch (UncheckedIOException e) {
                        /* someone else's, or busy: the next sweep */
                    }
                }
            }
        } catch (IOException e) {
            /* no base directory to look in */
        }
        return removed;
    }
}
