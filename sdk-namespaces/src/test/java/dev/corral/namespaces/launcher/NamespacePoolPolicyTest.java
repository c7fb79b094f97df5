package dev.corral.namespaces.launcher;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.corral.namespaces.Namespace;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * The namespace pool's policy, without a kernel: which plans may join a set, how a plan is
 * rewritten to join one, and the bookkeeping of sets asked for, made and refused. (That the
 * sets work from inside a container is sdk-core's NamespacePoolTest.) The "descriptors" here are
 * numbers no process has open, so closing them does nothing.
 */
class NamespacePoolPolicyTest {
    private static final int SHARED = Namespace.NETWORK.cloneFlag() | Namespace.IPC.cloneFlag() | Namespace.UTS.cloneFlag();
    private static final int USER = Namespace.USER.cloneFlag(), PID = Namespace.PID.cloneFlag(), MNT = Namespace.MOUNT.cloneFlag();
    private static final List<Integer> U_SET = List.of(900_001, 900_002, 900_003, 900_004); /* net, ipc, uts, user */

    private final List<ByteBuffer> sent = new ArrayList<>();
    private final NamespacePool pool = new NamespacePool(true, 2, sent::add);

    private static LaunchPlan.Builder plan(int flags) {
        return LaunchPlan.builder().cloneFlags(flags).argv(List.of("/bin/true"));
    }

    private static LaunchPlan userPlan() {
        return plan(SHARED | USER | PID | MNT).uidMap("0 1000000000 65536\n").gidMap("0 1000000000 65536\n")
                .denySetgroups(true).loopback(true).build();
    }

    @Test
    void onlyPlansThatCreateEveryPooledNamespaceHaveAProfile() {
        assertArrayEquals(new byte[] {'n'}, pool.profileOf(plan(SHARED | PID | MNT).build()).orElseThrow());
        assertEquals(Optional.empty(), pool.profileOf(plan(Namespace.NETWORK.cloneFlag() | PID).build()).map(String::new));
        assertEquals(Optional.empty(), pool.profileOf(plan(SHARED | USER | MNT).uidMap("0 1 1\n").gidMap("0 1 1\n").build())
                .map(String::new), "a user namespace without a PID namespace");
        assertEquals(Optional.empty(), pool.profileOf(plan(SHARED | USER | PID).uidMap("0 1 1\n").gidMap("0 1 1\n")
                .uidMapTool("/usr/bin/newuidmap").build()).map(String::new), "maps through newuidmap: not root");
        assertEquals(Optional.empty(), new NamespacePool(false, 2, sent::add).profileOf(userPlan()).map(String::new));
        assertEquals(Optional.empty(), new NamespacePool(true, 0, sent::add).profileOf(userPlan()).map(String::new));
        assertEquals("u1" + "0 1000000000 65536\n\0" + "0 1000000000 65536\n\0",
                new String(pool.profileOf(userPlan()).orElseThrow(), StandardCharsets.UTF_8));
    }

    @Test
    void aPlanJoinsAUserSetUserNamespaceFirstInsteadOfCreatingThem() {
        LaunchPlan.Builder b = plan(SHARED | USER | PID | MNT).uidMap("0 1 1\n").gidMap("0 1 1\n").loopback(true);
        b.descriptor(500); /* a descriptor of the plan's own comes first */
        LaunchPlan joined = NamespacePool.join(b.build(), U_SET);
        assertEquals(PID | MNT, joined.cloneFlags());
        assertEquals(List.of(500, 900_004, 900_003, 900_002, 900_001), joined.descriptors());
        assertEquals(List.of(new LaunchPlan.SetnsOp(1, USER), new LaunchPlan.SetnsOp(2, Namespace.UTS.cloneFlag()),
                new LaunchPlan.SetnsOp(3, Namespace.IPC.cloneFlag()), new LaunchPlan.SetnsOp(4, Namespace.NETWORK.cloneFlag())),
                joined.setns());
        assertEquals(Optional.empty(), joined.uidMap(), "the set's maps are written already");
        assertEquals(Optional.empty(), joined.gidMap());
        assertFalse(joined.loopback(), "the set's loopback is up already");
        LaunchPlan plain = NamespacePool.join(plan(SHARED | PID | MNT).build(), U_SET.subList(0, 3));
        assertEquals(PID | MNT, plain.cloneFlags());
        assertEquals(3, plain.setns().size());
    }

    @Test
    void setsAreAskedForAheadAndEachHandedOutOnce() {
        byte[] n = {'n'};
        assertEquals(Optional.empty(), pool.take(n, true), "none ready yet: an n plan runs without");
        assertEquals(2, sent.size(), "two asked for ahead");
        for (ByteBuffer m : sent) {
            assertEquals(Wire.MSG_MAKE_NAMESPACES, m.order(ByteOrder.LITTLE_ENDIAN).getInt(4));
            assertEquals(0, m.getInt(16), "made by the pool process, not at once");
            assertEquals('n', m.get(20));
        }
        pool.made(request(0), U_SET.subList(0, 3));
        assertEquals(Optional.of(U_SET.subList(0, 3)), pool.take(n, true));
        assertEquals(3, sent.size(), "one more asked for, for the one handed out");
        assertEquals(Optional.empty(), pool.take(n, true), "the second is still on the way");
        assertEquals(3, sent.size(), "and it is not asked for twice");
    }

    @Test
    void aProfileTheLauncherCannotMakeIsReportedOnceAndNotAskedForAgain() {
        byte[] u = pool.profileOf(userPlan()).orElseThrow();
        assertEquals(Optional.empty(), pool.take(u, false), "none ready, and this caller may not wait");
        assertEquals(2, sent.size());
        assertTrue(pool.failed(request(0)), "the first failure is the profile's to report");
        assertFalse(pool.failed(request(1)), "the second is not");
        assertFalse(pool.failed(12345), "nor an answer to nothing asked");
        assertEquals(Optional.empty(), pool.take(u, true));
        assertEquals(2, sent.size(), "a refused profile is not asked for again");
    }

    @Test
    void aNewProfileDropsTheSetsOfTheOldOne() {
        byte[] n = {'n'};
        pool.take(n, true);
        pool.made(request(0), U_SET.subList(0, 3)); /* one n set ready */
        pool.take(pool.profileOf(userPlan()).orElseThrow(), false); /* the switch drops it */
        pool.made(request(1), U_SET.subList(0, 3)); /* the n profile's other answer, late: dropped too */
        assertEquals(4, sent.size(), "two n sets asked for, then two u sets");
        assertEquals(Optional.empty(), pool.take(n, false), "no n set kept across the switches");
        assertEquals(6, sent.size(), "and two n sets asked for again");
    }

    private long request(int message) {
        return sent.get(message).order(ByteOrder.LITTLE_ENDIAN).getLong(8);
    }
}
