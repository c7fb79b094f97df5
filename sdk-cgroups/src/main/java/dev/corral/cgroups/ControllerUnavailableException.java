package dev.corral.cgroups;

import dev.corral.unit.DataSize;

/**
 * A limit was asked for whose controller is not available here: not mounted, not enabled in the
 * parent, or not delegated to this user. Thrown before any cgroup is created, unless the caller
 * allowed that limit to go unenforced ({@link CgroupLimits.Builder#allowUnenforced}).
 *
 * <pre>{@code
 * try {
 *     cgroups.create("job", CgroupLimits.builder().memory(DataSize.ofMebibytes(64)).build());
 * } catch (ControllerUnavailableException e) {
 *     e.controller();   // MEMORY
 *     e.getMessage();   // names the controller and what delegation is missing
 * }
 * }</pre>
 */
public final class ControllerUnavailableException extends CgroupException {

    private static final long serialVersionUID = 1L;

    private final Controller controller;

    /**
     * @param controller the controller that is missing
     * @param message why, and what would make it available
     */
    public ControllerUnavailableException(Controller controller, String message) {
        super(message);
        this.controller = controller;
    }

    /** @return the controller that is missing */
    public Controller controller() {
        return controller;
    }
}
