package dev.corral;

import dev.corral.namespaces.launcher.Launcher;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** A JVM started by tests, to see what Corral does when its JVM is killed or unprivileged. */
public final class ChildJvm {
    private ChildJvm() {}

    /**
     * {@code hold}: start a container that sleeps, print "launcher PID container PID", wait forever.
     * {@code hold-tarball STORE ARCHIVE}: start a sleeping container on the archive, print "holding PID", wait.
     * {@code run-and-wait}: run /bin/true without limits, print "ran EXITED", wait forever.
     * {@code try}: run /bin/true and print the outcome's class name and message.
     * {@code warm-up}: Container.warmUp(), run /bin/true at once, print "ran EXITED launcher PID".
     *
     * @param args the mode
     * @throws Exception on failure
     */
    public static void main(String[] args) throws Exception {
        if (args[0].equals("hold-limited")) {
            ContainerProcess p = Container.builder().pids(16).start("/bin/sh", "-c", "sleep 1000");
            System.out.println(Launcher.shared().pid() + " " + p.pid() + " " + ProcessHandle.current().pid());
            System.out.flush();
            Thread.sleep(Long.MAX_VALUE);
        } else if (args[0].equals("hold-bridge")) { /* NAME SUBNET HOSTPORT */
            ContainerProcess p = Container.builder()
                    .network(dev.corral.network.Network.bridge(args[1], dev.corral.network.Subnet.parse(args[2])))
                    .publish(dev.corral.network.PortMapping.tcp(Integer.parseInt(args[3]), 8080))
                    .start("/bin/sh", "-c", "sleep 1000");
            System.out.println("holding " + p.address().orElseThrow().getHostAddress());
            System.out.flush();
            Thread.sleep(Long.MAX_VALUE);
        } else if (args[0].equals("bridge-once")) { /* NAME SUBNET */
            ContainerResult r = Container.builder()
                    .network(dev.corral.network.Network.bridge(args[1], dev.corral.network.Subnet.parse(args[2])))
                    .run("/bin/true");
            System.out.println("ran " + r.termination());
        } else if (args[0].equals("hold-tarball")) {
            ContainerProcess p = Container.builder()
                    .rootfs(Rootfs.tarball(dev.corral.image.ImageStore.open(Path.of(args[1])), Path.of(args[2])))
                    .start("/bin/sleep", "1000");
            System.out.println("holding " + p.pid());
            System.out.flush();
            Thread.sleep(Long.MAX_VALUE);
        } else if (args[0].equals("run-and-wait")) {
            ContainerResult r = Container.builder().run("/bin/true"); /* no limits: no cgroup of its own */
            System.out.println("ran " + r.termination());
            System.out.flush();
            Thread.sleep(Long.MAX_VALUE);
        } else if (args[0].equals("warm-up")) {
            java.util.concurrent.CompletableFuture<Void> warm = Container.warmUp();
            ContainerResult r = Container.builder().run("/bin/true");
            warm.join();
            Container.warmUp().join(); /* once per JVM: the same, finished preparation */
            System.out.println("ran " + r.termination() + " launcher " + Launcher.shared().pid());
        } else if (args[0].equals("hold")) {
            ContainerProcess p = Container.builder().start("/bin/sh", "-c", "sleep 1000 & sleep 1000");
            System.out.println(Launcher.shared().pid() + " " + p.pid());
            System.out.flush();
            Thread.sleep(Long.MAX_VALUE);
        } else {
            try {
                ContainerResult r = Container.builder().run("/bin/true");
                System.out.println("ran " + r.termination());
            } catch (ContainerException e) {
                System.out.println(e.getClass().getSimpleName() + " " + e.getMessage());
            }
        }
    }

    /** This JVM's class path, and the URLs of a loader that loaded the tests (JUnit's console launcher). */
    private static String classPath() {
        List<String> parts = new ArrayList<>(List.of(System.getProperty("java.class.path").split(java.io.File.pathSeparator)));
        for (ClassLoader l = ChildJvm.class.getClassLoader(); l != null; l = l.getParent()) {
            if (l instanceof java.net.URLClassLoader u) {
                for (java.net.URL url : u.getURLs()) {
                    try {
                        parts.add(Path.of(url.toURI()).toString());
                    } catch (java.net.URISyntaxException | IllegalArgumentException e) {
                        /* not a file: not on a class path */
                    }
                }
            }
        }
        return String.join(java.io.File.pathSeparator, parts);
    }

    /**
     * @param prefix a command to run java under (e.g. setpriv ...), may be empty
     * @param mode   the mode
     * @return the started JVM, stdout piped, stderr inherited
     * @throws IOException if it cannot start
     */
    static Process start(List<String> prefix, String mode, String... args) throws IOException {
        List<String> cmd = new ArrayList<>(prefix);
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("-cp");
        cmd.add(classPath());
        cmd.add(ChildJvm.class.getName());
        cmd.add(mode);
        cmd.addAll(List.of(args));
        return new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
    }
}
