package dev.corral;

import java.time.Duration;
import java.util.Collections;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * How {@link ContainerProcess#exec} runs another command in a running container: what it adds to
 * the container's environment, where it starts, and its own stdio, terminal and timeout. Everything
 * else is the container's: its namespaces (user, mount, PID, IPC, UTS, network, cgroup, time), its
 * cgroup (the command counts in its limits), its user and its security policy (capabilities,
 * {@code no_new_privs}, seccomp filter, rlimits).
 *
 * <pre>{@code
 * try (ContainerProcess c = Container.builder().memory(DataSize.ofMebibytes(256)).start("sleep", "60")) {
 *     ContainerResult ps = c.exec(ExecSpec.builder().env("COLUMNS", "200").workingDirectory("/tmp").build(),
 *             List.of("ps", "-ef")).waitFor();
 *     ps.stdout();   // the sleep, as PID 2 under the container's init
 * }
 * }</pre>
 *
 * @param environment      variables added to (or replacing those of) the container's environment
 * @param workingDirectory where the command starts; empty: the container's working directory
 * @param stdin            the command's standard input (default {@link Input#empty()})
 * @param stdout           where its standard output goes (default {@link Output#capture()})
 * @param stderr           where its standard error goes (default {@link Output#capture()})
 * @param terminal         a pseudo-terminal as its stdio and controlling terminal (as {@code docker exec -t})
 * @param timeout          a wall-clock limit after which the command is killed (the container is not)
 */
public record ExecSpec(SortedMap<String, String> environment, Optional<String> workingDirectory, Input stdin,
                       Output stdout, Output stderr, Optional<Terminal> terminal, Optional<Duration> timeout) {

    /** Checks that every field is given; the values are checked with the container's spec, by {@code exec}. */
    public ExecSpec {
        environment = Collections.unmodifiableSortedMap(new TreeMap<>(Objects.requireNonNull(environment, "environment")));
        Objects.requireNonNull(workingDirectory, "workingDirectory");
        Objects.requireNonNull(stdin, "stdin");
        Objects.requireNonNull(stdout, "stdout");
        Objects.requireNonNull(stderr, "stderr");
        Objects.requireNonNull(terminal, "terminal");
        Objects.requireNonNull(timeout, "timeout");
    }

    /** @return the defaults: nothing added, the container's working directory, no input, output captured */
    public static ExecSpec defaults() {
        return builder().build();
    }

    /** @return a builder holding the defaults */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Builds an {@link ExecSpec}.
     *
     * <pre>{@code
     * ExecSpec s = ExecSpec.builder().stdout(Output.pipe()).timeout(Duration.ofSeconds(5)).build();
     * }</pre>
     */
    public static final class Builder {
        private final Map<String, String> environment = new TreeMap<>();
        private String workingDirectory;
        private Input stdin = Input.empty();
        private Output stdout = Output.capture();
        private Output stderr = Output.capture();
        private Terminal terminal;
        private Duration timeout;

        private Builder() {}

        /** @param name a variable's name @param value its value @return this */
        public Builder env(String name, String value) {
            environment.put(Objects.requireNonNull(name, "name"), Objects.requireNonNull(value, "value"));
            return this;
        }

        /** @param dir an absolute path in the container @return this */
        public Builder workingDirectory(String dir) {
            this.workingDirectory = Objects.requireNonNull(dir, "dir");
            return this;
        }

        /** @param input the command's standard input @return this */
        public Builder stdin(Input input) {
            this.stdin = Objects.requireNonNull(input, "input");
            return this;
        }

        /** @param output where standard output goes @return this */
        public Builder stdout(Output output) {
            this.stdout = Objects.requireNonNull(output, "output");
            return this;
        }

        /** @param output where standard error goes @return this */
        public Builder stderr(Output output) {
            this.stderr = Objects.requireNonNull(output, "output");
            return this;
        }

        /**
         * Gives the command a pseudo-terminal; its output, standard error included, goes to
         * {@code stdout}, so this also sets {@code stderr} to {@link Output#discard()}.
         *
         * @param terminal the terminal's window size
         * @return this
         */
        public Builder terminal(Terminal terminal) {
            this.terminal = Objects.requireNonNull(terminal, "terminal");
            this.stderr = Output.discard();
            return this;
        }

        /** @param timeout wall-clock limit for the command @return this */
        public Builder timeout(Duration timeout) {
            this.timeout = Objects.requireNonNull(timeout, "timeout");
            return this;
        }

        /** @return the exec spec */
        public ExecSpec build() {
            return new ExecSpec(new TreeMap<>(environment), Optional.ofNullable(workingDirectory), stdin, stdout, stderr,
                    Optional.ofNullable(terminal), Optional.ofNullable(timeout));
        }
    }
}
