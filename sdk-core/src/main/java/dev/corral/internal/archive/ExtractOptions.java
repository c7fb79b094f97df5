package dev.corral.internal.archive;

import java.util.Objects;
import java.util.function.IntUnaryOperator;

/**
 * How to extract an archive. {@link #defaults()} and {@link #builder()} give safe values: limits
 * that stop archive bombs, setuid bits and file capabilities stripped, ownership kept only when
 * running as root.
 *
 * @param maxTotalBytes      most bytes of file content written, all files together
 * @param maxEntries         most archive entries read
 * @param maxPathLength      longest entry name or link target, in UTF-8 bytes
 * @param maxPathDepth       most components of an entry name
 * @param maxHeaderBytes     most bytes of one PAX header or GNU long name, held in memory
 * @param maxDecoderMemory   most memory an xz dictionary or a zstd window may ask for
 * @param allowSetuid        keep setuid/setgid bits on non-directories and
 *                           {@code security.capability} xattrs; both grant privileges to whoever
 *                           runs the file, on the host too, so they are stripped by default
 * @param privileged         whether to attempt what needs root: device nodes,
 *                           {@code trusted.*} xattrs, ownership other than the caller's
 * @param preserveOwnership  apply the entries' numeric uid/gid (after mapping)
 * @param uidMapper          maps an archive uid to the uid written; a negative result refuses the entry
 * @param gidMapper          maps an archive gid to the gid written; a negative result refuses the entry
 * @param whiteouts          how OCI whiteouts are treated
 * @param overlayXattrPrefix {@code "trusted.overlay."} (root) or {@code "user.overlay."} (a
 *                           rootless overlay mounted with {@code userxattr}), for
 *                           {@link WhiteoutMode#OVERLAYFS}
 * @param useOpenat2         resolve paths with {@code openat2(RESOLVE_IN_ROOT)} where the kernel
 *                           has it; {@code false} forces the component-by-component fallback
 */
public record ExtractOptions(
        long maxTotalBytes,
        long maxEntries,
        int maxPathLength,
        int maxPathDepth,
        int maxHeaderBytes,
        long maxDecoderMemory,
        boolean allowSetuid,
        boolean privileged,
        boolean preserveOwnership,
        IntUnaryOperator uidMapper,
        IntUnaryOperator gidMapper,
        WhiteoutMode whiteouts,
        String overlayXattrPrefix,
        boolean useOpenat2) {

    /** The overlay xattr namespace used as root. */
    public static final String TRUSTED_OVERLAY = "trusted.overlay.";
    /** The overlay xattr namespace of a rootless mount with the {@code userxattr} option (Linux 5.11+). */
    public static final String USER_OVERLAY = "user.overlay.";

    /** @param maxTotalBytes see the record description (and so for the others) */
    public ExtractOptions {
        positive("maxTotalBytes", maxTotalBytes);
        positive("maxEntries", maxEntries);
        positive("maxPathLength", maxPathLength);
        positive("maxPathDepth", maxPathDepth);
        positive("maxHeaderBytes", maxHeaderBytes);
        positive("maxDecoderMemory", maxDecoderMemory);
        Objects.requireNonNull(uidMapper, "uidMapper");
        Objects.requireNonNull(gidMapper, "gidMapper");
        Objects.requireNonNull(whiteouts, "whiteouts");
        if (!TRUSTED_OVERLAY.equals(overlayXattrPrefix) && !USER_OVERLAY.equals(overlayXattrPrefix)) {
            throw new IllegalArgumentException("overlayXattrPrefix must be \"" + TRUSTED_OVERLAY + "\" or \""
                    + USER_OVERLAY + "\", not " + overlayXattrPrefix);
        }
    }

    private static void positive(String name, long value) {
        if (value <= 0) {
            throw new IllegalArgumentException(name + " must be at least 1, not " + value);
        }
    }

    /** @return the safe defaults for the current process */
    public static ExtractOptions defaults() {
        return builder().build();
    }

    /** @return a builder starting from the safe defaults */
    public static Builder builder() {
        return new Builder();
    }

    /** @return a builder starting from these options */
    public Builder toBuilder() {
        Builder b = new Builder();
        b.maxTotalBytes = maxTotalBytes;
        b.maxEntries = maxEntries;
        b.maxPathLength = maxPathLength;
        b.maxPathDepth = maxPathDepth;
        b.maxHeaderBytes = maxHeaderBytes;
        b.maxDecoderMemory = maxDecoderMemory;
        b.allowSetuid = allowSetuid;
        b.privileged = privileged;
        b.preserveOwnership = preserveOwnership;
        b.uidMapper = uidMapper;
        b.gidMapper = gidMapper;
        b.whiteouts = whiteouts;
        b.overlayXattrPrefix = overlayXattrPrefix;
        b.useOpenat2 = useOpenat2;
        return b;
    }

    /** Builds {@link ExtractOptions}; every setter has a safe default. */
    public static final class Builder {
        private long maxTotalBytes = 16L << 30;
        private long maxEntries = 1_000_000;
        private int maxPathLength = 4096;
        private int maxPathDepth = 256;
        private int maxHeaderBytes = 1 << 20;
        private long maxDecoderMemory = 256L << 20;
        private boolean allowSetuid;
        private boolean privileged = Native.geteuid() == 0;
        private Boolean preserveOwnership;
        private IntUnaryOperator uidMapper = IntUnaryOperator.identity();
        private IntUnaryOperator gidMapper = IntUnaryOperator.identity();
        private WhiteoutMode whiteouts = WhiteoutMode.NONE;
        private String overlayXattrPrefix;
        private boolean useOpenat2 = true;

        private Builder() {
        }

        /** @param v most bytes of file content (default 16 GiB) @return this */
        public Builder maxTotalBytes(long v) {
            maxTotalBytes = v;
            return this;
        }

        /** @param v most entries (default 1,000,000) @return this */
        public Builder maxEntries(long v) {
            maxEntries = v;
            return this;
        }

        /** @param v longest name or link target in bytes (default 4096) @return this */
        public Builder maxPathLength(int v) {
            maxPathLength = v;
            return this;
        }

        /** @param v most name components (default 256) @return this */
        public Builder maxPathDepth(int v) {
            maxPathDepth = v;
            return this;
        }

        /** @param v most bytes of one PAX header or GNU long name (default 1 MiB) @return this */
        public Builder maxHeaderBytes(int v) {
            maxHeaderBytes = v;
            return this;
        }

        /** @param v most decoder memory for xz or zstd (default 256 MiB) @return this */
        public Builder maxDecoderMemory(long v) {
            maxDecoderMemory = v;
            return this;
        }

        /** @param v keep setuid/setgid bits and file capabilities (default false) @return this */
        public Builder allowSetuid(boolean v) {
            allowSetuid = v;
            return this;
        }

        /**
         * @param v attempt device nodes, {@code trusted.*} xattrs and foreign ownership
         *          (default: whether the effective uid is 0)
         * @return this
         */
        public Builder privileged(boolean v) {
            privileged = v;
            return this;
        }

        /** @param v apply the entries' uid/gid (default: {@link #privileged}) @return this */
        public Builder preserveOwnership(boolean v) {
            preserveOwnership = v;
            return this;
        }

        /**
         * Maps archive ids to the ids written, e.g. for a rootless store whose files must belong
         * to the subordinate ids a user namespace maps to 0..65535 inside.
         *
         * @param uid uid mapper; a negative result refuses the entry
         * @param gid gid mapper; a negative result refuses the entry
         * @return this
         */
        public Builder idMappers(IntUnaryOperator uid, IntUnaryOperator gid) {
            uidMapper = uid;
            gidMapper = gid;
            return this;
        }

        /**
         * Maps ids {@code 0..size-1} to {@code hostBase..hostBase+size-1}, like a single-range
         * user-namespace map; other ids are refused.
         *
         * @param hostBase first host id
         * @param size     number of ids mapped
         * @return this
         */
        public Builder shiftIds(int hostBase, int size) {
            if (hostBase < 0 || size <= 0 || (long) hostBase + size > 0xffffffffL) {
                throw new IllegalArgumentException("shiftIds: hostBase " + hostBase + " size " + size + " out of range");
            }
            IntUnaryOperator m = id -> id >= 0 && id < size ? hostBase + id : -1;
            return idMappers(m, m);
        }

        /** @param v how OCI whiteouts are treated (default {@link WhiteoutMode#NONE}) @return this */
        public Builder whiteouts(WhiteoutMode v) {
            whiteouts = v;
            return this;
        }

        /**
         * @param v {@link #TRUSTED_OVERLAY} or {@link #USER_OVERLAY} (default: trusted when
         *          privileged, user otherwise)
         * @return this
         */
        public Builder overlayXattrPrefix(String v) {
            overlayXattrPrefix = v;
            return this;
        }

        /** @param v use openat2 where available (default true) @return this */
        public Builder useOpenat2(boolean v) {
            useOpenat2 = v;
            return this;
        }

        /** @return the options */
        public ExtractOptions build() {
            return new ExtractOptions(maxTotalBytes, maxEntries, maxPathLength, maxPathDepth, maxHeaderBytes,
                    maxDecoderMemory, allowSetuid, privileged,
                    preserveOwnership != null ? preserveOwnership : privileged,
                    uidMapper, gidMapper, whiteouts,
                    overlayXattrPrefix != null ? overlayXattrPrefix : privileged ? TRUSTED_OVERLAY : USER_OVERLAY,
                    useOpenat2);
        }
    }
}
