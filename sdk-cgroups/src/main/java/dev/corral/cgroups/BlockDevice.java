package dev.corral.cgroups;

import dev.corral.unit.DataSize;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A block device as the kernel names it in cgroup files: {@code major:minor}.
 *
 * <pre>{@code
 * BlockDevice disk = BlockDevice.of(Path.of("/dev/sda"));   // 8:0
 * CgroupLimits.builder().readBandwidth(disk, DataSize.ofMebibytes(10)).build();
 * }</pre>
 *
 * @param major the major device number
 * @param minor the minor device number
 */
public record BlockDevice(int major, int minor) {

    /**
     * @param major the major device number, at least 0
     * @param minor the minor device number, at least 0
     */
    public BlockDevice {
        if (major < 0 || minor < 0) {
            throw new IllegalArgumentException("a device number cannot be negative: " + major + ":" + minor);
        }
    }

    /**
     * @param node a block device node such as {@code /dev/vda}
     * @return its device number
     * @throws IllegalArgumentException if {@code node} is not a block device
     */
    public static BlockDevice of(Path node) {
        try {
            String mode = Integer.toOctalString((Integer) Files.getAttribute(node, "unix:mode"));
            int type = (Integer) Files.getAttribute(node, "unix:mode") & 0170000;
            if (type != 0060000) {
                throw new IllegalArgumentException(node + " is not a block device (mode " + mode + ")");
            }
            long rdev = (Long) Files.getAttribute(node, "unix:rdev");
            // glibc's gnu_dev_major / gnu_dev_minor
            int major = (int) (((rdev >>> 32) & 0xfffff000L) | ((rdev >>> 8) & 0xfffL));
            int minor = (int) (((rdev >>> 12) & 0xffffff00L) | (rdev & 0xffL));
            return new BlockDevice(major, minor);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot stat block device " + node + ": " + e.getMessage(), e);
        }
    }

    /** @return {@code major:minor}, as cgroup files write it */
    @Override
    public String toString() {
        return major + ":" + minor;
    }
}
