package dev.corral.internal.network;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The host's network tools, run as child processes: {@code ip} (iproute2), {@code nft}
 * (nftables), {@code nsenter} (util-linux) and {@code sysctl} (procps). Each command's failure
 * is an exception carrying the command and what it wrote to standard error.
 *
 * <pre>{@code
 * HostTools.run(List.of(HostTools.tool("ip"), "link", "del", "crl0a1b2c3d"));
 * HostTools.run(List.of(HostTools.tool("nft"), "-f", "-"), Optional.of(ruleset));
 * }</pre>
 */
final class HostTools {
    private static final List<String> DIRS = List.of("/usr/sbin", "/sbin", "/usr/bin", "/bin");

    /** A tool failed, or could not be run. */
    static final class ToolException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        ToolException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    private HostTools() {}

    /**
     * @param name a tool's name
     * @return its path
     * @throws ToolException naming the Debian package to install when it is missing
     */
    static String tool(String name) {
        for (String d : DIRS) {
            Path p = Path.of(d, name);
            if (Files.isExecutable(p)) {
                return p.toString();
            }
        }
        String pkg = switch (name) {
            case "ip" -> "iproute2";
            case "nft" -> "nftables";
            case "nsenter" -> "util-linux";
            case "sysctl" -> "procps";
            default -> name;
        };
        throw new ToolException("bridge networks need '" + name + "', which is not in " + DIRS + ": install " + pkg
                + " (apt-get install " + pkg + ")", null);
    }

    /** @param command the command @return its standard output @throws ToolException if it fails */
    static String run(List<String> command) {
        return run(command, Optional.empty());
    }

    /**
     * @param command the command
     * @param input   its standard input, if any
     * @return its standard output
     * @throws ToolException if it cannot run or exits with a status other than 0
     */
    static String run(List<String> command, Optional<String> input) {
        ProcessBuilder pb = new ProcessBuilder(command);
        pb.environment().clear();
        pb.environment().put("PATH", String.join(":", DIRS));
        pb.environment().put("LC_ALL", "C");
        pb.redirectInput(input.isPresent() ? ProcessBuilder.Redirect.PIPE : ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        Process p;
        try {
            p = pb.start();
        } catch (IOException e) {
            throw new ToolException("cannot run " + String.join(" ", command) + ": " + e.getMessage(), e);
        }
        try {
            if (input.isPresent()) {
                try (OutputStream in = p.getOutputStream()) {
                    in.write(input.get().getBytes(StandardCharsets.UTF_8));
                }
            }
            ByteArrayOutputStream err = new ByteArrayOutputStream();
            Thread drain = new Thread(() -> copy(p.getErrorStream(), err), "corral-net-stderr");
            drain.setDaemon(true);
            drain.start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            int status = p.waitFor();
            drain.join();
            if (status != 0) {
                throw new ToolException(String.join(" ", command) + " failed (exit " + status + "): "
                        + err.toString(StandardCharsets.UTF_8).strip()
                        + input.map(i -> "; its input was:\n" + i).orElse(""), null);
            }
            return out;
        } catch (IOException e) {
            p.destroyForcibly();
            throw new ToolException(String.join(" ", command) + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new ToolException(String.join(" ", command) + ": interrupted", e);
        }
    }

    private static void copy(InputStream in, ByteArrayOutputStream out) {
        try {
            in.transferTo(out);
        } catch (IOException e) {
            /* the process is gone */
        }
    }

    /** @param args an {@code ip} command's arguments @return a command line running it */
    static List<String> ip(String... args) {
        List<String> c = new ArrayList<>();
        c.add(tool("ip"));
        c.addAll(List.of(args));
        return c;
    }

    /**
     * @param namespace a path naming a network namespace ({@code /proc/PID/fd/N})
     * @param command   the command to run in it
     * @return a command line running it there
     */
    static List<String> in(String namespace, List<String> command) {
        List<String> c = new ArrayList<>();
        c.add(tool("nsenter"));
        c.add("--net=" + namespace);
        c.add("--");
        c.addAll(command);
        return c;
    }
}
