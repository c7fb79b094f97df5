package dev.corral.internal.run;

import dev.corral.namespaces.HostSecurity;
import dev.corral.namespaces.Namespace;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.Supplier;

/**
 * The namespaces of a running container's init that an exec joins: each of its
 * {@code /proc/PID/ns/*} that is not this process's own, opened as a descriptor, in the order
 * the exec's first process can join them. Unprivileged, the user namespace first: joining it
 * gives the capabilities that the container's other namespaces, which it owns, ask for. As host
 * root, the user namespace last: root may join every namespace from the host's, and some (a
 * bridge's network namespace) belong to the host's user namespace, which a process inside the
 * container's could no longer join. (runc's nsexec settles the same question.) The time
 * namespace is the init's {@code time_for_children}: the init itself stays in the host's.
 *
 * <pre>{@code
 * try (ExecNamespaces ns = ExecNamespaces.open(initPid, () -> new IllegalStateException("ended"))) {
 *     plan = PlanFactory.execPlan(spec, command, lease, roots, ns.joinOrder());   // sent, then closed here
 * }
 * }</pre>
 */
final class ExecNamespaces implements AutoCloseable {
    private static final List<Namespace> KINDS = List.of(Namespace.USER, Namespace.MOUNT, Namespace.PID, Namespace.IPC,
            Namespace.UTS, Namespace.NETWORK, Namespace.CGROUP, Namespace.TIME);

    private static final int O_RDONLY = 0, O_CLOEXEC = 0x80000;

    /** open(2) and close(2): java.nio gives no descriptor number to send with a plan. */
    public interface LibC {
        int open(@jnr.ffi.annotations.In byte[] path, int flags, int mode);

        int close(int fd);
    }

    private static final class Holder { /* loaded on the first exec */
        static final LibC LIBC = jnr.ffi.LibraryLoader.create(LibC.class).load("c");
    }

    private final List<int[]> order;

    private ExecNamespaces(List<int[]> order) {
        this.order = order;
    }

    /**
     * @param pid   the host PID of the container's init
     * @param ended the exception to throw when its namespaces are gone (the container ended)
     * @return the namespaces to join, opened
     */
    static ExecNamespaces open(long pid, Supplier<? extends RuntimeException> ended) {
        boolean hostRoot;
        HostSecurity host = HostSecurity.probe();
        hostRoot = host.uid() == 0 && host.privileged() && !host.nested();
        long source = readableSource(pid, ended);
        List<int[]> opened = new ArrayList<>();
        int[] user = null;
        try {
            for (Namespace n : KINDS) {
                String name = n == Namespace.TIME ? "time_for_children" : n.procName();
                Path theirs = Path.of("/proc", Long.toString(source), "ns", name);
                Object key;
                try {
                    key = Files.readAttributes(theirs, BasicFileAttributes.class).fileKey();
                } catch (IOException e) {
                    if (Files.exists(Path.of("/proc/self/ns", name))) {
                        throw ended.get(); /* the init is gone */
                    }
                    continue; /* a kernel without this kind of namespace */
                }
                Object ours = Files.readAttributes(Path.of("/proc/self/ns", name), BasicFileAttributes.class).fileKey();
                if (Objects.equals(key, ours)) {
                    continue; /* shared with the host: nothing to join */
                }
                int fd = Holder.LIBC.open((theirs + "\0").getBytes(java.nio.charset.StandardCharsets.UTF_8),
                        O_RDONLY | O_CLOEXEC, 0);
                if (fd < 0) {
                    throw ended.get();
                }
                int[] op = {fd, n.cloneFlag()};
                if (n == Namespace.USER) {
                    user = op;
                } else {
                    opened.add(op);
                }
            }
        } catch (IOException | RuntimeException e) {
            opened.forEach(op -> Holder.LIBC.close(op[0]));
            if (user != null) {
                Holder.LIBC.close(user[0]);
            }
            if (e instanceof RuntimeException r) {
                throw r;
            }
            throw new IllegalStateException("exec: cannot read the namespaces of PID " + pid + ": " + e.getMessage(), e);
        }
        if (user != null) {
            opened.add(hostRoot ? opened.size() : 0, user);
        }
        return new ExecNamespaces(List.copyOf(opened));
    }

    /**
     * The process whose namespaces to open: the init itself, or, where this process may not read
     * them (an init is not dumpable, and its memory belongs to the host's user namespace, which
     * an unprivileged user has no CAP_SYS_PTRACE in), a child of it: the command, dumpable again
     * since its exec, in the same namespaces (a time namespace's too, as time_for_children).
     */
    private static long readableSource(long pid, Supplier<? extends RuntimeException> ended) {
        try {
            Files.readAttributes(Path.of("/proc", Long.toString(pid), "ns", "mnt"), BasicFileAttributes.class);
            return pid;
        } catch (java.nio.file.AccessDeniedException e) {
            /* below */
        } catch (IOException e) {
            throw ended.get();
        }
        try (java.util.stream.Stream<Path> procs = Files.list(Path.of("/proc"))) {
            String parent = "PPid:\t" + pid;
            return procs.filter(p -> p.getFileName().toString().chars().allMatch(Character::isDigit))
                    .filter(p -> {
                        try {
                            return Files.readAllLines(p.resolve("status")).stream().anyMatch(parent::equals)
                                    && Files.exists(p.resolve("ns/mnt"));
                        } catch (IOException | java.io.UncheckedIOException gone) {
                            return false;
                        }
                    })
                    .map(p -> Long.parseLong(p.getFileName().toString()))
                    .findFirst()
                    .orElseThrow(() -> new IllegalStateException("exec: this user may not open the namespaces of the "
                            + "container's init (PID " + pid + ", not dumpable), and it has no child whose it may"));
        } catch (IOException e) {
            throw new IllegalStateException("exec: cannot list /proc: " + e.getMessage(), e);
        }
    }

    /** @param path a namespace file @return its descriptor (close-on-exec), or -1 */
    static int openFile(Path path) {
        return Holder.LIBC.open((path + "\0").getBytes(java.nio.charset.StandardCharsets.UTF_8), O_RDONLY | O_CLOEXEC, 0);
    }

    /** @param fd a descriptor from {@link #openFile} */
    static void closeFile(int fd) {
        Holder.LIBC.close(fd);
    }

    /**
     * @param pid the host PID of a running container's init
     * @param ended the exception to throw when it is gone
     * @return the process whose {@code /proc/PID/ns} this process may open: the init or a child of it
     */
    static long namespaceSource(long pid, Supplier<? extends RuntimeException> ended) {
        return readableSource(pid, ended);
    }

    /** @return each namespace's descriptor and {@code CLONE_NEW*} type, in the order to join them */
    List<int[]> joinOrder() {
        return order;
    }

    /** Closes this process's descriptors (the plan, once sent, carries the launcher's own). */
    @Override
    public void close() {
        order.forEach(op -> Holder.LIBC.close(op[0]));
    }
}
