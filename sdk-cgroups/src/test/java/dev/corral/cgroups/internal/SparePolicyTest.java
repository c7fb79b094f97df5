package dev.corral.cgroups.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.corral.cgroups.CgroupLimits;
import dev.corral.unit.DataSize;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;

/**
 * The spare cgroups' policy without a kernel: fake leases record what the policy does with
 * them (made, set back, removed), and each test waits for the state the policy must reach on
 * its thread, never for a time.
 */
class SparePolicyTest {
    private static final List<Optional<String>> READ = List.of(Optional.of("0"));

    /** A fake lease: whether it may be set back, and what happened to it. */
    static final class Fake implements SparePolicy.Spare {
        final String name;
        final CgroupLimits limits;
        volatile boolean resettable = true;
        volatile int resets;
        volatile boolean removed;

        Fake(String name, CgroupLimits limits) {
            this.name = name;
            this.limits = limits;
        }

        @Override
        public boolean resetForReuse(int processFloor) {
            resets++;
            return resettable;
        }

        @Override
        public boolean isResetForReuse(List<Optional<String>> countersBeforeReset, int processFloor) {
            return resettable && countersBeforeReset.equals(READ);
        }

        @Override
        public void close() {
            removed = true;
        }

        @Override
        public String toString() {
            return name;
        }
    }

    private final List<Fake> made = Collections.synchronizedList(new ArrayList<>());
    private final SparePolicy<Fake> spares = new SparePolicy<>((name, limits) -> {
        Fake f = new Fake(name, limits);
        made.add(f);
        return f;
    });

    private static CgroupLimits memory(long mib) {
        return CgroupLimits.builder().memory(DataSize.ofMebibytes(mib)).build();
    }

    private static void await(String what, BooleanSupplier condition) throws InterruptedException {
        for (int i = 0; i < 6000; i++) { /* a minute at most: the spares' thread may be slow on a loaded machine */
            if (condition.getAsBoolean()) {
                return;
            }
            Thread.sleep(10);
        }
        fail("never happened: " + what);
    }

    /** @return what was made so far: a stream over {@code made} itself races the spares' thread */
    private List<Fake> snapshot() {
        synchronized (made) {
            return new ArrayList<>(made);
        }
    }

    private long live() {
        synchronized (made) {
            return made.stream().filter(f -> !f.removed).count();
        }
    }

    @Test
    void aFirstLeaseIsMadeAtOnceAndTwoSparesOfItsKindFollow() throws Exception {
        Fake first = spares.lease(memory(64), 2);
        assertTrue(made.contains(first), "made for the caller (the spares' thread may add its own first)");
        await("two spares made", () -> made.size() == 3);
        Fake second = spares.lease(memory(64), 2);
        assertNotSame(first, second);
        assertEquals(3, made.size(), "a spare, not a new cgroup");
        assertEquals(memory(64), second.limits);
    }

    @Test
    void otherLimitsDropTheSparesAndMakeTheirOwn() throws Exception {
        spares.lease(memory(64), 2);
        await("two spares made", () -> made.size() == 3);
        Fake other = spares.lease(memory(128), 2);
        assertEquals(memory(128), other.limits);
        assertFalse(made.subList(1, 3).contains(other), "a spare of other limits never serves");
        await("the old kind's spares removed", () -> snapshot().subList(0, 3).stream().filter(f -> f.removed).count() == 2);
        await("spares of the new kind made", () -> snapshot().stream().filter(f -> f.limits.equals(memory(128))).count() == 3);
    }

    @Test
    void aSpareIsOnlyForTheSameProcessFloor() throws Exception {
        spares.lease(memory(64), 1);
        await("two spares made", () -> made.size() == 3);
        Fake underInit = spares.lease(memory(64), 2);
        assertFalse(made.subList(1, 3).contains(underInit), "a spare made for floor 1 is not one for floor 2");
    }

    @Test
    void anEndedContainersCgroupThatResetsServesTheNextAndNoneIsMade() throws Exception {
        Fake c = spares.lease(memory(64), 2);
        await("two spares made", () -> made.size() == 3);
        Fake s1 = spares.lease(memory(64), 2);
        assertEquals(3, made.size(), "those in use count as coming back: no spare is made in their place");
        spares.giveBack(c, true);
        assertEquals(1, c.resets);
        assertFalse(c.removed, "set back: a spare again");
        spares.giveBack(s1, true);
        assertTrue(s1.removed, "the spares were complete: one more is not kept");
        for (int i = 0; i < 20; i++) {
            Fake next = spares.lease(memory(64), 2);
            assertTrue(spares.keepIfReset(next, READ), "kept on the spot, its counters read and set back");
        }
        assertEquals(3, made.size(), "the same spares served 20 containers");
        assertEquals(2, live());
    }

    @Test
    void aCgroupThatCannotBeResetIsRemovedAfterOneRetry() throws Exception {
        Fake c = spares.lease(memory(64), 2);
        c.resettable = false;
        assertFalse(spares.keepIfReset(c, READ));
        spares.giveBack(c, true);
        await("removed", () -> c.removed);
        assertEquals(2, c.resets, "tried once at once and once more a little later");
    }

    @Test
    void aContainerWithoutItsOwnPidNamespaceNeverLeavesItsCgroupToAnother() throws Exception {
        Fake c = spares.lease(memory(64), 2);
        spares.giveBack(c, false);
        assertTrue(c.removed, "a process of it may live on");
        assertEquals(0, c.resets);
    }

    @Test
    void countersThatDoNotAllowReuseAreNotKeptOnTheSpot() {
        Fake c = spares.lease(memory(64), 2);
        assertFalse(spares.keepIfReset(c, List.of(Optional.of("1"))), "what was read forbids it");
        assertFalse(c.removed, "left to giveBack");
    }

    @Test
    void anIdlePolicyHoldsNoCgroup() throws Exception {
        Fake c = spares.lease(memory(64), 2);
        await("two spares made", () -> made.size() == 3);
        spares.giveBack(c, false);
        await("every spare removed once idle", () -> live() == 0);
    }
}
