package dev.corral.group;

import dev.corral.ContainerSpec;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * One named member of a {@link ContainerGroup}: a container spec, the command it runs, the
 * members it starts after, and its restart policy. The group sends both its standard output and
 * error to the member's log, so the spec's stdout and stderr are replaced; its stdin is kept.
 *
 * <pre>{@code
 * GroupMember web = GroupMember.builder("web", Container.builder().rootfs(Rootfs.hostReadOnly()).build())
 *         .command("/bin/sh", "-c", "exec httpd -f -p 8080")
 *         .dependsOn("db")
 *         .restart(RestartPolicy.parse("on-failure:3"))
 *         .build();
 * GroupMember sidecar = GroupMember.builder("proxy", proxySpec).shareNetworkWith("web").build();   // a pod
 * }</pre>
 *
 * @param name      the member's name: 1-64 of a-z, A-Z, 0-9, '_', '.', '-', starting with a letter or digit
 * @param spec      the container; its own command is used when {@code command} is empty
 * @param command   the command and its arguments; empty for the spec's (or an image's) own
 * @param dependsOn the members started before this one, in the same group
 * @param restart   when the group starts it again after it ended
 * @param networkOf the member whose network namespace it joins (a pod: they share addresses,
 *                  ports and {@code localhost}); it depends on that member. When that member is
 *                  restarted, the group restarts this one too, into the new namespace.
 * @param ipcOf     the member whose IPC namespace it joins (shared memory, semaphores, queues),
 *                  likewise
 */
public record GroupMember(String name, ContainerSpec spec, List<String> command, Set<String> dependsOn,
                          RestartPolicy restart, Optional<String> networkOf, Optional<String> ipcOf) {
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,63}");

    /** Checks the name, copies the lists. */
    public GroupMember {
        Objects.requireNonNull(name, "name");
        if (!NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("member name '" + name
                    + "' must be 1-64 of a-z, A-Z, 0-9, '_', '.', '-', starting with a letter or digit");
        }
        Objects.requireNonNull(spec, "spec");
        command = List.copyOf(command);
        Objects.requireNonNull(networkOf, "networkOf");
        Objects.requireNonNull(ipcOf, "ipcOf");
        Set<String> deps = new LinkedHashSet<>(dependsOn);
        networkOf.ifPresent(deps::add);
        ipcOf.ifPresent(deps::add);
        dependsOn = java.util.Collections.unmodifiableSet(deps);
        if (dependsOn.contains(name)) {
            throw new IllegalArgumentException("member '" + name + "' depends on itself");
        }
        Objects.requireNonNull(restart, "restart");
        if (spec.terminal().isPresent()) {
            throw new IllegalArgumentException("member '" + name + "': a group logs its members' output to files; "
                    + "a terminal is not possible");
        }
    }

    /**
     * @param name the member's name
     * @param spec its container
     * @return a builder: no command of its own, no dependency, {@link RestartPolicy#no()}
     */
    public static Builder builder(String name, ContainerSpec spec) {
        return new Builder(name, spec);
    }

    /**
     * Builds a {@link GroupMember}.
     *
     * <pre>{@code
     * GroupMember db = GroupMember.builder("db", spec).command("mysqld").restart(RestartPolicy.always()).build();
     * }</pre>
     */
    public static final class Builder {
        private final String name;
        private final ContainerSpec spec;
        private List<String> command = List.of();
        private final Set<String> dependsOn = new LinkedHashSet<>();
        private RestartPolicy restart = RestartPolicy.no();
        private String networkOf;
        private String ipcOf;

        private Builder(String name, ContainerSpec spec) {
            this.name = name;
            this.spec = spec;
        }

        /** @param command the program and its arguments (default: the spec's own) @return this */
        public Builder command(String... command) {
            return command(Arrays.asList(command));
        }

        /** @param command the program and its arguments (default: the spec's own) @return this */
        public Builder command(List<String> command) {
            this.command = new ArrayList<>(Objects.requireNonNull(command, "command"));
            return this;
        }

        /** @param members members of the same group to start before this one @return this */
        public Builder dependsOn(String... members) {
            dependsOn.addAll(Arrays.asList(members));
            return this;
        }

        /** @param policy when to restart it (default {@link RestartPolicy#no()}) @return this */
        public Builder restart(RestartPolicy policy) {
            this.restart = Objects.requireNonNull(policy, "restart");
            return this;
        }

        /**
         * @param member a member of the same group whose network namespace this one joins (a pod);
         *               this member's spec must leave its network at the default
         * @return this
         */
        public Builder shareNetworkWith(String member) {
            this.networkOf = Objects.requireNonNull(member, "member");
            return this;
        }

        /** @param member a member of the same group whose IPC namespace this one joins @return this */
        public Builder shareIpcWith(String member) {
            this.ipcOf = Objects.requireNonNull(member, "member");
            return this;
        }

        /** @return the member @throws IllegalArgumentException if a value is not valid */
        public GroupMember build() {
            return new GroupMember(name, spec, command, dependsOn, restart, Optional.ofNullable(networkOf),
                    Optional.ofNullable(ipcOf));
        }
    }
}
