package dev.corral.internal.archive;

/** What to do with OCI whiteout entries ({@code .wh.NAME}, {@code .wh..wh..opq}). */
public enum WhiteoutMode {
    /**
     * A plain archive (a root file system tarball): {@code .wh.} names are ordinary files and are
     * extracted as such.
     */
    NONE,
    /**
     * An OCI layer applied onto the tree below it: {@code .wh.NAME} deletes {@code NAME} (without
     * following symlinks), {@code .wh..wh..opq} empties its directory of what lower layers put
     * there. Entries of the same layer are never deleted by its own whiteouts.
     */
    APPLY,
    /**
     * An OCI layer unpacked on its own, to be one lower directory of an overlayfs mount:
     * {@code .wh.NAME} becomes a character device 0/0 named {@code NAME}, and
     * {@code .wh..wh..opq} sets the overlay "opaque" xattr ({@code trusted.overlay.opaque=y}, or
     * {@code user.overlay.opaque=y} for a rootless mount with the {@code userxattr} option; see
     * {@link ExtractOptions#overlayXattrPrefix()}).
     */
    OVERLAYFS
}
