package consumer;

import dev.corral.CommandNotFoundException;
import dev.corral.Container;
import dev.corral.ContainerResult;
import dev.corral.ContainerSpec;
import dev.corral.ContainerStartException;
import dev.corral.Rootfs;
import dev.corral.Termination;
import dev.corral.namespaces.LaunchStep;
import dev.corral.unit.DataSize;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * Uses Corral as an application would and checks what it gets; exits 1 at the first surprise.
 * Arguments: how it was started (class-path, module-path, shaded-jar) and a directory for the rootfs.
 */
public final class Main {

    public static void main(String[] args) throws IOException {
        String how = args[0];
        Path rootfs = busybox(Path.of(args[1]));

        // How it was loaded: on the module path Corral's classes are in named modules, else not.
        boolean named = Container.class.getModule().isNamed();
        check(named == how.equals("module-path"), "Corral's module is named: " + named);
        if (named) {
            check(Container.class.getModule().getName().equals("dev.corral"), Container.class.getModule().getName());
        }

        // A spec with a root file system, limits and a timeout; the result read back.
        ContainerSpec spec = Container.builder()
                .rootfs(Rootfs.directory(rootfs))
                .hostname("consumer")
                .memory(DataSize.ofMebibytes(64))
                .pids(16)
                .timeout(Duration.ofSeconds(10))
                .build();
        ContainerResult r = spec.run("/bin/sh", "-c", "echo hello from $(hostname); ls /; exit 3");
        check(r.termination() == Termination.EXITED, "termination " + r.termination());
        check(r.exitCode().equals(java.util.OptionalInt.of(3)), "exit code " + r.exitCode());
        check(r.stdout().startsWith("hello from consumer\n"), "stdout " + r.stdout());
        check(List.of(r.stdout().split("\n")).contains("bin"), "the container's / is the rootfs: " + r.stdout());
        check(r.usage().wallTime().compareTo(Duration.ZERO) > 0, "usage " + r.usage());

        // The timeout kills it.
        ContainerResult slow = Container.builder()
                .rootfs(Rootfs.directory(rootfs))
                .timeout(Duration.ofMillis(500))
                .run("/bin/sleep", "30");
        check(slow.termination() == Termination.TIMED_OUT, "termination " + slow.termination());

        // A failed start names its step, in a type module code can name.
        try {
            spec.run("/no/such/command");
            check(false, "a missing command started");
        } catch (ContainerStartException e) {
            check(e instanceof CommandNotFoundException, "exception " + e);
            check(e.errnoName().equals(java.util.Optional.of("ENOENT")), "errno " + e.errnoName());
            LaunchStep step = e.step().orElseThrow();
            System.out.println("consumer " + how + ": a missing command fails at step " + step + ": " + e.getMessage());
        }
        System.out.println("consumer " + how + ": ok (" + r.usage() + ")");
    }

    static void check(boolean ok, String what) {
        if (!ok) {
            System.err.println("consumer: unexpected: " + what);
            System.exit(1);
        }
    }

    /** A minimal root file system: a static busybox (Debian's busybox-static) and a few applets. */
    static Path busybox(Path dir) throws IOException {
        Path busybox = Path.of("/bin/busybox");
        check(Files.isExecutable(busybox), "no static busybox at /bin/busybox (apt-get install busybox-static)");
        if (Files.exists(dir.resolve("bin/busybox"))) {
            return dir;
        }
        Path bin = Files.createDirectories(dir.resolve("bin"));
        for (String mountPoint : List.of("proc", "dev", "tmp")) {
            Files.createDirectories(dir.resolve(mountPoint));
        }
        Files.copy(busybox, bin.resolve("busybox"));
        for (String applet : List.of("sh", "ls", "sleep", "hostname", "echo")) {
            Files.createSymbolicLink(bin.resolve(applet), Path.of("busybox"));
        }
        return dir;
    }
}
