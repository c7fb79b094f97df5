package dev.corral.namespaces.seccomp;

import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * One rule of a {@link SeccompProfile}: for the named system call, when every condition holds
 * (an empty list always holds), take the action. How rules combine is described once, in the
 * {@linkplain dev.corral.namespaces.seccomp package documentation}.
 *
 * <pre>{@code
 * SyscallRule.of("personality", SeccompAction.allow(), ArgCondition.eq(0, 0));
 * SyscallRule.of("arch_prctl", SeccompAction.allow()).onlyOn(SeccompArchitecture.X86_64);
 * SyscallRule.of("open", SeccompAction.allow()).asOptional();   // aarch64 has no open(2)
 * }</pre>
 *
 * @param syscall       the system call name, as in the kernel's tables ({@code "openat"})
 * @param action        what to do when every condition holds
 * @param conditions    argument conditions, all of which must hold (AND)
 * @param optional      whether an architecture that lacks this system call just skips the rule;
 *                      when false, such an architecture is an error in
 *                      {@link SeccompProfile.Builder#build()}
 * @param architectures the architectures the rule applies to; empty means all
 */
public record SyscallRule(String syscall, SeccompAction action, List<ArgCondition> conditions,
                          boolean optional, Set<SeccompArchitecture> architectures) {

    /**
     * Validates and copies the rule.
     *
     * @throws IllegalArgumentException when the name is empty or a part is null
     */
    public SyscallRule {
        if (syscall == null || syscall.isBlank()) {
            throw new IllegalArgumentException("system call name must not be empty");
        }
        if (action == null) {
            throw new IllegalArgumentException("action of the rule for " + syscall + " must not be null");
        }
        if (conditions == null) {
            throw new IllegalArgumentException("conditions of the rule for " + syscall + " must not be null");
        }
        for (ArgCondition c : conditions) { /* a loop, not a stream: a profile makes hundreds of rules */
            if (c == null) {
                throw new IllegalArgumentException("conditions of the rule for " + syscall + " must not be null");
            }
        }
        conditions = List.copyOf(conditions);
        architectures = architectures == null || architectures.isEmpty()
                ? Set.of() : Set.copyOf(EnumSet.copyOf(architectures));
    }

    /**
     * @param syscall    the system call name
     * @param action     the action
     * @param conditions argument conditions, ANDed
     * @return a rule for every architecture, not optional
     */
    public static SyscallRule of(String syscall, SeccompAction action, ArgCondition... conditions) {
        return new SyscallRule(syscall, action, Arrays.asList(conditions), false, Set.of());
    }

    /** @return this rule, skipped on architectures that lack the system call */
    public SyscallRule asOptional() {
        return new SyscallRule(syscall, action, conditions, true, architectures);
    }

    /**
     * @param first  an architecture the rule applies to
     * @param others more such architectures
     * @return this rule, applied on the given architectures only
     */
    public SyscallRule onlyOn(SeccompArchitecture first, SeccompArchitecture... others) {
        return new SyscallRule(syscall, action, conditions, optional, EnumSet.of(first, others));
    }

    /**
     * @param arch an architecture
     * @return whether this rule applies to {@code arch}
     */
    public boolean appliesTo(SeccompArchitecture arch) {
        return architectures.isEmpty() || architectures.contains(arch);
    }

    @Override
    public String toString() {
        return syscall + (conditions.isEmpty() ? "" : " if " + conditions) + " -> " + action
                + (optional ? " (optional)" : "") + (architectures.isEmpty() ? "" : " on " + architectures);
    }

    /*
     * equals and hashCode written out, with the same meaning as a record's own: those are
     * linked through invokedynamic on first use, which costs a short-lived JVM (the CLI) more
     * than compiling a whole profile; the compiler hashes rule lists to share their code.
     */
    @Override
    public boolean equals(Object o) {
        return o instanceof SyscallRule r && optional == r.optional && syscall.equals(r.syscall) && action.equals(r.action)
                && conditions.equals(r.conditions) && architectures.equals(r.architectures);
    }

    @Override
    public int hashCode() {
        return (((31 * syscall.hashCode() + action.hashCode()) * 31 + conditions.hashCode()) * 31
                + architectures.hashCode()) * 31 + Boolean.hashCode(optional);
    }
}
