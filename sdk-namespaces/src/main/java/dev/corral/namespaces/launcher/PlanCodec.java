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
import java.util.Optional;
import java.util.OptionalInt;

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
        // Loops and ifs, not lambdas: each lambda is linked on its first use, and a short CLI
        // run encodes one plan.
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
        w.strRecord(TAG_HOSTNAME, plan.hostname());
        w.u32Record(TAG_LOOPBACK, plan.loopback() ? 1 : 0);
        for (int fd = 0; fd < 3; fd++) {
            StdioOp s = plan.stdio().get(fd);
            ByteBuffer v = Writer.buffer(16 + Writer.strSize(s.path()));
            v.putInt(fd).putInt(s.kind().wire).putInt(s.openFlags()).putInt(s.mode());
            Writer.putStr(v, s.path());
            w.record(TAG_STDIO, v);
        }
        for (var a : plan.argv()) {
            w.strRecord(TAG_ARG, a);
        }
        for (var e : plan.env()) {
            w.strRecord(TAG_ENV, e);
        }
        w.strRecord(TAG_SEARCH_PATH, plan.searchPath());
        w.strRecord(TAG_CWD, plan.cwd());
        if (plan.user().isPresent()) {
            var u = plan.user().get();
            w.record(TAG_USER, Writer.buffer(8).putInt(u.uid()).putInt(u.gid()));
            w.u32Records(TAG_GROUP, u.groups());
        }
        for (RlimitOp r : plan.rlimits()) {
            w.record(TAG_RLIMIT, Writer.buffer(20).putInt(r.resource()).putLong(r.soft()).putLong(r.hard()));
        }
        w.u32Record(TAG_NO_NEW_PRIVS, plan.noNewPrivs() ? 1 : 0);
        if (plan.seccomp().isPresent()) {
            w.record(TAG_SECCOMP, ByteBuffer.wrap(plan.seccomp().get().program()).position(plan.seccomp().get().program().length));
        }
        w.u32Record(TAG_UMASK, plan.umask());
        w.u32Records(TAG_FD_WRITE_ZERO, plan.writeZero());
        w.strRecord(TAG_UID_MAP, plan.uidMap());
        w.strRecord(TAG_GID_MAP, plan.gidMap());
        if (plan.capabilities().isPresent()) {
            var c = plan.capabilities().get();
            w.record(TAG_CAPS, Writer.buffer(40).putLong(c.bounding())
                    .putLong(c.effective()).putLong(c.permitted()).putLong(c.inheritable()).putLong(c.ambient()));
        }
        w.u32Record(TAG_DENY_SETGROUPS, plan.denySetgroups() ? 1 : 0);
        w.strRecord(TAG_UID_MAP_TOOL, plan.uidMapTool());
        w.strRecord(TAG_GID_MAP_TOOL, plan.gidMapTool());
        w.u32Record(TAG_EXEC_FD, plan.execFd());
        if (plan.cloneIntoCgroup().isPresent()) {
            w.record(TAG_FD_CLONE_INTO_CGROUP, Writer.buffer(8).putInt(plan.cloneIntoCgroup().get().directory()).putInt(plan.cloneIntoCgroup().get().procs()));
        }
        w.u32Records(TAG_FD_READ_AT_REAP, plan.readAtReap());
        w.u32Records(TAG_FD_ZERO_AT_REAP, plan.zeroAtReap());
        for (var o : plan.setns()) {
            w.record(TAG_SETNS, Writer.buffer(8).putInt(o.descriptor()).putInt(o.nstype()));
        }
        w.u32Records(TAG_FD_ATTACH_IN_STAGING, plan.attachInStaging());
        if (plan.commandParentDeath()) {
            w.u32Record(TAG_COMMAND_PARENT_DEATH, 1);
        }
        for (var t : plan.mountTrees()) {
            w.record(TAG_FD_MOUNT_TREE, Writer.buffer(8).putInt(t.mount()).putInt(t.descriptor()));
        }
        w.u32Records(TAG_FD_IDMAP, plan.idmap());
        if (plan.ttyPair().isPresent()) {
            w.record(TAG_FD_TTY, Writer.buffer(8).putInt(plan.ttyPair().get().master()).putInt(plan.ttyPair().get().slave()));
        }
        w.u32Record(TAG_FD_GATE, plan.gate());
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
                    case TAG_COMMAND_PARENT_DEATH -> b.commandParentDeath(v.getInt() != 0);
                    case TAG_FD_MOUNT_TREE -> b.mountTree(new LaunchPlan.MountTree(v.getInt(), v.getInt()));
                    case TAG_FD_IDMAP -> b.idmap(v.getInt());
                    case TAG_FD_TTY -> b.ttyPair(new LaunchPlan.TtyPair(v.getInt(), v.getInt()));
                    case TAG_FD_GATE -> b.gate(v.getInt());
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
     * The plan as {@code corral-launcher --describe-plan} prints it after decoding its wire
     * form: a line per record, by tag (in the order given within one tag), each the tag's
     * number and then its fields in the order of the tag's shape in {@code wire.def}, a number in
     * unsigned decimal, a string (without its NUL) or bytes in hex after an {@code x}. Built from
     * the plan's values, not from its bytes, so that the launcher's decoding is checked against
     * what each value means.
     *
     * @param plan a plan
     * @return the text
     */
    public static String describe(LaunchPlan plan) {
        java.util.TreeMap<Integer, List<List<Object>>> records = new java.util.TreeMap<>();
        java.util.function.BiConsumer<Integer, List<Object>> add =
                (tag, fields) -> records.computeIfAbsent(tag, t -> new ArrayList<>()).add(fields);
        add.accept(TAG_VERSION, List.of(VERSION));
        add.accept(TAG_CLONE_FLAGS, List.of(plan.cloneFlags()));
        add.accept(TAG_COMMAND_AS_PID1, List.of(plan.commandAsPid1() ? 1 : 0));
        add.accept(TAG_STAGING, List.of(plan.stagingDir()));
        plan.mounts().forEach(m -> add.accept(TAG_MOUNT, List.of(m.kind().wire, m.flags(), m.mode(), m.major(), m.minor(),
                m.source(), m.target(), m.data())));
        add.accept(TAG_ROOT_READONLY, List.of(plan.rootReadOnly() ? 1 : 0));
        plan.hostname().ifPresent(h -> add.accept(TAG_HOSTNAME, List.of(h)));
        add.accept(TAG_LOOPBACK, List.of(plan.loopback() ? 1 : 0));
        for (int fd = 0; fd < 3; fd++) {
            StdioOp o = plan.stdio().get(fd);
            add.accept(TAG_STDIO, List.of(fd, o.kind().wire, o.openFlags(), o.mode(), o.path()));
        }
        plan.argv().forEach(a -> add.accept(TAG_ARG, List.of(a)));
        plan.env().forEach(e -> add.accept(TAG_ENV, List.of(e)));
        plan.searchPath().ifPresent(p -> add.accept(TAG_SEARCH_PATH, List.of(p)));
        plan.cwd().ifPresent(c -> add.accept(TAG_CWD, List.of(c)));
        plan.user().ifPresent(u -> {
            add.accept(TAG_USER, List.of(u.uid(), u.gid()));
            u.groups().forEach(g -> add.accept(TAG_GROUP, List.of(g)));
        });
        plan.rlimits().forEach(r -> add.accept(TAG_RLIMIT, List.of(r.resource(), r.soft(), r.hard())));
        add.accept(TAG_NO_NEW_PRIVS, List.of(plan.noNewPrivs() ? 1 : 0));
        plan.seccomp().ifPresent(p -> add.accept(TAG_SECCOMP, List.of(p.program())));
        plan.umask().ifPresent(u -> add.accept(TAG_UMASK, List.of(u)));
        plan.uidMap().ifPresent(m -> add.accept(TAG_UID_MAP, List.of(m)));
        plan.gidMap().ifPresent(m -> add.accept(TAG_GID_MAP, List.of(m)));
        plan.capabilities().ifPresent(c -> add.accept(TAG_CAPS, List.of(c.bounding(), c.effective(), c.permitted(),
                c.inheritable(), c.ambient())));
        add.accept(TAG_DENY_SETGROUPS, List.of(plan.denySetgroups() ? 1 : 0));
        plan.uidMapTool().ifPresent(t -> add.accept(TAG_UID_MAP_TOOL, List.of(t)));
        plan.gidMapTool().ifPresent(t -> add.accept(TAG_GID_MAP_TOOL, List.of(t)));
        plan.execFd().ifPresent(fd -> add.accept(TAG_EXEC_FD, List.of(fd)));
        plan.writeZero().forEach(i -> add.accept(TAG_FD_WRITE_ZERO, List.of(i)));
        plan.cloneIntoCgroup().ifPresent(c -> add.accept(TAG_FD_CLONE_INTO_CGROUP, List.of(c.directory(), c.procs())));
        plan.readAtReap().forEach(i -> add.accept(TAG_FD_READ_AT_REAP, List.of(i)));
        plan.zeroAtReap().forEach(i -> add.accept(TAG_FD_ZERO_AT_REAP, List.of(i)));
        plan.setns().forEach(o -> add.accept(TAG_SETNS, List.of(o.descriptor(), o.nstype())));
        plan.attachInStaging().forEach(i -> add.accept(TAG_FD_ATTACH_IN_STAGING, List.of(i)));
        if (plan.commandParentDeath()) {
            add.accept(TAG_COMMAND_PARENT_DEATH, List.of(1));
        }
        plan.mountTrees().forEach(t -> add.accept(TAG_FD_MOUNT_TREE, List.of(t.mount(), t.descriptor())));
        plan.idmap().forEach(i -> add.accept(TAG_FD_IDMAP, List.of(i)));
        plan.ttyPair().ifPresent(t -> add.accept(TAG_FD_TTY, List.of(t.master(), t.slave())));
        plan.gate().ifPresent(i -> add.accept(TAG_FD_GATE, List.of(i)));
        StringBuilder s = new StringBuilder();
        records.forEach((tag, list) -> list.forEach(fields -> {
            String shape = tagShape(tag);
            s.append(tag);
            for (int k = 0; k < fields.size(); k++) {
                Object f = fields.get(k);
                if (k >= shape.length() || !(f instanceof Integer ? "uf" : f instanceof Long ? "l" : f instanceof String ? "sw" : "b")
                        .contains(shape.substring(k, k + 1))) {
                    throw new IllegalStateException("tag " + tag + ": " + fields + " does not fit its shape " + shape);
                }
                s.append(' ').append(f instanceof Integer i ? Integer.toUnsignedString(i)
                        : f instanceof Long l ? Long.toUnsignedString(l)
                        : "x" + java.util.HexFormat.of().formatHex(f instanceof byte[] b ? b
                                : ((String) f).getBytes(StandardCharsets.UTF_8)));
            }
            s.append('\n');
        }));
        return s.toString();
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

        /* Optional values and lists as overloads, not lambdas: a short-lived CLI pays for linking
           each lambda of the plan's path on its first run */

        void strRecord(int tag, Optional<String> value) {
            if (value.isPresent()) {
                strRecord(tag, value.get());
            }
        }

        void u32Record(int tag, OptionalInt value) {
            if (value.isPresent()) {
                u32Record(tag, value.getAsInt());
            }
        }

        void u32Records(int tag, List<Integer> values) {
            for (int v : values) {
                u32Record(tag, v);
            }
        }
    }
}
