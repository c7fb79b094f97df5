package dev.corral.cgroups;

import java.util.Optional;

/**
 * A cgroup operation failed. When a file was involved, the message and {@link #file()} name it,
 * and {@link #value()} holds what was being written.
 *
 * <pre>{@code
 * try {
 *     cgroups.create("job", limits);
 * } catch (CgroupException e) {
 *     log.error("{} (file {}, value {})", e.getMessage(), e.file().orElse(null), e.value().orElse(null));
 * }
 * }</pre>
 */
public class CgroupException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final String file;
    private final String value;

    /**
     * @param message what failed and, if known, what to do about it
     * @param file the cgroup file or directory involved, or {@code null}
     * @param value the value being written, or {@code null}
     * @param cause the underlying error, or {@code null}
     */
    public CgroupException(String message, String file, String value, Throwable cause) {
        super(message, cause);
        this.file = file;
        this.value = value;
    }

    /** @param message what failed and, if known, what to do about it */
    public CgroupException(String message) {
        this(message, null, null, null);
    }

    /** @return the cgroup file or directory involved, if any */
    public Optional<String> file() {
        return Optional.ofNullable(file);
    }

    /** @return the value that was being written, if any */
    public Optional<String> value() {
        return Optional.ofNullable(value);
    }
}
