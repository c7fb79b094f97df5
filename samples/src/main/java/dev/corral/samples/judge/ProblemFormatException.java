package dev.corral.samples.judge;

/**
 * A problem package that does not follow the format, or uses a part this judge does not support.
 *
 * <pre>{@code
 * try { Problem.load(dir); } catch (ProblemFormatException e) { System.err.println(e.getMessage()); }
 * }</pre>
 */
public final class ProblemFormatException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** @param message what is wrong, naming the file */
    public ProblemFormatException(String message) {
        super(message);
    }
}
