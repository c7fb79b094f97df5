package dev.corral.namespaces.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.corral.namespaces.launcher.LaunchPlan.MountOp;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The length of the options the kernel gets for a mount, which the image store asks before it
 * gives an image's layers to one overlay, checked against option strings written out in full
 * as OverlayTrees builds them.
 */
class MountOptionsLengthTest {
    private static final String LAYERS = "/var/lib/corral/store/layers/sha256-";
    private static final String RUN = "/var/lib/corral/store/runs/0123456789abcdef";

    @Test
    void longHostPathsAreCountedBelowOldroot() {
        String l1 = LAYERS + "a".repeat(64), l2 = LAYERS + "b".repeat(64);
        MountOp op = MountOp.overlay(List.of(l1, l2), RUN + "/upper", RUN + "/work", "/", 0);
        op = new MountOp(op.kind(), op.flags(), 0, 0, 0, op.source(), op.target(), op.data() + ",redirect_dir=off");
        String written = "lowerdir=/oldroot" + l1 + ":/oldroot" + l2 + ",redirect_dir=off"
                + ",upperdir=/oldroot" + RUN + "/upper,workdir=/oldroot" + RUN + "/work";
        assertEquals(written.length(), op.launcherOptionsLength());
    }

    @Test
    void shortHostPathsAreCountedBelowOldrootTooAsAStagingPathIsShorter() {
        MountOp op = MountOp.overlay(List.of("/l"), "/r/upper", "/r/work", "/", 0);
        String written = "lowerdir=/oldroot/l,upperdir=/oldroot/r/upper,workdir=/oldroot/r/work";
        assertTrue(written.length() > "lowerdir=/ovl-63,upperdir=/ovl-63/upper,workdir=/ovl-63/work".length());
        assertEquals(written.length(), op.launcherOptionsLength());
    }

    @Test
    void aReadOnlyOverlayHasOnlyItsLowers() {
        String l = LAYERS + "c".repeat(64);
        MountOp op = MountOp.overlay(List.of(l), "", "", "/", 0);
        /* one byte over: the ',' the first data option would have taken */
        assertEquals(("lowerdir=/oldroot" + l).length() + 1, op.launcherOptionsLength());
    }

    @Test
    void otherMountsHandTheirDataAsItIs() {
        assertEquals("size=64m,mode=1777".length(), MountOp.tmpfs("/tmp", 0, "size=64m,mode=1777").launcherOptionsLength());
    }

    @Test
    void thirtySixStoreLayersFitInOnePage() {
        List<String> lowers = new java.util.ArrayList<>();
        MountOp op;
        do {
            lowers.add(LAYERS + String.format("%064x", lowers.size()));
            op = MountOp.overlay(lowers, RUN + "/upper", RUN + "/work", "/", 0);
        } while (op.launcherOptionsLength() <= MountOp.MAX_OPTIONS);
        assertEquals(37, lowers.size(), "the first layer that does not fit");
    }
}
