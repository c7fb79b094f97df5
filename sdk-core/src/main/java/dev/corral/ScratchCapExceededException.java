package dev.corral;

import java.util.Optional;
import java.util.OptionalInt;

/**
 * A file to copy into a {@link ScratchDirectory}, or all of them together, is over its cap: the
 * container was not started.
 *
 * <pre>{@code
 * try {
 *     spec.run("/box/main");
 * } catch (ScratchCapExceededException e) {
 *     e.getMessage();   // "copy main.c into the scratch directory: 2000000 bytes; at most 1048576 per file"
 * }
 * }</pre>
 */
public class ScratchCapExceededException extends ContainerStartException {
    private static final long serialVersionUID = 1L;

    /**
     * @param what which file
     * @param hint its size and the cap
     */
    public ScratchCapExceededException(String what, String hint) {
        super(what, Optional.empty(), OptionalInt.empty(), Optional.empty(), hint, null);
    }
}
