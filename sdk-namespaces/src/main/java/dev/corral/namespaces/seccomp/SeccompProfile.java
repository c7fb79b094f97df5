package dev.corral.namespaces.seccomp;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.EnumSet;
import java.util.List;
import java.util.OptionalInt;
import java.util.Set;

/**
 * An immutable seccomp profile: a default action, rules per system call, and the architectures
 * it is meant for. {@link #compile(SeccompArchitecture)} turns it into the BPF program the
 * launcher installs as the last step before {@code execve}. How rules combine is described in
 * the {@linkplain dev.corral.namespaces.seccomp package documentation}.
 *
 * <pre>{@code
 * SeccompProfile profile = SeccompProfile.builder(SeccompAction.errno(1))   // EPERM
 *         .allow("read", "write", "exit", "exit_group", "brk", "mmap")
 *         .rule("personality", SeccompAction.allow(), ArgCondition.eq(0, 0))
 *         .rule(SyscallRule.of("open", SeccompAction.allow()).asOptional())
 *         .build();
 * SeccompProgram program = profile.compile(SeccompArchitecture.X86_64);
 * }</pre>
 *
 * <p>A profile that forbids every exec but one says so with
 * {@link Builder#execThroughDescriptor(int)}: the container's command is then executed through
 * that descriptor (see {@link #execDescriptor()}).
 */
public final class SeccompProfile {

    private static final SeccompProfile UNCONFINED =
            new SeccompProfile(SeccompAction.allow(), List.of(), EnumSet.allOf(SeccompArchitecture.class), true,
                    OptionalInt.empty());
    /** The lowest descriptor {@link Builder#execThroughDescriptor} accepts: 0 to 2 are stdio. */
    private static final int MIN_EXEC_FD = 3;
    /** The highest: {@code RLIMIT_NOFILE} is capped at it, so it must leave room for a program's files. */
    private static final int MAX_EXEC_FD = 65535;

    private final SeccompAction defaultAction;
    private final List<SyscallRule> rules;
    private final Set<SeccompArchitecture> architectures;
    private final boolean unconfined;
    private final OptionalInt execDescriptor;

    private SeccompProfile(SeccompAction defaultAction, List<SyscallRule> rules,
                           Set<SeccompArchitecture> architectures, boolean unconfined, OptionalInt execDescriptor) {
        this.defaultAction = defaultAction;
        this.rules = List.copyOf(rules);
        this.architectures = Set.copyOf(architectures);
        this.unconfined = unconfined;
        this.execDescriptor = execDescriptor;
    }

    /**
     * @param defaultAction what happens to a system call that no rule decides, usually
     *                      {@code errno(1)} (EPERM), {@code errno(38)} (ENOSYS) or {@code killProcess()}
     * @return a builder for every supported architecture, with no rules
     */
    public static Builder builder(SeccompAction defaultAction) {
        return new Builder(defaultAction);
    }

    /**
     * @return the profile that installs no filter at all: its {@linkplain #compile compiled
     *         program} is empty
     */
    public static SeccompProfile unconfined() {
        return UNCONFINED;
    }

    /** @return the action for system calls no rule decides */
    public SeccompAction defaultAction() {
        return defaultAction;
    }

    /** @return the rules, in the order they are tried */
    public List<SyscallRule> rules() {
        return rules;
    }

    /** @return the architectures this profile was validated for and can be compiled for */
    public Set<SeccompArchitecture> architectures() {
        return architectures;
    }

    /** @return whether this is the {@linkplain #unconfined() unconfined} profile: no filter */
    public boolean isUnconfined() {
        return unconfined;
    }

    /**
     * The descriptor the container's command must be executed through, if this profile allows
     * only that one exec. The launcher then opens the program as this descriptor
     * ({@code O_PATH | O_CLOEXEC}), installs the filter, and calls
     * {@code execveat(fd, "", argv, envp, AT_EMPTY_PATH)}; and the container's
     * {@code RLIMIT_NOFILE} (soft and hard) is capped at this number, so that once the exec has
     * closed the descriptor the command can never hold one with this number again, and no second
     * exec passes the filter. Empty for profiles that exec as usual ({@code execve}).
     *
     * <pre>{@code
     * SeccompProfiles.strictJudge().execDescriptor();   // OptionalInt[1023]
     * SeccompProfiles.defaultProfile().execDescriptor(); // OptionalInt.empty
     * }</pre>
     *
     * @return the descriptor number, if the command is executed through one
     */
    public OptionalInt execDescriptor() {
        return execDescriptor;
    }

    /** @return a builder holding this profile's default action, rules, architectures and exec descriptor */
    public Builder toBuilder() {
        if (unconfined) {
            throw new IllegalStateException("the unconfined profile has no rules to build on");
        }
        Builder b = new Builder(defaultAction).rules(rules);
        b.architectures = EnumSet.copyOf(architectures);
        b.execDescriptor = execDescriptor;
        return b;
    }

    /**
     * Compiles this profile into a classic BPF program for one architecture: it checks the
     * architecture ({@code seccomp_data.arch}) and kills the process on any other, on x86_64 kills
     * the process for x32 system calls, then decides by the rules and the default action.
     *
     * @param arch the architecture the program will run on
     * @return the program; empty for the unconfined profile
     * @throws IllegalArgumentException  when the profile was not built for {@code arch}
     * @throws SeccompCompileException   when the program would exceed the kernel's limits
     */
    public SeccompProgram compile(SeccompArchitecture arch) {
        if (!architectures.contains(arch)) {
            throw new IllegalArgumentException("seccomp profile was built for " + architectures
                    + ", not for " + arch.canonicalName());
        }
        return BpfCompiler.compile(this, arch, BpfCompiler.Dispatch.BINARY);
    }

    @Override
    public String toString() {
        return unconfined ? "SeccompProfile[unconfined]"
                : "SeccompProfile[default " + defaultAction + ", " + rules.size() + " rules, " + architectures
                        + (execDescriptor.isPresent() ? ", exec through fd " + execDescriptor.getAsInt() : "") + "]";
    }

    /**
     * Builds a {@link SeccompProfile}; {@link #build()} validates it for every architecture it
     * is meant for.
     *
     * <pre>{@code
     * SeccompProfile p = SeccompProfile.builder(SeccompAction.killProcess())
     *         .architectures(SeccompArchitecture.X86_64)
     *         .allow("read", "write", "exit_group")
     *         .rule("write", SeccompAction.errno(9), ArgCondition.gt(0, 2))   // never reached: allow wins
     *         .build();
     * }</pre>
     */
    public static final class Builder {
        private SeccompAction defaultAction;
        private final List<SyscallRule> rules = new ArrayList<>();
        private EnumSet<SeccompArchitecture> architectures = EnumSet.allOf(SeccompArchitecture.class);
        private OptionalInt execDescriptor = OptionalInt.empty();

        private Builder(SeccompAction defaultAction) {
            defaultAction(defaultAction);
        }

        /**
         * @param action the action for system calls no rule decides
         * @return this builder
         */
        public Builder defaultAction(SeccompAction action) {
            if (action == null) {
                throw new IllegalArgumentException("default action must not be null");
            }
            this.defaultAction = action;
            return this;
        }

        /**
         * Restricts the profile to some architectures (default: all supported ones). Names are
         * validated for these only, and only these can be compiled for.
         *
         * @param first  an architecture
         * @param others more architectures
         * @return this builder
         */
        public Builder architectures(SeccompArchitecture first, SeccompArchitecture... others) {
            this.architectures = EnumSet.of(first, others);
            return this;
        }

        /**
         * States that the container's command must be executed through a descriptor, as
         * {@code execveat(fd, "", argv, envp, AT_EMPTY_PATH)}: for a profile that allows no
         * {@code execve} and only that {@code execveat}, so that the one exec the launcher makes
         * passes and no later one can. The container's {@code RLIMIT_NOFILE} is then capped at
         * {@code fd} (see {@link SeccompProfile#execDescriptor()}). The profile must have a rule
         * that allows {@code execveat}.
         *
         * @param fd the descriptor number, 3 to 65535; {@link SeccompProfiles#JUDGE_EXEC_FD} is the usual one
         * @return this builder
         */
        public Builder execThroughDescriptor(int fd) {
            if (fd < MIN_EXEC_FD || fd > MAX_EXEC_FD) {
                throw new IllegalArgumentException("exec descriptor " + fd + " must be " + MIN_EXEC_FD + " to "
                        + MAX_EXEC_FD + ": 0 to 2 are stdio, and the file limit is capped at it");
            }
            this.execDescriptor = OptionalInt.of(fd);
            return this;
        }

        /**
         * Adds one unconditional allow rule per name.
         *
         * @param syscalls system call names that every architecture of the profile has
         * @return this builder
         */
        public Builder allow(String... syscalls) {
            for (String s : syscalls) {
                rules.add(SyscallRule.of(s, SeccompAction.allow()));
            }
            return this;
        }

        /**
         * Adds one unconditional allow rule per name, skipped on architectures that lack it.
         *
         * @param syscalls system call names, e.g. {@code "open"}, which aarch64 lacks
         * @return this builder
         */
        public Builder allowIfPresent(String... syscalls) {
            for (String s : syscalls) {
                rules.add(SyscallRule.of(s, SeccompAction.allow()).asOptional());
            }
            return this;
        }

        /**
         * Adds a rule.
         *
         * @param syscall    a system call name that every architecture of the profile has
         * @param action     what to do when all conditions hold
         * @param conditions argument conditions, ANDed
         * @return this builder
         */
        public Builder rule(String syscall, SeccompAction action, ArgCondition... conditions) {
            rules.add(SyscallRule.of(syscall, action, conditions));
            return this;
        }

        /**
         * Adds a rule that is skipped on architectures that lack the system call.
         *
         * @param syscall    a system call name
         * @param action     what to do when all conditions hold
         * @param conditions argument conditions, ANDed
         * @return this builder
         */
        public Builder optionalRule(String syscall, SeccompAction action, ArgCondition... conditions) {
            rules.add(SyscallRule.of(syscall, action, conditions).asOptional());
            return this;
        }

        /**
         * @param rule a rule, added after the existing ones
         * @return this builder
         */
        public Builder rule(SyscallRule rule) {
            if (rule == null) {
                throw new IllegalArgumentException("rule must not be null");
            }
            rules.add(rule);
            return this;
        }

        /**
         * @param more rules, added in order after the existing ones
         * @return this builder
         */
        public Builder rules(Collection<SyscallRule> more) {
            more.forEach(this::rule);
            return this;
        }

        /**
         * @param more rules, added in order after the existing ones
         * @return this builder
         */
        public Builder rules(SyscallRule... more) {
            return rules(Arrays.asList(more));
        }

        /**
         * Validates and builds the profile.
         *
         * @return the profile
         * @throws IllegalArgumentException when a rule that is not optional names a system call
         *                                  that one of the profile's architectures lacks, or the
         *                                  profile executes through a descriptor but no rule
         *                                  allows {@code execveat}
         */
        public SeccompProfile build() {
            if (execDescriptor.isPresent() && rules.stream().noneMatch(r -> r.syscall().equals("execveat")
                    && r.action().kind() == SeccompAction.Kind.ALLOW)) {
                throw new IllegalArgumentException("the profile executes through descriptor "
                        + execDescriptor.getAsInt() + " but no rule allows execveat: add "
                        + "rule(\"execveat\", SeccompAction.allow(), ArgCondition.eq(0, fd), ...)");
            }
            for (SyscallRule r : rules) {
                if (r.optional()) {
                    continue;
                }
                for (SeccompArchitecture arch : architectures) {
                    if (r.appliesTo(arch) && arch.syscallNumber(r.syscall()).isEmpty()) {
                        throw new IllegalArgumentException("unknown system call '" + r.syscall() + "' on "
                                + arch.canonicalName() + " in rule " + r
                                + " (mark the rule optional if some architectures lack it)");
                    }
                }
            }
            return new SeccompProfile(defaultAction, rules, architectures, false, execDescriptor);
        }
    }
}
