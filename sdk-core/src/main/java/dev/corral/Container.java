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
}
