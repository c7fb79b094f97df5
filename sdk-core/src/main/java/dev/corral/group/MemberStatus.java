package dev.corral.group;

import dev.corral.ContainerResult;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * What a {@link ContainerGroup}'s member is doing, as {@code docker compose ps} shows it.
 *
 * <pre>{@code
 * MemberStatus s = group.status("web");
 * s.state();        // RUNNING
 * s.pid();          // OptionalLong[4242]: the host PID of its container's first process
 * s.address();      // Optional[/10.88.0.3] on a bridge
 * s.restarts();     // 2
 * s.lastResult();   // how its last run ended, e.g. EXITED with code 1
 * }</pre>
 *
 * @param name       the member's name
 * @param state      what it is doing
 * @param pid        while it runs: the host PID of its container's first process
 * @param startedAt  when its current (or last) run started
 * @param restarts   how many times the group restarted it
 * @param lastResult how its last run ended, once one has
 * @param failure    why it could not be started, if it could not
 * @param address    while it runs on a bridge: its address there ({@link dev.corral.ContainerProcess#address()})
 */
public record MemberStatus(String name, State state, OptionalLong pid, Optional<Instant> startedAt, int restarts,
                           Optional<ContainerResult> lastResult, Optional<String> failure,
                           Optional<java.net.InetAddress> address) {

    /**
     * A member's state.
     *
     * <pre>{@code
     * if (group.status("db").state() == MemberStatus.State.RESTARTING) { ... }
     * }</pre>
     */
    public enum State {
        /** Not started yet: the group is starting what it depends on. */
        CREATED,
        /** Its container runs. */
        RUNNING,
        /** It ended and its restart policy starts it again after a back-off. */
        RESTARTING,
        /** It ended by itself and its restart policy does not start it again. */
        EXITED,
        /** The group stopped it. */
        STOPPED,
        /** Its container could not be started; {@link #failure()} says why. */
        FAILED
    }

    /** Checks that no field is null. */
    public MemberStatus {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(state, "state");
        Objects.requireNonNull(pid, "pid");
        Objects.requireNonNull(startedAt, "startedAt");
        Objects.requireNonNull(lastResult, "lastResult");
        Objects.requireNonNull(failure, "failure");
        Objects.requireNonNull(address, "address");
    }

    /** @return whether the member is ended for good: exited, stopped or failed */
    public boolean ended() {
        return state == State.EXITED || state == State.STOPPED || state == State.FAILED;
    }

    /** @return e.g. {@code exited (1)}, {@code running}, {@code restarting}, {@code killed by signal 9} */
    public String describe() {
        String s = state.name().toLowerCase(java.util.Locale.ROOT);
        if (lastResult.isPresent() && (state == State.EXITED || state == State.STOPPED || state == State.RESTARTING)) {
            ContainerResult r = lastResult.get();
            if (r.exitCode().isPresent()) {
                s += " (" + r.exitCode().getAsInt() + ")";
            } else if (r.signal().isPresent()) {
                s += " (signal " + r.signal().getAsInt() + ")";
            } else {
                s += " (" + r.termination().name().toLowerCase(java.util.Locale.ROOT) + ")";
            }
        }
        return s;
    }

    MemberStatus with(State newState) {
        return new MemberStatus(name, newState, pid, startedAt, restarts, lastResult, failure, address);
    }
}
