package dev.corral.group;

import dev.corral.ContainerResult;
import dev.corral.Termination;
import java.util.Objects;
import java.util.OptionalInt;

/**
 * When a {@link ContainerGroup} starts a member again after it ended, as Compose's
 * {@code restart:} and {@code docker run --restart} do: {@link #no()} (the default),
 * {@link #onFailure(int) on-failure:N}, {@link #onFailure() on-failure} or {@link #always()}.
 * A member the group stops is never restarted. Restarts wait a back-off that doubles after each
 * one (see {@link ContainerGroup.Builder#restartBackoff}).
 *
 * <pre>{@code
 * RestartPolicy.parse("on-failure:3");   // at most 3 restarts, after a non-zero exit or a kill
 * RestartPolicy.always();                // whatever the exit
 * RestartPolicy.parse("no");             // never
 * }</pre>
 *
 * @param mode       when to restart
 * @param maxRetries for {@link Mode#ON_FAILURE}: the most restarts; empty for no limit
 */
public record RestartPolicy(Mode mode, OptionalInt maxRetries) {

    /**
     * When to restart.
     *
     * <pre>{@code
     * RestartPolicy.parse("always").mode();   // ALWAYS
     * }</pre>
     */
    public enum Mode {
        /** Never. */
        NO,
        /** After a failure: an exit code other than 0, or an end by a signal or a limit. */
        ON_FAILURE,
        /** After any end. */
        ALWAYS
    }

    /** @param mode when to restart @param maxRetries the most restarts for ON_FAILURE, positive, or empty */
    public RestartPolicy {
        Objects.requireNonNull(mode, "mode");
        Objects.requireNonNull(maxRetries, "maxRetries");
        if (maxRetries.isPresent() && mode != Mode.ON_FAILURE) {
            throw new IllegalArgumentException("restart: a retry limit goes with on-failure only, not " + mode);
        }
        if (maxRetries.isPresent() && maxRetries.getAsInt() < 0) {
            throw new IllegalArgumentException("restart: on-failure's retry limit must be 0 or more, not "
                    + maxRetries.getAsInt());
        }
    }

    /** @return never restart (the default) */
    public static RestartPolicy no() {
        return new RestartPolicy(Mode.NO, OptionalInt.empty());
    }

    /** @return restart after every end, however it ended */
    public static RestartPolicy always() {
        return new RestartPolicy(Mode.ALWAYS, OptionalInt.empty());
    }

    /** @return restart after each failure, without limit */
    public static RestartPolicy onFailure() {
        return new RestartPolicy(Mode.ON_FAILURE, OptionalInt.empty());
    }

    /** @param maxRetries the most restarts, 0 or more @return restart after a failure, at most that many times */
    public static RestartPolicy onFailure(int maxRetries) {
        return new RestartPolicy(Mode.ON_FAILURE, OptionalInt.of(maxRetries));
    }

    /**
     * Reads Compose's and Docker's notation: {@code no}, {@code always}, {@code on-failure},
     * {@code on-failure:N}, and {@code unless-stopped}, which is {@code always} here: a group
     * has no daemon that could come back after being stopped.
     *
     * @param text the policy
     * @return the policy
     * @throws IllegalArgumentException naming the accepted forms
     */
    public static RestartPolicy parse(String text) {
        Objects.requireNonNull(text, "text");
        String s = text.strip();
        switch (s) {
            case "no": return no();
            case "always":
            case "unless-stopped": return always();
            case "on-failure": return onFailure();
            default: break;
        }
        if (s.startsWith("on-failure:")) {
            String n = s.substring("on-failure:".length());
            if (n.matches("[0-9]{1,9}")) {
                return onFailure(Integer.parseInt(n));
            }
        }
        throw new IllegalArgumentException("restart: '" + text
                + "' is not a restart policy: no, always, unless-stopped, on-failure or on-failure:N (N a count)");
    }

    /**
     * Whether a member that ended with {@code result}, after {@code restartsSoFar} restarts,
     * starts again.
     *
     * @param result        how it ended
     * @param restartsSoFar how many times the group restarted it already
     * @return whether to restart it
     */
    public boolean restarts(ContainerResult result, int restartsSoFar) {
        switch (mode) {
            case ALWAYS: return true;
            case ON_FAILURE: return failed(result) && (maxRetries.isEmpty() || restartsSoFar < maxRetries.getAsInt());
            default: return false;
        }
    }

    /** @param result how a member ended @return whether that counts as a failure: not an exit with code 0 */
    public static boolean failed(ContainerResult result) {
        return result.termination() != Termination.EXITED || result.exitCode().orElse(-1) != 0;
    }

    /** @return the policy in Compose's notation, e.g. {@code on-failure:3} */
    @Override
    public String toString() {
        switch (mode) {
            case ALWAYS: return "always";
            case ON_FAILURE: return maxRetries.isPresent() ? "on-failure:" + maxRetries.getAsInt() : "on-failure";
            default: return "no";
        }
    }
}
