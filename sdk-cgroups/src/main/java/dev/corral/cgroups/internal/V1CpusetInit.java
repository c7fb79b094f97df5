package dev.corral.cgroups.internal;

import java.nio.file.Path;

/** A new v1 cpuset has no CPUs and no memory nodes, and no process may join it until it has. */
public final class V1CpusetInit {

    private V1CpusetInit() {
    }

    /** Gives a new cpuset directory its parent's CPUs and memory nodes, where it has none. */
    public static void inherit(Path dir) {
        for (String file : new String[] {"cpuset.mems", "cpuset.cpus"}) {
            if (CgroupFs.read(dir.resolve(file)).isEmpty()) {
                CgroupFs.write(dir.resolve(file), CgroupFs.read(dir.getParent().resolve(file)));
            }
        }
    }
}
