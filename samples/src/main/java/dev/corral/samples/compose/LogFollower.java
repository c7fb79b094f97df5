package dev.corral.samples.compose;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Prints services' log files line by line, each line prefixed by its service's name, as
 * {@code docker compose up} and {@code logs} do; reads what each file gained since the last look
 * (a file that shrank was started again: it is read from its start). Lines of one service keep
 * their order; lines of different services are in the order they are seen.
 *
 * <pre>{@code
 * try (LogFollower f = new LogFollower(Map.of("web", webLog), out)) {
 *     f.poll();   // "web  | started"
 * }
 * }</pre>
 */
public final class LogFollower implements AutoCloseable {
    private final Map<String, Path> logs;
    private final PrintWriter out;
    private final int width;
    private final Map<String, Long> offsets = new LinkedHashMap<>();
    private final Map<String, ByteArrayOutputStream> partial = new LinkedHashMap<>();

    /** @param logs each service's log, in the order to print @param out where the lines go */
    public LogFollower(Map<String, Path> logs, PrintWriter out) {
        this.logs = new LinkedHashMap<>(logs);
        this.out = out;
        this.width = logs.keySet().stream().mapToInt(String::length).max().orElse(0);
        logs.keySet().forEach(k -> {
            offsets.put(k, 0L);
            partial.put(k, new ByteArrayOutputStream());
        });
    }

    /** Prints the complete lines each log gained since the last call. @return whether anything was read */
    public synchronized boolean poll() {
        boolean any = false;
        for (Map.Entry<String, Path> e : logs.entrySet()) {
            any |= read(e.getKey(), e.getValue());
        }
        out.flush();
        return any;
    }

    private boolean read(String service, Path file) {
        long offset = offsets.get(service);
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size < offset) {
                offset = 0;
                partial.get(service).reset();
            }
            if (size == offset) {
                offsets.put(service, offset);
                return false;
            }
            ByteBuffer buf = ByteBuffer.allocate((int) Math.min(size - offset, 1 << 20));
            ch.read(buf, offset);
            offsets.put(service, offset + buf.position());
            ByteArrayOutputStream line = partial.get(service);
            for (int i = 0; i < buf.position(); i++) {
                byte b = buf.get(i);
                if (b == '\n') {
                    emit(service, line);
                } else {
                    line.write(b);
                }
            }
            return true;
        } catch (NoSuchFileException e) {
            return false;
        } catch (IOException e) {
            out.println(prefix(service) + "(cannot read " + file + ": " + e.getMessage() + ")");
            return false;
        }
    }

    private void emit(String service, ByteArrayOutputStream line) {
        out.println(prefix(service) + line.toString(StandardCharsets.UTF_8));
        line.reset();
    }

    private String prefix(String service) {
        return service + " ".repeat(width - service.length()) + "  | ";
    }

    /** Prints what is left, the last lines without their newline too. */
    @Override
    public synchronized void close() {
        poll();
        partial.forEach((service, line) -> {
            if (line.size() > 0) {
                emit(service, line);
            }
        });
        out.flush();
    }
}
