package dev.corral.namespaces.launcher;

/**
 * The launcher cannot be started, or died. Its message says why (e.g. the packed launcher
 * does not exist for this architecture, or the kernel refused to execute it).
 *
 * <pre>{@code
 * try { Launcher.shared(); } catch (LauncherUnavailableException e) { log(e.getMessage()); }
 * }</pre>
 */
public class LauncherUnavailableException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** @param message what happened @param cause the underlying failure */
    public LauncherUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
