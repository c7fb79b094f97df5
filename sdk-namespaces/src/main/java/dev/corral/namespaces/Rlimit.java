package dev.corral.namespaces;

import java.util.Locale;
import java.util.Objects;
import java.util.Optional;

/**
 * A resource limit ({@code setrlimit(2)}) for a container's command. {@link #INFINITY} is
 * {@code RLIM_INFINITY}.
 *
 * <pre>{@code
 * Rlimit.of(Rlimit.Resource.NOFILE, 256);            // soft = hard = 256
 * Rlimit.of(Rlimit.Resource.CORE, 0, 0);
 * Rlimit.parse("nofile=256:1024");                   // the --ulimit syntax
 * }</pre>
 *
 * @param resource which limit
 * @param soft     the soft limit, 0 or more, or {@link #INFINITY}
 * @param hard     the hard limit, at least {@code soft}, or {@link #INFINITY}
 */
public record Rlimit(Resource resource, long soft, long hard) {
    /** {@code RLIM_INFINITY}. */
    public static final long INFINITY = -1L;

    /**
     * Every {@code RLIMIT_*} of Linux, numbered as on x86_64 and aarch64.
     *
     * <pre>{@code
     * Rlimit nofile = Rlimit.of(Rlimit.Resource.NOFILE, 1024, 4096);
     * Rlimit.Resource.fromName("nofile");   // Optional[NOFILE]
     * }</pre>
     */
    public enum Resource {
        /** CPU time, seconds. */ CPU,
        /** Largest file created, bytes. */ FSIZE,
        /** Data segment, bytes. */ DATA,
        /** Stack, bytes. */ STACK,
        /** Core file size, bytes. */ CORE,
        /** Resident set (ignored by Linux). */ RSS,
        /** Processes of the real user ID. */ NPROC,
        /** Open file descriptors: one more than the highest descriptor number. */ NOFILE,
        /** Locked memory, bytes. */ MEMLOCK,
        /** Address space, bytes. */ AS,
        /** File locks (ignored by Linux). */ LOCKS,
        /** Queued signals. */ SIGPENDING,
        /** POSIX message queue bytes. */ MSGQUEUE,
        /** Nice ceiling, 20 - value. */ NICE,
        /** Real-time priority ceiling. */ RTPRIO,
        /** Real-time CPU time without blocking, microseconds. */ RTTIME;

        /** @return the {@code RLIMIT_*} number */
        public int number() {
            return ordinal();
        }

        /** @param name {@code nofile}, {@code RLIMIT_NOFILE}, any case @return the resource, if any */
        public static Optional<Resource> fromName(String name) {
            String n = name.trim().toUpperCase(Locale.ROOT);
            if (n.startsWith("RLIMIT_")) {
                n = n.substring(7);
            }
            for (Resource r : values()) {
                if (r.name().equals(n)) {
                    return Optional.of(r);
                }
            }
            return Optional.empty();
        }
    }

    /** Checks soft &lt;= hard, both 0 or more or infinity. */
    public Rlimit {
        Objects.requireNonNull(resource, "resource");
        if ((soft < 0 && soft != INFINITY) || (hard < 0 && hard != INFINITY)) {
            throw new IllegalArgumentException(resource + ": limits must be 0 or more, or INFINITY");
        }
        if (Long.compareUnsigned(soft, hard) > 0) {
            throw new IllegalArgumentException(resource + ": soft limit " + text(soft) + " is above the hard limit "
                    + text(hard));
        }
    }

    /** @param resource which @param both soft and hard @return the limit */
    public static Rlimit of(Resource resource, long both) {
        return new Rlimit(resource, both, both);
    }

    /** @param resource which @param soft soft @param hard hard @return the limit */
    public static Rlimit of(Resource resource, long soft, long hard) {
        return new Rlimit(resource, soft, hard);
    }

    /**
     * @param spec {@code NAME=SOFT[:HARD]}, values a number or {@code unlimited}
     * @return the limit
     * @throws IllegalArgumentException if it does not parse
     */
    public static Rlimit parse(String spec) {
        int eq = spec.indexOf('=');
        if (eq < 0) {
            throw new IllegalArgumentException("expected NAME=SOFT[:HARD], not '" + spec + "'");
        }
        Resource r = Resource.fromName(spec.substring(0, eq)).orElseThrow(() -> new IllegalArgumentException(
                "unknown resource '" + spec.substring(0, eq) + "'; one of " + java.util.Arrays.toString(Resource.values())));
        String[] v = spec.substring(eq + 1).split(":", -1);
        if (v.length > 2) {
            throw new IllegalArgumentException("expected NAME=SOFT[:HARD], not '" + spec + "'");
        }
        long soft = value(v[0]);
        return new Rlimit(r, soft, v.length == 2 ? value(v[1]) : soft);
    }

    private static long value(String s) {
        String t = s.trim();
        if (t.equals("unlimited") || t.equals("-1")) {
            return INFINITY;
        }
        try {
            return Long.parseLong(t);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("'" + s + "' is not a number or 'unlimited'");
        }
    }

    private static String text(long v) {
        return v == INFINITY ? "unlimited" : Long.toString(v);
    }

    @Override
    public String toString() {
        return resource.name().toLowerCase(Locale.ROOT) + "=" + text(soft) + ":" + text(hard);
    }
}
