package dev.corral.namespaces.seccomp;

/**
 * Thrown when a profile cannot be compiled into a program the kernel accepts, for example when
 * it needs more than {@link SeccompProgram#MAX_INSTRUCTIONS} instructions.
 *
 * <pre>{@code
 * try {
 *     profile.compile(SeccompArchitecture.X86_64);
 * } catch (SeccompCompileException e) {
 *     // "seccomp program for x86_64 needs 5210 instructions, the kernel accepts at most 4096 ..."
 * }
 * }</pre>
 */
public final class SeccompCompileException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** @param message what cannot be compiled, and why */
    public SeccompCompileException(String message) {
        super(message);
    }
}
