package dev.corral.internal.image;

import dev.corral.namespaces.HostSecurity;
import dev.corral.namespaces.IdMapping;
import dev.corral.namespaces.UserNamespace;
import java.util.List;

/**
 * The container IDs that host file owners stand for, as the default user namespace of this
 * process's containers ({@link UserNamespace#auto()}) maps them: what a layer's tar entries must
 * carry. As root the layers and writable layers are idmapped mounts (the launcher's
 * {@code idmap_store_mounts}), so host IDs are container IDs. Rootless, the caller is the
 * container's root and its subordinate range {@code base} and up is 1 and up: a file a container
 * made as uid 1000 belongs to host {@code base + 999} and goes into the layer as 1000, one the
 * caller made goes in as 0. A host ID the namespace does not map shows as the overflow ID
 * 65534, as the container sees it.
 *
 * <pre>{@code
 * ContainerIds ids = ContainerIds.ofThisProcess();
 * int inLayer = ids.uid(hostUid);
 * }</pre>
 */
public final class ContainerIds {
    /** The kernel's overflow ID: what a container sees for a host ID it does not map. */
    static final int OVERFLOW = 65534;
    private static final ContainerIds IDENTITY = new ContainerIds(List.of(), List.of(), true);
    private static volatile ContainerIds self;

    private final List<IdMapping> uids;
    private final List<IdMapping> gids;
    private final boolean identity;

    private ContainerIds(List<IdMapping> uids, List<IdMapping> gids, boolean identity) {
        this.uids = uids;
        this.gids = gids;
        this.identity = identity;
    }

    /** @return host IDs as they are (root's idmapped layers, or a process already inside the namespace) */
    public static ContainerIds identity() {
        return IDENTITY;
    }

    /** @return the translation for this process's containers, probed once */
    public static ContainerIds ofThisProcess() {
        ContainerIds c = self;
        if (c == null) {
            HostSecurity host = HostSecurity.probe();
            if (host.uid() == 0) {
                c = IDENTITY;
            } else {
                HostSecurity.IdMaps maps = host.resolve(UserNamespace.auto());
                c = new ContainerIds(maps.uids(), maps.gids(), false);
            }
            self = c;
        }
        return c;
    }

    /**
     * @param uids the uid map lines (container, host, count)
     * @param gids the gid map lines
     * @return the translation those maps make
     */
    static ContainerIds of(List<IdMapping> uids, List<IdMapping> gids) {
        return new ContainerIds(List.copyOf(uids), List.copyOf(gids), false);
    }

    /** @return whether host IDs are container IDs (root) */
    public boolean isIdentity() {
        return identity;
    }

    /** @return whether container IDs other than 0 are mapped (rootless: subordinate IDs are configured) */
    public boolean mapsOthers() {
        return identity || uids.stream().anyMatch(m -> m.coversContainerId(1));
    }

    /** @param hostUid a file's owner on the host @return the owner in the container */
    public int uid(long hostUid) {
        return identity ? (int) hostUid : toContainer(uids, hostUid);
    }

    /** @param hostGid a file's group on the host @return the group in the container */
    public int gid(long hostGid) {
        return identity ? (int) hostGid : toContainer(gids, hostGid);
    }

    private static int toContainer(List<IdMapping> map, long host) {
        for (IdMapping m : map) {
            if (m.coversHostId(host)) {
                return (int) (m.containerId() + (host - m.hostId()));
            }
        }
        return OVERFLOW;
    }
}
