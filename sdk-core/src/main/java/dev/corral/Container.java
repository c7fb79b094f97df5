package dev.corral;

/**
 * The entry point: describe a container with a builder, then run a command in it.
 *
 * <pre>{@code
 * ContainerResult r = Container.builder()
 *         .rootfs(Rootfs.hostReadOnly())
 *         .mount(Mount.bind(Path.of("/srv/submission/42"), "/box"))
 *         .workingDirectory("/box")
 *         .timeout(Duration.ofSeconds(2))
 *         .run("./main");
 * }</pre>
 *
 * <p>By default a container has its own PID, mount, UTS, IPC and network namespaces (only a
 * loopback interface, up), sees the host's {@code /usr}, {@code /bin}, {@code /lib*} and
 * {@code /etc} read-only and nothing else of the host, a fresh {@code /proc}, a minimal
 * {@code /dev}, a private {@code /tmp}, an empty environment, and a minimal init as PID 1.
 */
public final class Container {
    private Container() {}

    /** @return a builder with the safe defaults described above */
    public static ContainerSpec.Builder builder() {
        return new ContainerSpec.Builder();
    }

    /**
     * Starts preparing, on a background thread, what this JVM's first run would otherwise
     * prepare on its own thread: the launcher process and the native calls that drive it, and
     * the default security policy's seccomp filter. Optional, and only once per JVM (later calls
     * return the same preparation); a run started meanwhile waits for the part it needs. A
     * failure here is left for the first run to report. Worth it in a short-lived program that
     * has other work to do (parsing its arguments, opening an image store) before its first run:
     * the two overlap. A program that may exit without running anything should wait for the
     * preparation first, so that it does not end halfway through starting the launcher.
     *
     * <pre>{@code
     * CompletableFuture<Void> warm = Container.warmUp();   // returns at once
     * Settings settings = parse(args);                     // meanwhile the launcher starts
     * if (settings.valid()) {
     *     Container.builder().timeout(settings.timeout()).run("/bin/true");
     * }
     * warm.join();                                         // before System.exit
     * }</pre>
     *
     * @return completes, normally, when the preparation has ended, whether or not it succeeded
     */
    public static java.util.concurrent.CompletableFuture<Void> warmUp() {
        return ContainerEngine.warmUp();
    }
}
