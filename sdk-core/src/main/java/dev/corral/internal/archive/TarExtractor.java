package dev.corral.internal.archive;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import dev.corral.internal.archive.ArchiveException.Reason;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Extracts a tar archive (plain, gzip, xz or zstd, told apart by magic bytes) into a directory,
 * never writing outside it.
 *
 * <p>How: the target is opened once, and every entry's parent directory is resolved from it as
 * if it were {@code /} ({@link TargetDir}: {@code openat2} with {@code RESOLVE_IN_ROOT}, or an
 * equivalent walk). Names are cleaned first: a leading {@code /} is dropped and {@code ..} cannot
 * climb above the root, both with a warning. Then the entry is made with one {@code *at} call on
 * a single name in that directory, with flags that never follow a final symlink
 * ({@code O_CREAT|O_EXCL|O_NOFOLLOW}, {@code AT_SYMLINK_NOFOLLOW}, {@code mkdirat},
 * {@code symlinkat}, {@code mknodat}, {@code linkat} without {@code AT_SYMLINK_FOLLOW}).
 * Whatever is already at that name is removed first (without following it), as tar does,
 * except a directory replaced by a directory. Symlinks are created as given: they are data,
 * resolved later inside the container. A hardlink's target is resolved inside the target too.
 *
 * <p>Any refusal stops the extraction with an {@link ArchiveException}; the caller discards the
 * partial tree. Non-fatal changes (stripped setuid bits, skipped device nodes, dropped xattrs,
 * neutralised names) are listed in {@link ExtractResult#warnings()}.
 *
 * <p>Not thread-safe; each call extracts one archive.
 */
public final class TarExtractor {
    private static final Logger LOG = LoggerFactory.getLogger(TarExtractor.class);

    static final String WHITEOUT_PREFIX = ".wh.";
    static final String WHITEOUT_META_PREFIX = ".wh..wh.";
    static final String WHITEOUT_OPAQUE = ".wh..wh..opq";
    private static final String XATTR_PAX_PREFIX = "SCHILY.xattr.";
    private static final int BUFFER = 1 << 16;

    private final TargetDir root;
    private final ExtractOptions options;
    private final List<String> warnings = new ArrayList<>();
    private long droppedWarnings;
    private long entries;
    private long bytes;
    /** Paths made by this archive, and their ancestors: what a whiteout of this layer leaves alone. */
    private final Set<String> upper = new HashSet<>();
    /** Directories whose mode and times are set last, after their contents. */
    private final Map<String, DirMeta> dirs = new LinkedHashMap<>();
    private final byte[] buffer = new byte[BUFFER];

    private record DirMeta(List<String> path, int mode, FileTime atime, FileTime mtime) {
    }

    private TarExtractor(TargetDir root, ExtractOptions options) {
        this.root = root;
        this.options = options;
    }

    /**
     * Extracts an archive file.
     *
     * @param archive the archive; its compression is told from its first bytes
     * @param target  an existing directory
     * @param options limits and policies
     * @return what was extracted, with warnings
     * @throws ArchiveException if an entry is refused
     * @throws IOException      if reading or writing fails
     */
    public static ExtractResult extract(Path archive, Path target, ExtractOptions options) throws IOException {
        try (InputStream in = Files.newInputStream(archive)) {
            return extract(in, target, options);
        }
    }

    /**
     * Extracts an archive stream; the stream is read up to the end of the archive and not closed.
     *
     * @param archive the archive; its compression is told from its first bytes
     * @param target  an existing directory
     * @param options limits and policies
     * @return what was extracted, with warnings
     * @throws ArchiveException if an entry is refused
     * @throws IOException      if reading or writing fails
     */
    public static ExtractResult extract(InputStream archive, Path target, ExtractOptions options) throws IOException {
        InputStream tar = Compression.decompress(archive, options.maxDecoderMemory());
        try (TargetDir dir = TargetDir.open(target, options.useOpenat2())) {
            LOG.debug("extracting into {} ({})", target, dir.usesOpenat2() ? "openat2" : "component walk");
            TarExtractor x = new TarExtractor(dir, options);
            return x.run(x.new BoundedTarInputStream(tar, options.maxHeaderBytes()));
        }
    }

    private ExtractResult run(BoundedTarInputStream in) throws IOException {
        TarArchiveEntry e;
        while ((e = nextEntry(in)) != null) {
            if (++entries > options.maxEntries()) {
                throw new ArchiveException(Reason.LIMIT, e.getName(), "more than " + options.maxEntries() + " entries");
            }
            try {
                apply(e, in);
            } catch (SyscallException s) {
                throw new ArchiveException(s.errno() == Native.ELOOP || s.errno() == Native.EXDEV
                        || s.errno() == Native.ENOTDIR ? Reason.UNSAFE_PATH : Reason.FAILED,
                        e.getName(), s.getMessage() + hint(s), s);
            }
        }
        finishDirectories();
        if (droppedWarnings > 0) {
            warnings.add("... and " + droppedWarnings + " more warnings");
        }
        return new ExtractResult(entries, bytes, warnings);
    }

    private static TarArchiveEntry nextEntry(BoundedTarInputStream in) throws IOException {
        try {
            TarArchiveEntry e = in.getNextEntry();
            if (e != null && !e.isCheckSumOK()) { /* commons-compress reads on past a bad checksum */
                throw new ArchiveException(Reason.MALFORMED, e.getName(), "header checksum mismatch: the archive is corrupt");
            }
            return e;
        } catch (ArchiveException e) {
            throw e;
        } catch (org.tukaani.xz.MemoryLimitException e) {
            throw new ArchiveException(Reason.LIMIT, null, "the xz stream needs " + e.getMemoryNeeded()
                    + " KiB of decoder memory, more than the " + e.getMemoryLimit() + " KiB limit", e);
        } catch (IOException | IllegalArgumentException e) {
            // commons-compress reports malformed headers as IOException or IllegalArgumentException.
            throw new ArchiveException(Reason.MALFORMED, null, "malformed tar archive: " + e.getMessage(), e);
        }
    }

    private static String hint(SyscallException s) {
        return switch (s.errno()) {
            case Native.ELOOP -> " (a symlink loop, or too many symlinks, in the entry's parent path)";
            case Native.EXDEV -> " (the path crosses a mount point or a magic link inside the target)";
            case Native.ENOTDIR -> " (a parent in the entry's path is not a directory)";
            case Native.EPERM -> " (not permitted: running without root, or in a user namespace that lacks the ids)";
            case Native.ENOSPC -> " (the file system is full)";
            default -> "";
        };
    }

    private void warn(String entry, String message) {
        String w = entry == null ? message : ArchiveException.quote(entry) + ": " + message;
        LOG.debug("warning: {}", w);
        if (warnings.size() < ExtractResult.MAX_WARNINGS - 1) {
            warnings.add(w);
        } else {
            droppedWarnings++;
        }
    }

    // ---- names ---------------------------------------------------------------------------

    /** Cleans an entry name into components inside the root, or refuses it. */
    private List<String> clean(String name, String entry, boolean isLinkTarget) throws ArchiveException {
        if (name.getBytes(StandardCharsets.UTF_8).length > options.maxPathLength()) {
            throw new ArchiveException(Reason.LIMIT, entry, (isLinkTarget ? "link target" : "name")
                    + " longer than " + options.maxPathLength() + " bytes");
        }
        if (name.indexOf('\0') >= 0) {
            throw new ArchiveException(Reason.MALFORMED, entry, "name contains a NUL byte");
        }
        List<String> out = new ArrayList<>();
        boolean neutralised = name.startsWith("/");
        for (String c : name.split("/")) {
            if (c.isEmpty() || c.equals(".")) {
                continue;
            }
            if (c.equals("..")) {
                neutralised = true;
                if (!out.isEmpty()) {
                    out.remove(out.size() - 1);
                }
                continue;
            }
            out.add(c);
            if (out.size() > options.maxPathDepth()) {
                throw new ArchiveException(Reason.LIMIT, entry, "more than " + options.maxPathDepth() + " path components");
            }
        }
        if (neutralised) {
            warn(entry, (isLinkTarget ? "hardlink target " + ArchiveException.quote(name) : "name")
                    + " is absolute or contains \"..\"; taken as /" + String.join("/", out) + " inside the target");
        }
        return out;
    }

    private static String key(List<String> path) {
        return String.join("/", path);
    }

    private void markUpper(List<String> path) {
        for (int i = path.size(); i > 0; i--) {
            if (!upper.add(key(path.subList(0, i)))) {
                break;
            }
        }
    }

    // ---- entries -------------------------------------------------------------------------

    private void apply(TarArchiveEntry e, InputStream in) throws IOException {
        String name = e.getName();
        List<String> path = clean(name, name, false);
        if (path.isEmpty()) {
            if (!e.isDirectory()) {
                throw new ArchiveException(Reason.UNSAFE_PATH, name, "only a directory may name the root of the target");
            }
            applyDirectoryMeta(e, path, root.rootFd(), null);
            return;
        }
        List<String> parentPath = path.subList(0, path.size() - 1);
        String base = path.get(path.size() - 1);
        if (options.whiteouts() != WhiteoutMode.NONE && base.startsWith(WHITEOUT_PREFIX)) {
            whiteout(name, parentPath, base);
            return;
        }
        List<List<String>> created = new ArrayList<>();
        int parent = root.ensureDir(parentPath, created);
        try {
            created.forEach(this::markUpper);
            byte flag = e.isDirectory() ? TarConstants.LF_DIR : linkFlag(e);
            switch (flag) {
                case TarConstants.LF_DIR -> directory(e, path, parent, base);
                case TarConstants.LF_SYMLINK -> symlink(e, parent, base);
                case TarConstants.LF_LINK -> hardlink(e, parent, base);
                case TarConstants.LF_CHR, TarConstants.LF_BLK, TarConstants.LF_FIFO -> special(e, flag, parent, base);
                case TarConstants.LF_NORMAL -> regular(e, in, parent, base);
                default -> {
                    warn(name, "skipped: entry type is not supported");
                    return;
                }
            }
            markUpper(path);
        } finally {
            Native.close(parent);
        }
    }

    private static byte linkFlag(TarArchiveEntry e) {
        if (e.isSymbolicLink()) {
            return TarConstants.LF_SYMLINK;
        }
        if (e.isLink()) {
            return TarConstants.LF_LINK;
        }
        if (e.isCharacterDevice()) {
            return TarConstants.LF_CHR;
        }
        if (e.isBlockDevice()) {
            return TarConstants.LF_BLK;
        }
        if (e.isFIFO()) {
            return TarConstants.LF_FIFO;
        }
        // isFile() is true for every type commons-compress does not name, GNU volume labels
        // and multi-volume continuations included: those are written as regular files.
        if (e.isSparse() || e.isFile()) {
            return TarConstants.LF_NORMAL;
        }
        return (byte) '?';
    }

    /** Removes what is at {@code name}, unless both it and the new entry are directories. */
    private void clobber(int parent, String name, boolean entryIsDirectory) throws IOException {
        Native.Stat st = Native.lstatatOrNull(parent, name);
        if (st == null || (entryIsDirectory && st.isDirectory())) {
            return;
        }
        removeTree(parent, name, st);
    }

    private void regular(TarArchiveEntry e, InputStream in, int parent, String base) throws IOException {
        long size = e.isSparse() ? e.getRealSize() : e.getSize();
        if (size < 0 || size > options.maxTotalBytes() - bytes) {
            throw new ArchiveException(Reason.LIMIT, e.getName(), "declares " + size + " bytes; with the "
                    + bytes + " already written that is more than the " + options.maxTotalBytes() + "-byte limit");
        }
        clobber(parent, base, false);
        int fd = Native.openat(parent, base, Native.O_WRONLY | Native.O_CREAT | Native.O_EXCL | Native.O_NOFOLLOW, 0600);
        try {
            long written = 0;
            int n;
            while ((n = in.read(buffer)) > 0) {
                written += n;
                if (written > size) {
                    throw new ArchiveException(Reason.MALFORMED, e.getName(), "more data than the declared " + size + " bytes");
                }
                Native.writeFully(fd, buffer, n, e.getName());
            }
            if (written != size) {
                throw new ArchiveException(Reason.MALFORMED, e.getName(), "truncated: " + written + " of " + size + " bytes");
            }
            bytes += written;
            owner(e, parent, base);
            Native.fchmod(fd, mode(e, false), e.getName());
            xattrs(e, fd, -1);
        } finally {
            Native.close(fd);
        }
        times(e, parent, base);
    }

    private void directory(TarArchiveEntry e, List<String> path, int parent, String base) throws IOException {
        clobber(parent, base, true);
        if (Native.lstatatOrNull(parent, base) == null) {
            Native.mkdirat(parent, base, 0700);
        }
        int fd = Native.openat(parent, base, Native.O_RDONLY | Native.O_DIRECTORY | Native.O_NOFOLLOW, 0);
        try {
            applyDirectoryMeta(e, path, fd, base);
            if (options.preserveOwnership()) {
                owner(e, parent, base);
            }
        } finally {
            Native.close(fd);
        }
    }

    /** Owner and xattrs now; mode and times once everything inside is written. */
    private void applyDirectoryMeta(TarArchiveEntry e, List<String> path, int dirFd, String base) throws IOException {
        if (base == null && options.preserveOwnership()) {
            int[] ids = ids(e);
            try {
                chownFd(dirFd, ids);
            } catch (SyscallException s) {
                throw new ArchiveException(Reason.FAILED, e.getName(), s.getMessage() + hint(s), s);
            }
        }
        xattrs(e, dirFd, -1);
        dirs.remove(key(path));
        dirs.put(key(path), new DirMeta(List.copyOf(path), mode(e, true), e.getLastAccessTime(), e.getLastModifiedTime()));
        markUpper(path);
    }

    private static void chownFd(int fd, int[] ids) throws SyscallException {
        Native.lchownatEmpty(fd, ids[0], ids[1]);
    }

    private void symlink(TarArchiveEntry e, int parent, String base) throws IOException {
        String target = e.getLinkName();
        if (target.isEmpty()) {
            throw new ArchiveException(Reason.MALFORMED, e.getName(), "symlink with an empty target");
        }
        if (target.getBytes(StandardCharsets.UTF_8).length > options.maxPathLength()) {
            throw new ArchiveException(Reason.LIMIT, e.getName(), "symlink target longer than " + options.maxPathLength() + " bytes");
        }
        clobber(parent, base, false);
        Native.symlinkat(target, parent, base);
        owner(e, parent, base);
        if (!xattrNames(e).isEmpty()) {
            warn(e.getName(), "xattrs on a symlink are not restored");
        }
        times(e, parent, base);
    }

    private void hardlink(TarArchiveEntry e, int parent, String base) throws IOException {
        List<String> target = clean(e.getLinkName(), e.getName(), true);
        if (target.isEmpty()) {
            throw new ArchiveException(Reason.UNSAFE_PATH, e.getName(), "hardlink to the root directory");
        }
        int targetParent;
        try {
            targetParent = root.resolveDir(target.subList(0, target.size() - 1));
        } catch (SyscallException s) {
            throw new ArchiveException(s.errno() == Native.ENOENT ? Reason.MALFORMED : Reason.UNSAFE_PATH, e.getName(),
                    "hardlink target " + ArchiveException.quote(key(target)) + " cannot be resolved inside the target: "
                            + s.errnoName(), s);
        }
        try {
            String targetBase = target.get(target.size() - 1);
            Native.Stat t = Native.lstatatOrNull(targetParent, targetBase);
            if (t == null) {
                throw new ArchiveException(Reason.MALFORMED, e.getName(), "hardlink target "
                        + ArchiveException.quote(key(target)) + " does not exist (not yet extracted, or in another layer)");
            }
            if (t.isDirectory()) {
                throw new ArchiveException(Reason.UNSAFE_PATH, e.getName(), "hardlink to a directory");
            }
            Native.Stat existing = Native.lstatatOrNull(parent, base);
            if (existing != null && existing.ino() == t.ino() && existing.dev() == t.dev()) {
                return;
            }
            clobber(parent, base, false);
            Native.linkat(targetParent, targetBase, parent, base);
        } finally {
            Native.close(targetParent);
        }
    }

    private void special(TarArchiveEntry e, byte flag, int parent, String base) throws IOException {
        int type = flag == TarConstants.LF_CHR ? Native.S_IFCHR : flag == TarConstants.LF_BLK ? Native.S_IFBLK : Native.S_IFIFO;
        boolean device = type != Native.S_IFIFO;
        if (device && !options.privileged()) {
            warn(e.getName(), "device node " + e.getDevMajor() + ":" + e.getDevMinor() + " skipped: creating devices needs root");
            return;
        }
        clobber(parent, base, false);
        try {
            Native.mknodat(parent, base, type | 0600, device ? e.getDevMajor() : 0, device ? e.getDevMinor() : 0);
        } catch (SyscallException s) {
            if (device && s.errno() == Native.EPERM) {
                warn(e.getName(), "device node " + e.getDevMajor() + ":" + e.getDevMinor()
                        + " skipped: mknod not permitted (a user namespace, or no CAP_MKNOD)");
                return;
            }
            throw s;
        }
        owner(e, parent, base);
        int fd = Native.openat(parent, base, Native.O_PATH | Native.O_NOFOLLOW, 0);
        try {
            if (Native.lstatat(fd, "").type() != type) {
                throw new ArchiveException(Reason.FAILED, e.getName(), "changed type while being created");
            }
            Native.chmodByFd(fd, mode(e, false), e.getName());
            xattrs(e, -1, fd);
        } finally {
            Native.close(fd);
        }
        times(e, parent, base);
    }

    // ---- metadata ------------------------------------------------------------------------

    private int mode(TarArchiveEntry e, boolean directory) {
        int mode = e.getMode() & 07777;
        if (!directory && !options.allowSetuid() && (mode & 06000) != 0) {
            warn(e.getName(), String.format("setuid/setgid bits stripped (mode %04o)", mode));
            mode &= ~06000;
        }
        return mode;
    }

    private int[] ids(TarArchiveEntry e) throws ArchiveException {
        return new int[] {mapId(e, "uid", e.getLongUserId(), true), mapId(e, "gid", e.getLongGroupId(), false)};
    }

    private int mapId(TarArchiveEntry e, String what, long id, boolean uid) throws ArchiveException {
        if (id < 0 || id > Integer.MAX_VALUE) {
            throw new ArchiveException(Reason.MALFORMED, e.getName(), what + " " + id + " out of range");
        }
        int mapped = (uid ? options.uidMapper() : options.gidMapper()).applyAsInt((int) id);
        if (mapped < 0) {
            throw new ArchiveException(Reason.FAILED, e.getName(), what + " " + id + " has no mapping");
        }
        return mapped;
    }

    private void owner(TarArchiveEntry e, int parent, String base) throws IOException {
        if (!options.preserveOwnership()) {
            return;
        }
        int[] ids = ids(e);
        Native.lchownat(parent, base, ids[0], ids[1]);
    }

    private void times(TarArchiveEntry e, int parent, String base) throws IOException {
        FileTime m = e.getLastModifiedTime();
        FileTime a = e.getLastAccessTime() != null ? e.getLastAccessTime() : m;
        if (m == null) {
            return;
        }
        Instant mi = m.toInstant();
        Instant ai = a.toInstant();
        Native.lutimensat(parent, base, ai.getEpochSecond(), ai.getNano(), mi.getEpochSecond(), mi.getNano());
    }

    private static List<String> xattrNames(TarArchiveEntry e) {
        List<String> names = new ArrayList<>();
        for (String k : e.getExtraPaxHeaders().keySet()) {
            if (k.startsWith(XATTR_PAX_PREFIX)) {
                names.add(k.substring(XATTR_PAX_PREFIX.length()));
            }
        }
        return names;
    }

    /** Sets the entry's xattrs on a real fd ({@code fd}) or an O_PATH fd ({@code pathFd}). */
    private void xattrs(TarArchiveEntry e, int fd, int pathFd) throws IOException {
        if (xattrNames(e).isEmpty()) {
            return;
        }
        // commons-compress decodes PAX values as UTF-8 text, which mangles binary values such as
        // security.capability; the raw bytes come from the header data as it was read.
        Map<String, byte[]> raw = currentRawXattrs;
        for (String name : xattrNames(e)) {
            byte[] value = raw.get(name);
            if (value == null) {
                // A global PAX header (applies to all entries): only its text form is known.
                value = e.getExtraPaxHeader(XATTR_PAX_PREFIX + name).getBytes(StandardCharsets.UTF_8);
            }
            String refusal = xattrRefusal(name);
            if (refusal != null) {
                warn(e.getName(), "xattr " + name + " dropped: " + refusal);
                continue;
            }
            try {
                if (fd >= 0) {
                    Native.fsetxattr(fd, name, value, e.getName());
                } else {
                    Native.setxattrByFd(pathFd, name, value, e.getName());
                }
            } catch (SyscallException s) {
                if (s.errno() == Native.EOPNOTSUPP) {
                    warn(e.getName(), "xattr " + name + " dropped: the file system does not support it");
                } else if (s.errno() == Native.EPERM && !options.privileged()) {
                    warn(e.getName(), "xattr " + name + " dropped: not permitted without root");
                } else {
                    throw s;
                }
            }
        }
    }

    private String xattrRefusal(String name) {
        if (name.startsWith(ExtractOptions.TRUSTED_OVERLAY) || name.startsWith(ExtractOptions.USER_OVERLAY)) {
            return "overlayfs metadata from an archive could forge whiteouts, opaque directories or redirects";
        }
        if (name.equals("security.capability")) {
            return options.allowSetuid() ? null : "file capabilities grant privileges like setuid bits (allowSetuid is off)";
        }
        if (name.startsWith("security.")) {
            return "security labels are the host's policy, not the archive's";
        }
        if (name.startsWith("trusted.")) {
            return options.privileged() ? null : "trusted.* xattrs need root";
        }
        if (name.startsWith("user.") || name.equals("system.posix_acl_access") || name.equals("system.posix_acl_default")) {
            return null;
        }
        return "unknown xattr namespace";
    }

    private Map<String, byte[]> currentRawXattrs = Map.of();

    // ---- whiteouts -----------------------------------------------------------------------

    private void whiteout(String entry, List<String> parentPath, String base) throws IOException {
        boolean opaque = base.equals(WHITEOUT_OPAQUE);
        if (!opaque && base.startsWith(WHITEOUT_META_PREFIX)) {
            warn(entry, "skipped: aufs metadata, not an OCI whiteout");
            return;
        }
        String victim = opaque ? null : base.substring(WHITEOUT_PREFIX.length());
        if (victim != null && (victim.isEmpty() || victim.equals(".") || victim.equals(".."))) {
            throw new ArchiveException(Reason.MALFORMED, entry, "whiteout of " + ArchiveException.quote(victim));
        }
        List<List<String>> created = new ArrayList<>();
        int parent;
        if (options.whiteouts() == WhiteoutMode.APPLY) {
            try {
                parent = root.resolveDir(parentPath);
            } catch (SyscallException s) {
                if (s.errno() == Native.ENOENT) {
                    return;  // nothing below to delete
                }
                throw s;
            }
        } else {
            parent = root.ensureDir(parentPath, created);
        }
        try {
            created.forEach(this::markUpper);
            if (options.whiteouts() == WhiteoutMode.APPLY) {
                if (opaque) {
                    removeLower(parent, ".", parentPath, true);
                } else {
                    List<String> path = new ArrayList<>(parentPath);
                    path.add(victim);
                    removeLower(parent, victim, path, false);
                }
            } else if (opaque) {
                String xattr = options.overlayXattrPrefix() + "opaque";
                int fd = Native.openat(parent, ".", Native.O_RDONLY | Native.O_DIRECTORY, 0);
                try {
                    Native.fsetxattr(fd, xattr, new byte[] {'y'}, entry);
                    if (xattr.startsWith(ExtractOptions.TRUSTED_OVERLAY)) {
                        /* also for an overlay mounted in a user namespace, which reads only
                           user.overlay.* (option userxattr): one layer serves both */
                        Native.fsetxattr(fd, ExtractOptions.USER_OVERLAY + "opaque", new byte[] {'y'}, entry);
                    }
                } catch (SyscallException s) {
                    throw new ArchiveException(Reason.FAILED, entry, "cannot mark the directory opaque: " + s.getMessage()
                            + (s.errno() == Native.EPERM ? " (trusted.overlay.* needs root; rootless, use "
                            + ExtractOptions.USER_OVERLAY + " and mount the overlay with -o userxattr)" : ""), s);
                } finally {
                    Native.close(fd);
                }
                markUpper(parentPath);
            } else {
                List<String> path = new ArrayList<>(parentPath);
                path.add(victim);
                if (Native.lstatatOrNull(parent, victim) == null) {
                    try {
                        Native.mknodat(parent, victim, Native.S_IFCHR, 0, 0);
                    } catch (SyscallException s) {
                        throw new ArchiveException(Reason.FAILED, entry, "cannot create the overlay whiteout: " + s.getMessage()
                                + (s.errno() == Native.EPERM ? " (unprivileged whiteout devices need Linux 5.8+)" : ""), s);
                    }
                }
                // An entry of this layer already at that name hides the lower file by itself.
                markUpper(path);
            }
        } finally {
            Native.close(parent);
        }
    }

    /**
     * Removes {@code name} in {@code dir} unless this layer made it; a directory this layer
     * made (or that holds something it made) is kept and its other contents removed.
     */
    private void removeLower(int dir, String name, List<String> path, boolean keepSelf) throws IOException {
        Native.Stat st = Native.lstatatOrNull(dir, name);
        if (st == null) {
            return;
        }
        if (!keepSelf && !upper.contains(key(path))) {
            removeTree(dir, name, st);
            return;
        }
        if (!st.isDirectory()) {
            return;
        }
        int fd = Native.openat(dir, name, Native.O_RDONLY | Native.O_DIRECTORY | Native.O_NOFOLLOW, 0);
        try {
            for (String child : list(fd)) {
                List<String> childPath = new ArrayList<>(path);
                childPath.add(child);
                removeLower(fd, child, childPath, false);
            }
        } finally {
            Native.close(fd);
        }
    }

    /** Removes a file or a whole tree, never following a symlink. */
    private void removeTree(int dir, String name, Native.Stat st) throws IOException {
        if (!st.isDirectory()) {
            Native.unlinkat(dir, name, 0);
            return;
        }
        int fd = Native.openat(dir, name, Native.O_RDONLY | Native.O_DIRECTORY | Native.O_NOFOLLOW, 0);
        try {
            for (String child : list(fd)) {
                Native.Stat cst = Native.lstatatOrNull(fd, child);
                if (cst != null) {
                    removeTree(fd, child, cst);
                }
            }
        } finally {
            Native.close(fd);
        }
        Native.unlinkat(dir, name, Native.AT_REMOVEDIR);
    }

    /** The names in an open directory; read through its {@code /proc/self/fd} entry. */
    private static List<String> list(int dirFd) throws IOException {
        List<String> names = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(Path.of("/proc/self/fd/" + dirFd))) {
            for (Path p : ds) {
                names.add(p.getFileName().toString());
            }
        }
        return names;
    }

    // ---- directories last ----------------------------------------------------------------

    private void finishDirectories() throws IOException {
        List<DirMeta> all = new ArrayList<>(dirs.values());
        all.sort(Comparator.comparingInt((DirMeta d) -> d.path().size()).reversed());
        for (DirMeta d : all) {
            int fd;
            try {
                if (d.path().isEmpty()) {
                    fd = Native.openat(root.rootFd(), ".", Native.O_RDONLY | Native.O_DIRECTORY, 0);
                } else {
                    int parent = root.resolveDir(d.path().subList(0, d.path().size() - 1));
                    try {
                        fd = Native.openat(parent, d.path().get(d.path().size() - 1),
                                Native.O_RDONLY | Native.O_DIRECTORY | Native.O_NOFOLLOW, 0);
                    } finally {
                        Native.close(parent);
                    }
                }
            } catch (SyscallException s) {
                // Replaced by a non-directory or deleted by a later entry: its metadata went with it.
                continue;
            }
            try {
                Native.fchmod(fd, d.mode(), key(d.path()));
                if (d.mtime() != null) {
                    Instant m = d.mtime().toInstant();
                    Instant a = d.atime() != null ? d.atime().toInstant() : m;
                    Native.futimens(fd, a.getEpochSecond(), a.getNano(), m.getEpochSecond(), m.getNano(), key(d.path()));
                }
            } finally {
                Native.close(fd);
            }
        }
    }

    // ---- the tar reader ------------------------------------------------------------------

    /**
     * commons-compress's reader with two additions: the data of PAX headers and GNU long
     * names, which it holds in memory, is limited; and the raw bytes of each entry's PAX
     * header are kept, to read binary xattr values exactly.
     */
    private final class BoundedTarInputStream extends TarArchiveInputStream {
        private final int maxHeaderBytes;
        private final ByteArrayOutputStream pax = new ByteArrayOutputStream();
        private long metaRead;
        private TarArchiveEntry metaEntry;
        private int depth;

        BoundedTarInputStream(InputStream in, int maxHeaderBytes) {
            super(in, StandardCharsets.UTF_8.name());
            this.maxHeaderBytes = maxHeaderBytes;
        }

        @Override
        public TarArchiveEntry getNextEntry() throws IOException {
            if (depth++ == 0) {
                pax.reset();
            }
            TarArchiveEntry e;
            try {
                e = super.getNextEntry();
            } finally {
                depth--;
            }
            if (depth == 0) {
                currentRawXattrs = e == null ? Map.of() : PaxRecords.xattrs(pax.toByteArray());
            }
            return e;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = super.read(b, off, len);
            TarArchiveEntry cur = getCurrentEntry();
            if (n > 0 && cur != null && (cur.isPaxHeader() || cur.isGlobalPaxHeader()
                    || cur.isGNULongNameEntry() || cur.isGNULongLinkEntry())) {
                if (cur != metaEntry) {
                    metaEntry = cur;
                    metaRead = 0;
                }
                metaRead += n;
                if (metaRead > maxHeaderBytes) {
                    throw new ArchiveException(Reason.LIMIT, null, "a PAX header or GNU long name of more than "
                            + maxHeaderBytes + " bytes");
                }
                if (cur.isPaxHeader()) {
                    pax.write(b, off, n);
                }
            }
            return n;
        }
    }
}
