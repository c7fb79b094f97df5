package dev.corral.namespaces.launcher;

import static dev.corral.namespaces.launcher.Wire.*;

import dev.corral.namespaces.launcher.LaunchPlan.CapabilitySets;
import dev.corral.namespaces.launcher.LaunchPlan.MountOp;
import dev.corral.namespaces.launcher.LaunchPlan.RlimitOp;
import dev.corral.namespaces.launcher.LaunchPlan.SeccompBytes;
import dev.corral.namespaces.launcher.LaunchPlan.StdioOp;
import dev.corral.namespaces.launcher.LaunchPlan.UserIds;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The launch plan's wire format, version {@value #VERSION}: the only writer; the launcher's
 * {@code plan.c} is the only reader. A plan is a sequence of records, each a little-endian
 * {@code u16} tag, a {@code u32} length and the value; a string is a {@code u32} length
 * (counting a final NUL) and UTF-8 bytes ending in NUL; a standalone string record's value is
 * just the bytes and the NUL. The tags are defined in {@code wire.def}, with every other wire constant. {@link #describe}
 * prints the same text as {@code corral-launcher --describe-plan}, so tests can check both
 * sides agree. The plan's descriptors are not in its bytes: they travel beside it
 * ({@code SCM_RIGHTS}), and the message that carries the plan says how many.
 *
 * <pre>{@code
 * byte[] wire = PlanCodec.encode(plan);
 * PlanCodec.decode(wire, plan.descriptors()).equals(plan);   // true
 * }</pre>
 */
public final class PlanCodec {
    /** The plan format version; the launcher refuses any other. */
    public static final int VERSION = Wire.VERSION;

    private PlanCodec() {}

    /**
     * @param plan the plan
     * @return its wire form
     * @throws IllegalArgumentException if a string holds a NUL character
     */
    public static byte[] encode(LaunchPlan plan) {
        Writer w = new Writer();
        w.u32Record(TAG_VERSION, VERSION);
        w.u32Record(TAG_CLONE_FLAGS, plan.cloneFlags());
        w.u32Record(TAG_COMMAND_AS_PID1, plan.commandAsPid1() ? 1 : 0);
        w.strRecord(TAG_STAGING, plan.stagingDir());
        for (MountOp m : plan.mounts()) {
            ByteBuffer v = Writer.buffer(20 + Writer.strSize(m.source()) + Writer.strSize(m.target()) + Writer.strSize(m.data()));
            v.putInt(m.kind().wire).putInt(m.flags()).putInt(m.mode()).putInt(m.major()).putInt(m.minor());
            Writer.putStr(v, m.source());
            Writer.putStr(v, m.target());
            Writer.putStr(v, m.data());
            w.record(TAG_MOUNT, v);
        }
        w.u32Record(TAG_ROOT_READONLY, plan.rootReadOnly() ? 1 : 0);
        plan.hostname().ifPresent(h -> w.strRecord(TAG_HOSTNAME, h));
        w.u32Record(TAG_LOOPBACK, plan.loopback() ? 1 : 0);
        for (int fd = 0; fd < 3; fd++) {
            StdioOp s = plan.stdio().get(fd);
            ByteBuffer v = Writer.buffer(16 + Writer.strSize(s.path()));
            v.putInt(fd).putInt(s.kind().wire).putInt(s.openFlags()).putInt(s.mode());
            Writer.putStr(v, s.path());
            w.record(TAG_STDIO, v);
        }
        plan.argv().forEach(a -> w.strRecord(TAG_ARG, a));
        plan.env().forEach(e -> w.strRecord(TAG_ENV, e));
        plan.searchPath().ifPresent(p -> w.strRecord(TAG_SEARCH_PATH, p));
        plan.cwd().ifPresent(c -> w.strRecord(TAG_CWD, c));
        plan.user().ifPresent(u -> {
            w.record(TAG_USER, Writer.buffer(8).putInt(u.uid()).putInt(u.gid()));
            u.groups().forEach(g -> w.u32Record(TAG_GROUP, g));
        });
        for (RlimitOp r : plan.rlimits()) {
            w.record(TAG_RLIMIT, Writer.buffer(20).putInt(r.resource()).putLong(r.soft()).putLong(r.hard()));
        }
        w.u32Record(TAG_NO_NEW_PRIVS, plan.noNewPrivs() ? 1 : 0);
        plan.seccomp().ifPresent(s -> w.record(TAG_SECCOMP, ByteBuffer.wrap(s.program()).position(s.program().length)));
        plan.umask().ifPresent(u -> w.u32Record(TAG_UMASK, u));
        plan.writeZero().forEach(i -> w.u32Record(TAG_FD_WRITE_ZERO, i));
        plan.uidMap().ifPresent(m -> w.strRecord(TAG_UID_MAP, m));
        plan.gidMap().ifPresent(m -> w.strRecord(TAG_GID_MAP, m));
        plan.capabilities().ifPresent(c -> w.record(TAG_CAPS, Writer.buffer(40).putLong(c.bounding())
                .putLong(c.effective()).putLong(c.permitted()).putLong(c.inheritable()).putLong(c.ambient())));
        w.u32Record(TAG_DENY_SETGROUPS, plan.denySetgroups() ? 1 : 0);
        plan.uidMapTool().ifPresent(t -> w.strRecord(TAG_UID_MAP_TOOL, t));
        plan.gidMapTool().ifPresent(t -> w.strRecord(TAG_GID_MAP_TOOL, t));
        plan.execFd().ifPresent(fd -> w.u32Record(TAG_EXEC_FD, fd));
        plan.cloneIntoCgroup().ifPresent(c -> w.record(TAG_FD_CLONE_INTO_CGROUP, Writer.buffer(8).putInt(c.directory()).putInt(c.procs())));
        plan.readAtReap().forEach(i -> w.u32Record(TAG_FD_READ_AT_REAP, i));
        plan.zeroAtReap().forEach(i -> w.u32Record(TAG_FD_ZERO_AT_REAP, i));
        plan.setns().forEach(o -> w.record(TAG_SETNS, Writer.buffer(8).putInt(o.descriptor()).putInt(o.nstype())));
        plan.attachInStaging().forEach(i -> w.u32Record(TAG_FD_ATTACH_IN_STAGING, i));
        return w.out.toByteArray();
    }

    /**
     * Reads a plan back; used by tests, and by anyone debugging the wire.
     *
     * @param wire a plan's wire form
     * @return the plan
     * @throws IllegalArgumentException if the bytes are not a plan of this version
     */
    public static LaunchPlan decode(byte[] wire) {
        return decode(wire, List.of());
    }

    /**
     * Reads a plan back with the descriptors that travelled beside it.
     *
     * @param wire        a plan's wire form
     * @param descriptors its descriptors, in order
     * @return the plan
     * @throws IllegalArgumentException if the bytes are not a plan of this version
     */
    public static LaunchPlan decode(byte[] wire, List<Integer> descriptors) {
        ByteBuffer in = ByteBuffer.wrap(wire).order(ByteOrder.LITTLE_ENDIAN);
        LaunchPlan.Builder b = LaunchPlan.builder();
        descriptors.forEach(b::descriptor);
        List<String> argv = new ArrayList<>();
        List<String> env = new ArrayList<>();
        List<Integer> groups = new ArrayList<>();
        int[] user = null;
        int version = -1;
        try {
            while (in.hasRemaining()) {
                int tag = Short.toUnsignedInt(in.getShort());
                int len = in.getInt();
                ByteBuffer v = in.slice(in.position(), len).order(ByteOrder.LITTLE_ENDIAN);
                in.position(in.position() + len);
                switch (tag) {
                    case TAG_VERSION -> version = v.getInt();
                    case TAG_CLONE_FLAGS -> b.cloneFlags(v.getInt());
                    case TAG_COMMAND_AS_PID1 -> b.commandAsPid1(v.getInt() != 0);
                    case TAG_STAGING -> b.stagingDir(wholeStr(v));
                    case TAG_MOUNT -> b.mount(new MountOp(MountOp.Kind.fromWire(v.getInt()), v.getInt(), v.getInt(),
                            v.getInt(), v.getInt(), str(v), str(v), str(v)));
                    case TAG_ROOT_READONLY -> b.rootReadOnly(v.getInt() != 0);
                    case TAG_HOSTNAME -> b.hostname(wholeStr(v));
                    case TAG_LOOPBACK -> b.loopback(v.getInt() != 0);
                    case TAG_STDIO -> {
                        int fd = v.getInt();
                        b.stdio(fd, new StdioOp(StdioOp.Kind.fromWire(v.getInt()), v.getInt(), v.getInt(), str(v)));
                    }
                    case TAG_ARG -> argv.add(wholeStr(v));
                    case TAG_ENV -> env.add(wholeStr(v));
                    case TAG_SEARCH_PATH -> b.searchPath(wholeStr(v));
                    case TAG_CWD -> b.cwd(wholeStr(v));
                    case TAG_USER -> user = new int[] {v.getInt(), v.getInt()};
                    case TAG_GROUP -> groups.add(v.getInt());
                    case TAG_RLIMIT -> b.rlimit(new RlimitOp(v.getInt(), v.getLong(), v.getLong()));
                    case TAG_NO_NEW_PRIVS -> b.noNewPrivs(v.getInt() != 0);
                    case TAG_SECCOMP -> {
                        byte[] p = new byte[len];
                        v.get(p);
                        b.seccomp(new SeccompBytes(p));
                    }
                    case TAG_UMASK -> b.umask(v.getInt());
                    case TAG_FD_WRITE_ZERO -> b.writeZero(v.getInt());
                    case TAG_UID_MAP -> b.uidMap(wholeStr(v));
                    case TAG_GID_MAP -> b.gidMap(wholeStr(v));
                    case TAG_CAPS -> b.capabilities(new CapabilitySets(v.getLong(), v.getLong(), v.getLong(),
                            v.getLong(), v.getLong()));
                    case TAG_DENY_SETGROUPS -> b.denySetgroups(v.getInt() != 0);
                    case TAG_UID_MAP_TOOL -> b.uidMapTool(wholeStr(v));
                    case TAG_GID_MAP_TOOL -> b.gidMapTool(wholeStr(v));
                    case TAG_EXEC_FD -> b.execFd(v.getInt());
                    case TAG_FD_CLONE_INTO_CGROUP -> b.cloneIntoCgroup(new LaunchPlan.CgroupClone(v.getInt(), v.getInt()));
                    case TAG_FD_READ_AT_REAP -> b.readAtReap(v.getInt());
                    case TAG_FD_ZERO_AT_REAP -> b.zeroAtReap(v.getInt());
                    case TAG_SETNS -> b.setns(new LaunchPlan.SetnsOp(v.getInt(), v.getInt()));
                    case TAG_FD_ATTACH_IN_STAGING -> b.attachInStaging(v.getInt());
                    default -> throw new IllegalArgumentException("unknown plan tag " + tag);
                }
            }
        } catch (java.nio.BufferUnderflowException | IndexOutOfBoundsException e) {
            throw new IllegalArgumentException("truncated plan", e);
        }
        if (version != VERSION) {
            throw new IllegalArgumentException("plan version " + version + ", expected " + VERSION);
        }
        if (user != null) {
            b.user(new UserIds(user[0], user[1], groups));
        }
        return b.argv(argv).env(env).build();
    }

    /**
     * @param plan a plan
     * @return the canonical text that {@code corral-launcher --describe-plan} prints for it
     */
    public static String describe(LaunchPlan plan) {
        StringBuilder s = new StringBuilder();
        s.append("version ").append(VERSION).append('\n');
        s.append("clone_flags 0x").append(Integer.toHexString(plan.cloneFlags())).append('\n');
        s.append("command_as_pid1 ").append(plan.commandAsPid1() ? 1 : 0).append('\n');
        s.append("root_readonly ").append(plan.rootReadOnly() ? 1 : 0).append('\n');
        s.append("loopback ").append(plan.loopback() ? 1 : 0).append('\n');
        s.append("no_new_privs ").append(plan.noNewPrivs() ? 1 : 0).append('\n');
        s.append("staging ").append(quoted(plan.stagingDir())).append('\n');
        s.append("hostname ").append(quoted(plan.hostname().orElse(null))).append('\n');
        s.append("search_path ").append(quoted(plan.searchPath().orElse(null))).append('\n');
        s.append("cwd ").append(quoted(plan.cwd().orElse(null))).append('\n');
        s.append("uid_map ").append(quoted(plan.uidMap().orElse(null))).append('\n');
        s.append("gid_map ").append(quoted(plan.gidMap().orElse(null))).append('\n');
        for (MountOp m : plan.mounts()) {
            s.append("mount ").append(m.kind().wire).append(" flags ").append(Integer.toUnsignedString(m.flags()))
                    .append(" mode ").append(Integer.toOctalString(m.mode()))
                    .append(" dev ").append(Integer.toUnsignedString(m.major())).append(':')
                    .append(Integer.toUnsignedString(m.minor()))
                    .append(" source ").append(quoted(m.source())).append(" target ").append(quoted(m.target()))
                    .append(" data ").append(quoted(m.data())).append('\n');
        }
        for (int fd = 0; fd < 3; fd++) {
            StdioOp o = plan.stdio().get(fd);
            s.append("stdio ").append(fd).append(" kind ").append(o.kind().wire)
                    .append(" flags 0x").append(Integer.toHexString(o.openFlags()))
                    .append(" mode ").append(Integer.toOctalString(o.mode()))
                    .append(" path ").append(quoted(o.path())).append('\n');
        }
        plan.argv().forEach(a -> s.append("arg ").append(quoted(a)).append('\n'));
        plan.env().forEach(e -> s.append("env ").append(quoted(e)).append('\n'));
        plan.user().ifPresent(u -> {
            s.append("user ").append(Integer.toUnsignedString(u.uid())).append(' ')
                    .append(Integer.toUnsignedString(u.gid())).append('\n');
            u.groups().forEach(g -> s.append("group ").append(Integer.toUnsignedString(g)).append('\n'));
        });
        for (RlimitOp r : plan.rlimits()) {
            s.append("rlimit ").append(Integer.toUnsignedString(r.resource())).append(" soft ")
                    .append(Long.toUnsignedString(r.soft())).append(" hard ").append(Long.toUnsignedString(r.hard()))
                    .append('\n');
        }
        plan.umask().ifPresent(u -> s.append("umask ").append(Integer.toOctalString(u)).append('\n'));
        plan.writeZero().forEach(i -> s.append("fd_write_zero ").append(i).append('\n'));
        plan.seccomp().ifPresent(p -> s.append("seccomp ").append(p.program().length / 8).append(" instructions\n"));
        plan.capabilities().ifPresent(c -> s.append("caps bounding 0x").append(Long.toHexString(c.bounding()))
                .append(" effective 0x").append(Long.toHexString(c.effective()))
                .append(" permitted 0x").append(Long.toHexString(c.permitted()))
                .append(" inheritable 0x").append(Long.toHexString(c.inheritable()))
                .append(" ambient 0x").append(Long.toHexString(c.ambient())).append('\n'));
        s.append("deny_setgroups ").append(plan.denySetgroups() ? 1 : 0).append('\n');
        plan.uidMapTool().ifPresent(t -> s.append("uid_map_tool ").append(quoted(t)).append('\n'));
        plan.gidMapTool().ifPresent(t -> s.append("gid_map_tool ").append(quoted(t)).append('\n'));
        plan.execFd().ifPresent(fd -> s.append("exec_fd ").append(Integer.toUnsignedString(fd)).append('\n'));
        plan.cloneIntoCgroup().ifPresent(c -> s.append("fd_clone_into_cgroup ").append(c.directory()).append(' ')
                .append(c.procs()).append('\n'));
        plan.readAtReap().forEach(i -> s.append("fd_read_at_reap ").append(i).append('\n'));
        plan.zeroAtReap().forEach(i -> s.append("fd_zero_at_reap ").append(i).append('\n'));
        plan.setns().forEach(o -> s.append("setns ").append(o.descriptor()).append(" 0x")
                .append(Integer.toHexString(o.nstype())).append('\n'));
        plan.attachInStaging().forEach(i -> s.append("fd_attach_in_staging ").append(i).append('\n'));
        return s.toString();
    }

    private static String quoted(String value) {
        if (value == null) {
            return "none";
        }
        StringBuilder s = new StringBuilder("\"");
        for (byte b : value.getBytes(StandardCharsets.UTF_8)) {
            int c = b & 0xff;
            if (c == '"' || c == '\\') {
                s.append('\\').append((char) c);
            } else if (c < 0x20 || c >= 0x7f) {
                s.append(String.format("\\x%02x", c));
            } else {
                s.append((char) c);
            }
        }
        return s.append('"').toString();
    }

    private static String str(ByteBuffer v) {
        int n = v.getInt();
        byte[] b = new byte[n];
        v.get(b);
        if (n == 0 || b[n - 1] != 0) {
            throw new IllegalArgumentException("string without its final NUL");
        }
        return new String(b, 0, n - 1, StandardCharsets.UTF_8);
    }

    private static String wholeStr(ByteBuffer v) {
        byte[] b = new byte[v.remaining()];
        v.get(b);
        if (b.length == 0 || b[b.length - 1] != 0) {
            throw new IllegalArgumentException("string without its final NUL");
        }
        return new String(b, 0, b.length - 1, StandardCharsets.UTF_8);
    }

    private static final class Writer {
        final ByteArrayOutputStream out = new ByteArrayOutputStream(1024);

        static ByteBuffer buffer(int size) {
            return ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
        }

        static byte[] bytes(String s) {
            utf8Length(s);
            return s.getBytes(StandardCharsets.UTF_8);
        }

        /** The length of s in UTF-8; refuses a lone surrogate (not encodable) and NUL (a C string's end). */
        static int utf8Length(String s) {
            int n = 0;
            for (int i = 0; i < s.length(); i++) {
                char c = s.charAt(i);
                if (c == 0) {
                    throw new IllegalArgumentException("a NUL character cannot cross to the launcher: " + s.replace("\0", "\\0"));
                } else if (c < 0x80) {
                    n += 1;
                } else if (c < 0x800) {
                    n += 2;
                } else if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                    n += 4;
                    i++;
                } else if (Character.isSurrogate(c)) {
                    throw new IllegalArgumentException("not valid Unicode (a lone surrogate?): " + s);
                } else {
                    n += 3;
                }
            }
            return n;
        }

        static int strSize(String s) {
            return 4 + utf8Length(s) + 1;
        }

        static void putStr(ByteBuffer v, String s) {
            byte[] b = bytes(s);
            v.putInt(b.length + 1).put(b).put((byte) 0);
        }

        void record(int tag, ByteBuffer value) {
            int len = value.position();
            ByteBuffer head = buffer(6).putShort((short) tag).putInt(len);
            out.write(head.array(), 0, 6);
            out.write(value.array(), 0, len);
        }

        void u32Record(int tag, int value) {
            record(tag, buffer(4).putInt(value));
        }

        void strRecord(int tag, String value) {
            byte[] b = bytes(value);
            record(tag, buffer(b.length + 1).put(b).put((byte) 0));
        }
    }
}
