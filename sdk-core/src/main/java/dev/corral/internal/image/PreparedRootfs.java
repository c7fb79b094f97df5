package dev.corral.internal.image;

import dev.corral.ContainerSpec;
import dev.corral.InvalidSpecException;
import dev.corral.Rootfs;
import dev.corral.image.ImageConfig;
import dev.corral.image.ImageStoreException;
import dev.corral.image.UnpackListener;
import dev.corral.image.WritableLayer;
import dev.corral.namespaces.launcher.LaunchPlan.MountOp;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A run's root file system made ready on the host before the plan is built: an image's or
 * archive's layers unpacked, a writable layer created, and the image's defaults merged into the
 * spec (see {@link Rootfs#image} for the rules). Other root file systems pass through unchanged.
 */
public final class PreparedRootfs {
    /** Overlay options that keep the upper directory a plain OCI-convertible diff. */
    static final String OVERLAY_EXTRA = ",redirect_dir=off,metacopy=off";
    /**
     * The same in a user namespace: overlay markers in {@code user.overlay.*} (the layers carry
     * both kinds); redirects and metacopy are off there by default and may not be named.
     */
    static final String OVERLAY_EXTRA_USERNS = ",userxattr";

    private final ContainerSpec spec;
    private final List<String> command;
    private final Optional<MountOp> root;
    private final RunLayer run;
    private final List<Path> layers;
    private final AtomicBoolean released = new AtomicBoolean();

    private PreparedRootfs(ContainerSpec spec, List<String> command, Optional<MountOp> root, RunLayer run,
                           List<Path> layers) {
        this.spec = spec;
        this.layers = layers;
        this.command = command;
        this.root = root;
        this.run = run;
    }

    /**
     * @param spec    the caller's spec
     * @param command the command given, possibly empty for an image
     * @return the prepared root, holding a writable layer to {@link #release()}
     * @throws ImageStoreException if the image or archive cannot be made ready
     */
    public static PreparedRootfs prepare(ContainerSpec spec, List<String> command) {
        if (spec.rootfs() instanceof Rootfs.Image i) {
            Store store = Store.open(i.store().directory());
            String digest = store.resolve(i.reference());
            ImageConfig config = store.configOf(digest);
            List<Path> lowers = store.unpackImage(digest, UnpackListener.NONE);
            ContainerSpec effective = merge(spec, config, lowers, i.reference());
            List<String> cmd = command;
            if (cmd.isEmpty()) {
                cmd = new ArrayList<>(config.entrypoint());
                cmd.addAll(config.cmd());
                if (cmd.isEmpty() || cmd.get(0).isEmpty()) {
                    throw new InvalidSpecException("command", "is missing: image " + i.reference()
                            + " has no Entrypoint or Cmd; give the program to run and its arguments");
                }
            }
            return withOverlay(effective, List.copyOf(cmd), store, lowers, Store.normalize(i.reference()), i.keepWritableLayer());
        }
        if (spec.rootfs() instanceof Rootfs.Tarball t) {
            Store store = Store.open(t.store().directory());
            Map.Entry<Path, String> unpacked = store.unpackArchive(t.archive(), UnpackListener.NONE);
            return withOverlay(spec, command, store, List.of(unpacked.getKey()), unpacked.getValue(), t.keepWritableLayer());
        }
        return new PreparedRootfs(spec, command, Optional.empty(), null, List.of());
    }

    private static PreparedRootfs withOverlay(ContainerSpec spec, List<String> command, Store store, List<Path> lowers,
                                              String image, boolean keep) {
        RunLayer run = store.newRun(lowers, image, keep);
        MountOp op = MountOp.overlay(lowers.stream().map(Path::toString).toList(), run.upper().toString(),
                run.work().toString(), "/", 0);
        String extra = spec.security().namespaces().contains(dev.corral.namespaces.Namespace.USER)
                ? OVERLAY_EXTRA_USERNS : OVERLAY_EXTRA;
        op = new MountOp(op.kind(), op.flags(), 0, 0, 0, op.source(), op.target(), op.data() + extra);
        return new PreparedRootfs(spec, command, Optional.of(op), run, List.copyOf(lowers));
    }

    /** @return the spec with the image's defaults merged in */
    public ContainerSpec spec() {
        return spec;
    }

    /** @return the command to run */
    public List<String> command() {
        return command;
    }

    /** @return the root mount to use instead of the spec's, if any */
    public Optional<MountOp> rootMount() {
        return root;
    }

    /**
     * @return the host directories that make up what the container sees at {@code /}, topmost
     *         first, for reading its {@code /etc/passwd} (the host's {@code /} for its read-only view)
     */
    public List<Path> passwdRoots() {
        if (!layers.isEmpty()) {
            return layers;
        }
        if (spec.rootfs() instanceof Rootfs.Directory d) {
            return List.of(d.path());
        }
        return spec.rootfs() instanceof Rootfs.HostReadOnly ? List.of(Path.of("/")) : List.of();
    }

    /** @return whether there is a writable layer to release */
    public boolean hasWritableLayer() {
        return run != null;
    }

    /**
     * Removes (or keeps, as asked) the run's writable layer; idempotent.
     *
     * @return the kept layer, if kept
     */
    public Optional<WritableLayer> release() {
        if (run == null || !released.compareAndSet(false, true)) {
            return Optional.empty();
        }
        return run.release();
    }

    private static ContainerSpec merge(ContainerSpec spec, ImageConfig config, List<Path> lowers, String image) {
        ContainerSpec.Builder b = spec.toBuilder();
        for (String kv : config.env()) {
            int eq = kv.indexOf('=');
            if (eq > 0 && !spec.environment().containsKey(kv.substring(0, eq))) {
                b.env(kv.substring(0, eq), kv.substring(eq + 1));
            }
        }
        if (spec.workingDirectory().equals("/") && config.workingDir().startsWith("/")) {
            String w = Path.of(config.workingDir()).normalize().toString();
            b.workingDirectory(w);
        }
        if (spec.user().isEmpty() && !config.user().isEmpty()) {
            int[] ids = resolveUser(config.user(), lowers, image);
            b.user(ids[0], ids[1]);
        }
        return b.build();
    }

    /** Resolves {@code user[:group]} (names or numbers) through the image's passwd and group files. */
    static int[] resolveUser(String user, List<Path> lowers, String image) {
        String u = user;
        String g = null;
        int colon = user.indexOf(':');
        if (colon >= 0) {
            u = user.substring(0, colon);
            g = user.substring(colon + 1);
        }
        int uid;
        int gid = 0;
        if (u.matches("\\d+")) {
            uid = Integer.parseInt(u);
            String[] entry = lookup(lowers, "etc/passwd", 2, u);
            if (entry != null) {
                gid = Integer.parseInt(entry[3]);
            }
        } else {
            String[] entry = lookup(lowers, "etc/passwd", 0, u);
            if (entry == null) {
                throw new InvalidSpecException("user", "image " + image + " runs as user '" + u
                        + "', which its /etc/passwd does not list; set user(uid, gid)");
            }
            uid = Integer.parseInt(entry[2]);
            gid = Integer.parseInt(entry[3]);
        }
        if (g != null && !g.isEmpty()) {
            if (g.matches("\\d+")) {
                gid = Integer.parseInt(g);
            } else {
                String[] entry = lookup(lowers, "etc/group", 0, g);
                if (entry == null) {
                    throw new InvalidSpecException("user", "image " + image + " runs as group '" + g
                            + "', which its /etc/group does not list; set user(uid, gid)");
                }
                gid = Integer.parseInt(entry[2]);
            }
        }
        return new int[] {uid, gid};
    }

    /** The first line of the topmost copy of {@code file} whose field {@code field} is {@code value}. */
    private static String[] lookup(List<Path> lowers, String file, int field, String value) {
        for (Path lower : lowers) {
            Path p = lower.resolve(file);
            if (Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) {
                try {
                    for (String line : Files.readAllLines(p)) {
                        String[] f = line.split(":", -1);
                        if (f.length > Math.max(field, 3) && f[field].equals(value) && f[2].matches("\\d+")
                                && (f.length < 4 || file.endsWith("group") || f[3].matches("\\d+"))) {
                            return f;
                        }
                    }
                } catch (IOException e) {
                    return null;
                }
                return null;
            }
            if (Files.exists(p, LinkOption.NOFOLLOW_LINKS)) {
                return null; /* a whiteout (or something else) hides the lower copies */
            }
        }
        return null;
    }
}
