/**
 * seccomp profiles, compiled to classic BPF in Java (no libseccomp), and reading OCI/Docker
 * JSON profiles.
 *
 * <h2>How a profile decides</h2>
 * <ol>
 *   <li>A system call from another architecture than the program's ({@code seccomp_data.arch}),
 *       and on x86_64 an x32 system call ({@code nr >= 0x40000000}, except -1), kills the
 *       process.</li>
 *   <li>The rules that name the call (and apply to the architecture) are tried in the order
 *       they were added. A rule matches when all its argument conditions hold (AND; a rule
 *       without conditions always matches). The first matching rule decides: to allow a call
 *       for several argument values (OR), add one rule per value.</li>
 *   <li>When no rule matches, the profile's default action decides.</li>
 * </ol>
 * Argument values are compared as unsigned 64-bit numbers, checked with 32-bit BPF loads of
 * the high and low halves.
 *
 * <pre>{@code
 * SeccompProfile p = SeccompProfile.builder(SeccompAction.errno(1))
 *         .rule("personality", SeccompAction.allow(), ArgCondition.eq(0, 0))
 *         .rule("personality", SeccompAction.allow(), ArgCondition.eq(0, 0xffffffffL))
 *         .allow("read", "write", "exit_group")
 *         .build();
 * byte[] filter = p.compile(SeccompArchitecture.X86_64).toByteArray();
 * }</pre>
 */
package dev.corral.namespaces.seccomp;
