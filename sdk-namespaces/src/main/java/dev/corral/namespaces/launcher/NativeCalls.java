package dev.corral.namespaces.launcher;

import com.kenai.jffi.CallContext;
import com.kenai.jffi.CallingConvention;
import com.kenai.jffi.Invoker;
import com.kenai.jffi.LastError;
import com.kenai.jffi.Library;
import com.kenai.jffi.MemoryIO;
import com.kenai.jffi.Type;

/**
 * The libc functions that starting the launcher and handing it a plan need from the JVM: the
 * launcher's sealed memfd, the descriptor socket, {@code open_tree} and {@code mount_setattr},
 * a terminal's pair.
 * They are called through jffi directly, not bound as a jnr-ffi interface: jnr-ffi generates an
 * interface's implementation with ASM (and x86 call stubs) when it is loaded, classes that no CDS
 * archive can keep, which cost every start of a short-lived command line tens of milliseconds of
 * CPU on the launcher's path. Every argument travels as a C {@code long} (a pointer, or an
 * {@code int} sign-extended: the x86_64 and aarch64 calling conventions pass both in a register
 * whose low half an {@code int} parameter reads); each result is typed as C declares it, so that
 * an {@code int} result keeps its sign. errno is saved after every call.
 *
 * <pre>{@code
 * long fd = NativeCalls.SOCKET.call(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
 * if (fd < 0) {
 *     throw new IOException("socket: " + Errno.name(NativeCalls.errno()));
 * }
 * }</pre>
 */
final class NativeCalls {
    private NativeCalls() {}

    /** Flags and errno values more than one caller in this package passes or checks (x86_64 and aarch64 alike). */
    static final int O_CLOEXEC = 0x80000;
    static final int EINTR = 4;

    private static final Invoker INVOKER = Invoker.getInstance();
    private static final MemoryIO MEMORY = MemoryIO.getInstance();

    static final Function CLOSE = function("close", Type.SINT, 1);
    static final Function WRITE = function("write", Type.SINT64, 3);
    static final Function FCNTL = function("fcntl", Type.SINT, 3);
    static final Function PIPE2 = function("pipe2", Type.SINT, 2);
    static final Function READ = function("read", Type.SINT64, 3);
    static final Function POLL = function("poll", Type.SINT, 3);
    static final Function MEMFD_CREATE = function("memfd_create", Type.SINT, 2);
    static final Function SOCKET = function("socket", Type.SINT, 3);
    static final Function BIND = function("bind", Type.SINT, 3);
    static final Function LISTEN = function("listen", Type.SINT, 2);
    static final Function ACCEPT4 = function("accept4", Type.SINT, 4);
    static final Function RECV = function("recv", Type.SINT64, 4);
    static final Function SENDMSG = function("sendmsg", Type.SINT64, 3);
    static final Function RECVMSG = function("recvmsg", Type.SINT64, 3);
    static final Function POSIX_OPENPT = function("posix_openpt", Type.SINT, 1);
    static final Function UNLOCKPT = function("unlockpt", Type.SINT, 1);
    static final Function IOCTL = function("ioctl", Type.SINT, 3);
    /** {@code long syscall(long number, ...)}: up to five arguments after the number. */
    static final Function SYSCALL = function("syscall", Type.SINT64, 6);

    /** A libc function: its address and its call context (all arguments C longs, errno saved). */
    static final class Function {
        private final String name;
        private final long address;
        private final CallContext context;

        private Function(String name, long address, CallContext context) {
            this.name = name;
            this.address = address;
            this.context = context;
        }

        private long address() {
            if (address == 0) {
                throw new UnsatisfiedLinkError("libc has no " + name);
            }
            return address;
        }

        long call(long a) {
            return INVOKER.invokeN1(context, address(), a);
        }

        long call(long a, long b) {
            return INVOKER.invokeN2(context, address(), a, b);
        }

        long call(long a, long b, long c) {
            return INVOKER.invokeN3(context, address(), a, b, c);
        }

        long call(long a, long b, long c, long d) {
            return INVOKER.invokeN4(context, address(), a, b, c, d);
        }

        long call(long a, long b, long c, long d, long e, long f) {
            return INVOKER.invokeN6(context, address(), a, b, c, d, e, f);
        }
    }

    private static Function function(String name, Type result, int arguments) {
        Type[] parameters = new Type[arguments];
        java.util.Arrays.fill(parameters, Type.SINT64);
        return new Function(name, Library.getDefault().getSymbolAddress(name),
                CallContext.getCallContext(result, parameters, CallingConvention.DEFAULT, true));
    }

    /** @return the errno the last call on this thread left */
    static int errno() {
        return LastError.getInstance().get();
    }

    /**
     * @param bytes bytes to hand to C
     * @return native memory holding them (at least one byte), for {@link #free}
     */
    static long copyIn(byte[] bytes) {
        long memory = MEMORY.allocateMemory(Math.max(1, bytes.length), true);
        if (memory == 0) {
            throw new OutOfMemoryError("native memory for " + bytes.length + " bytes");
        }
        MEMORY.putByteArray(memory, bytes, 0, bytes.length);
        return memory;
    }

    /** @param memory native memory from {@link #copyIn} @param into where its first bytes go back */
    static void copyOut(long memory, byte[] into) {
        MEMORY.getByteArray(memory, into, 0, into.length);
    }

    /** @param memory native memory from {@link #copyIn}, or 0 */
    static void free(long memory) {
        if (memory != 0) {
            MEMORY.freeMemory(memory);
        }
    }

    /** @param buffer a direct buffer @return its address, for as long as the buffer is reachable */
    static long address(java.nio.ByteBuffer buffer) {
        return MEMORY.getDirectBufferAddress(buffer);
    }
}
