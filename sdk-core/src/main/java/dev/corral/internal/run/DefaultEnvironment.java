package dev.corral.internal.run;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The variables every container gets unless the spec or the image sets them, as Docker gives
 * them: {@code PATH} (Docker's default search path), {@code HOSTNAME} (the container's
 * hostname) and {@code HOME} (the user's home in the container's {@code /etc/passwd}, else
 * {@code /}).
 */
final class DefaultEnvironment {
    /** Docker's default search path. */
    static final String PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
    /** A passwd file larger than this is not read for HOME. */
    private static final int MAX_PASSWD = 1 << 20;

    private DefaultEnvironment() {}

    /**
     * @param environment the spec's environment, the image's already merged in
     * @param hostname    the container's hostname
     * @param uid         the user the command runs as, inside the container
     * @param roots       the directories whose {@code etc/passwd} the container sees, topmost first
     * @return the whole environment, as {@code NAME=value} strings
     */
    static List<String> of(Map<String, String> environment, String hostname, int uid, List<Path> roots) {
        List<String> env = new ArrayList<>(environment.size() + 3);
        environment.forEach((k, v) -> env.add(k + "=" + v));
        if (!environment.containsKey("PATH")) {
            env.add("PATH=" + PATH);
        }
        if (!environment.containsKey("HOSTNAME")) {
            env.add("HOSTNAME=" + hostname);
        }
        if (!environment.containsKey("HOME")) {
            env.add("HOME=" + home(uid, roots).orElse("/"));
        }
        return env;
    }

    /**
     * The home directory of {@code uid} in the topmost {@code etc/passwd} among {@code roots}.
     * A symbolic link at {@code etc} or {@code etc/passwd} is not followed: a root file system
     * the container may write must not make the host read a file of its choosing.
     */
    static Optional<String> home(int uid, List<Path> roots) {
        String id = Integer.toString(uid);
        for (Path root : roots) {
            Path etc = root.resolve("etc");
            Path passwd = etc.resolve("passwd");
            if (!Files.isDirectory(etc, LinkOption.NOFOLLOW_LINKS)
                    || !Files.isRegularFile(passwd, LinkOption.NOFOLLOW_LINKS)) {
                continue;
            }
            byte[] bytes;
            try (InputStream in = Files.newInputStream(passwd, LinkOption.NOFOLLOW_LINKS)) {
                bytes = in.readNBytes(MAX_PASSWD);
            } catch (IOException e) {
                return Optional.empty();
            }
            for (String line : new String(bytes, StandardCharsets.UTF_8).split("\n")) {
                String[] f = line.split(":", -1);
                if (f.length >= 7 && f[2].equals(id) && f[5].startsWith("/")) {
                    return Optional.of(f[5]);
                }
            }
            return Optional.empty();
        }
        return Optional.empty();
    }
}
