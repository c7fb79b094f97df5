package dev.corral.group;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.corral.ContainerResult;
import dev.corral.Termination;
import java.util.OptionalInt;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Example;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;

/** {@link RestartPolicy}: Compose's notation read and written back, and when each policy restarts. */
class RestartPolicyProperties {
    private static final dev.corral.ResourceUsage USAGE = new dev.corral.ResourceUsage(java.time.Duration.ZERO,
            java.time.Duration.ZERO, java.time.Duration.ZERO, dev.corral.unit.DataSize.ofBytes(0),
            dev.corral.ResourceUsage.PeakMemorySource.RUSAGE_MAX_RSS, 0, java.util.OptionalLong.empty(),
            java.util.Optional.empty());

    @Provide
    Arbitrary<RestartPolicy> policies() {
        return Arbitraries.oneOf(Arbitraries.just(RestartPolicy.no()), Arbitraries.just(RestartPolicy.always()),
                Arbitraries.just(RestartPolicy.onFailure()),
                Arbitraries.integers().between(0, 1_000_000).map(RestartPolicy::onFailure));
    }

    @Property
    void whatIsWrittenReadsBackTheSame(@ForAll("policies") RestartPolicy p) {
        assertEquals(p, RestartPolicy.parse(p.toString()));
    }

    @Property
    void onFailureRestartsAFailureExactlyNTimes(@ForAll @IntRange(min = 0, max = 50) int n,
                                                @ForAll @IntRange(min = 1, max = 255) int code) {
        RestartPolicy p = RestartPolicy.onFailure(n);
        ContainerResult failed = exited(code);
        int restarts = 0;
        while (p.restarts(failed, restarts)) {
            restarts++;
        }
        assertEquals(n, restarts);
        assertFalse(p.restarts(exited(0), 0), "a success is not restarted");
        assertTrue(n == 0 || p.restarts(signaled(9), n - 1), "a kill is a failure");
    }

    @Example
    void alwaysRestartsEveryEndAndNoNone() {
        for (ContainerResult r : new ContainerResult[] {exited(0), exited(1), signaled(9)}) {
            assertTrue(RestartPolicy.always().restarts(r, 1000));
            assertFalse(RestartPolicy.no().restarts(r, 0));
            assertEquals(RestartPolicy.failed(r), RestartPolicy.onFailure().restarts(r, 1000));
        }
    }

    @Example
    void composeNotation() {
        assertEquals(RestartPolicy.onFailure(3), RestartPolicy.parse("on-failure:3"));
        assertEquals(RestartPolicy.always(), RestartPolicy.parse("unless-stopped"));
        assertEquals(RestartPolicy.no(), RestartPolicy.parse(" no "));
        for (String bad : new String[] {"", "yes", "on-failure:", "on-failure:-1", "on-failure:x", "always:3", "NO"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> RestartPolicy.parse(bad));
            assertTrue(e.getMessage().contains("on-failure:N"), e.getMessage());
        }
        assertThrows(IllegalArgumentException.class, () -> new RestartPolicy(RestartPolicy.Mode.ALWAYS, OptionalInt.of(2)));
    }

    private static ContainerResult exited(int code) {
        return new ContainerResult(Termination.EXITED, OptionalInt.of(code), OptionalInt.empty(), new byte[0], new byte[0],
                USAGE);
    }

    private static ContainerResult signaled(int signal) {
        return new ContainerResult(Termination.SIGNALED, OptionalInt.empty(), OptionalInt.of(signal), new byte[0],
                new byte[0], USAGE);
    }
}
