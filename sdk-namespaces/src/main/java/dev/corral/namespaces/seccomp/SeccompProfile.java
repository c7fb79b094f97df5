package dev.corral.namespaces.seccomp;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.EnumSet;
import java.util.List;
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
 */
public final class SeccompProfile {

    private static final SeccompProfile UNCONFINED =
            new SeccompProfile(SeccompAction.allow(), List.of(), EnumSet.allOf(SeccompArchitecture.class), true);

    private final SeccompAction defaultAction;
    private final List<SyscallRule> rules;
    private final Set<SeccompArchitecture> architectures;
    private final boolean unconfined;

    private SeccompProfile(SeccompAction defaultAction, List<SyscallRule> rules,
                           Set<SeccompArchitecture> architectures, boolean unconfined) {
        this.defaultAction = defaultAction;
        this.rules = List.copyOf(rules);
        this.architectures = Set.copyOf(architectures);
        this.unconfined = unconfined;
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

    /** @return a builder holding this profile's default action, rules and architectures */
    public Builder toBuilder() {
        if (unconfined) {
            throw new IllegalStateException("the unconfined profile has no rules to build on");
        }
        Builder b = new Builder(defaultAction).rules(rules);
        b.architectures = EnumSet.copyOf(architectures);
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
                : "SeccompProfile[default " + defaultAction + ", " + rules.size() + " rules, " + architectures + "]";
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
         *                                  that one of the profile's architectures lacks
         */
        public SeccompProfile build() {
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
            return new SeccompProfile(defaultAction, rules, architectures, false);
        }
    }
}
