package dev.corral;

/**
 * A container specification value is out of range; thrown by {@code build()}, before anything
 * is started, naming the field and what it accepts.
 *
 * <pre>{@code
 * try {
 *     Container.builder().hostname("no spaces allowed").build();
 * } catch (InvalidSpecException e) {
 *     e.field();       // "hostname"
 *     e.getMessage();  // "hostname: 'no spaces allowed' is not a valid hostname (1-64 of a-z, A-Z, 0-9, '-', '.')"
 * }
 * }</pre>
 */
public class InvalidSpecException extends ContainerException {
    private static final long serialVersionUID = 1L;
    private final String field;

    /** @param field the builder field @param message what it accepts */
    public InvalidSpecException(String field, String message) {
        super(field + ": " + message, null);
        this.field = field;
    }

    /** @return the builder field that holds the bad value */
    public String field() {
        return field;
    }
}
