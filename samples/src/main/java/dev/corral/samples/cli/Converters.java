package dev.corral.samples.cli;

import dev.corral.Mount;
import dev.corral.cgroups.Controller;
import dev.corral.unit.DataSize;
import java.math.BigDecimal;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/** picocli converters for corral's option values; each names what it accepts when it refuses. */
final class Converters {
    private Converters() {}

    /** {@code 500ms}, {@code 2s}, {@code 1.5s}, {@code 1m}, {@code 1h}: a positive duration with a unit. */
    static final class DurationConverter implements ITypeConverter<Duration> {
        private static final Pattern TEXT = Pattern.compile("(\\d+(?:\\.\\d+)?)(ns|us|ms|s|m|h)");

        @Override
        public Duration convert(String value) {
            Matcher m = TEXT.matcher(value.trim().toLowerCase(Locale.ROOT));
            if (!m.matches()) {
                throw new TypeConversionException("'" + value
                        + "' is not a duration: give a number and a unit ms, s, m or h, e.g. 500ms, 2s, 1.5s, 1m");
            }
            long nanosPerUnit = switch (m.group(2)) {
                case "ns" -> 1L;
                case "us" -> 1_000L;
                case "ms" -> 1_000_000L;
                case "s" -> 1_000_000_000L;
                case "m" -> 60_000_000_000L;
                default -> 3_600_000_000_000L;
            };
            BigDecimal nanos = new BigDecimal(m.group(1)).multiply(BigDecimal.valueOf(nanosPerUnit));
            if (nanos.compareTo(BigDecimal.valueOf(Long.MAX_VALUE)) > 0) {
                throw new TypeConversionException("'" + value + "' is too long a duration");
            }
            Duration d = Duration.ofNanos(nanos.longValue());
            if (d.isZero()) {
                throw new TypeConversionException("'" + value + "' must be more than zero");
            }
            return d;
        }
    }

    /** A size as {@link DataSize#parse} reads it: {@code 4096}, {@code 64k}, {@code 256m}, {@code 1.5g}, {@code 2GiB}. */
    static final class DataSizeConverter implements ITypeConverter<DataSize> {
        @Override
        public DataSize convert(String value) {
            try {
                return DataSize.parse(value);
            } catch (IllegalArgumentException | ArithmeticException e) {
                throw new TypeConversionException("'" + value
                        + "' is not a size: give a number and an optional unit k, m, g or t, e.g. 64m, 1.5g");
            }
        }
    }

    /**
     * Cgroup controllers named on the command line.
     *
     * @param controllers one, or all of them for {@code all}
     */
    record Controllers(Set<Controller> controllers) {}

    /**
     * A cgroup controller that may go unenforced: its name as {@link Controller} spells it or as
     * cgroup v1 or v2 does ({@code memory}, {@code cpu}, {@code cpuacct}, {@code cpuset},
     * {@code pids}, {@code io} or {@code blkio}, {@code freezer}), or {@code all}.
     */
    static final class ControllerConverter implements ITypeConverter<Controllers> {
        @Override
        public Controllers convert(String value) {
            String name = value.trim().toLowerCase(Locale.ROOT);
            if (name.equals("all")) {
                return new Controllers(EnumSet.allOf(Controller.class));
            }
            for (Controller c : Controller.values()) {
                if (c.name().equalsIgnoreCase(name) || c.v1Name().equals(name) || c.v2Name().filter(name::equals).isPresent()) {
                    return new Controllers(EnumSet.of(c));
                }
            }
            throw new TypeConversionException("'" + value + "' is not a cgroup controller: give "
                    + Arrays.stream(Controller.values()).map(c -> c.name().toLowerCase(Locale.ROOT))
                            .collect(Collectors.joining(", ")) + " (blkio for io), or all");
        }
    }

    /** {@code SRC:DST[:ro|rw]}: read-only unless {@code rw}; a relative SRC is resolved against the current directory. */
    static final class BindConverter implements ITypeConverter<Mount> {
        @Override
        public Mount convert(String value) {
            String[] parts = value.split(":", -1);
            if (parts.length < 2 || parts.length > 3 || parts[0].isEmpty() || parts[1].isEmpty()) {
                throw new TypeConversionException("'" + value
                        + "' is not a bind mount: give SRC:DST, SRC:DST:ro, SRC:DST:rw or SRC:DST:rw,idmap, e.g. /srv/data:/data:ro");
            }
            boolean readOnly = true, idmap = false;
            if (parts.length == 3) {
                for (String option : parts[2].split(",", -1)) {
                    switch (option) {
                        case "ro" -> readOnly = true;
                        case "rw" -> readOnly = false;
                        case "idmap" -> idmap = true;
                        default -> throw new TypeConversionException("'" + value + "': the option '" + option
                                + "' must be ro (read-only, the default), rw (read-write) or idmap (the owner is the container's user)");
                    }
                }
            }
            Path source = Path.of(parts[0]).toAbsolutePath().normalize();
            return idmap ? Mount.bindAsOwner(source, parts[1], readOnly)
                    : readOnly ? Mount.bind(source, parts[1]) : Mount.bindReadWrite(source, parts[1]);
        }
    }

    /** {@code DST[:SIZE]}, SIZE as {@link DataSize#parse}: {@code 64m}, {@code 1g}. */
    /**
     * A named volume to mount.
     *
     * @param name     the volume
     * @param target   where in the container
     * @param readOnly read-only
     */
    record VolumeSpec(String name, String target, boolean readOnly) {}

    /** {@code NAME:DST[:ro|rw]}. */
    static final class VolumeConverter implements ITypeConverter<VolumeSpec> {
        @Override
        public VolumeSpec convert(String value) {
            String[] parts = value.split(":", -1);
            if (parts.length < 2 || parts.length > 3 || parts[0].isEmpty() || parts[1].isEmpty()
                    || (parts.length == 3 && !parts[2].equals("ro") && !parts[2].equals("rw"))) {
                throw new TypeConversionException("'" + value + "' is not NAME:DST[:ro|rw] (e.g. cache:/cache)");
            }
            return new VolumeSpec(parts[0], parts[1], parts.length == 3 && parts[2].equals("ro"));
        }
    }

    static final class TmpfsConverter implements ITypeConverter<Mount> {
        @Override
        public Mount convert(String value) {
            int colon = value.indexOf(':');
            String target = colon < 0 ? value : value.substring(0, colon);
            if (target.isEmpty()) {
                throw new TypeConversionException("'" + value + "' is not a tmpfs: give DST or DST:SIZE, e.g. /scratch:64m");
            }
            if (colon < 0) {
                return Mount.tmpfs(target);
            }
            try {
                return Mount.tmpfs(target, DataSize.parse(value.substring(colon + 1)));
            } catch (IllegalArgumentException e) {
                throw new TypeConversionException("'" + value + "': " + e.getMessage());
            }
        }
    }

    /**
     * Numeric user and group IDs.
     *
     * @param uid the user ID
     * @param gid the group ID
     */
    record UserIds(int uid, int gid) {}

    /** {@code UID[:GID]}: numeric IDs; the group defaults to the user ID. */
    static final class UserConverter implements ITypeConverter<UserIds> {
        @Override
        public UserIds convert(String value) {
            String[] parts = value.split(":", -1);
            try {
                if (parts.length == 1) {
                    int uid = id(parts[0]);
                    return new UserIds(uid, uid);
                }
                if (parts.length == 2) {
                    return new UserIds(id(parts[0]), id(parts[1]));
                }
            } catch (NumberFormatException e) {
                // fall through
            }
            throw new TypeConversionException("'" + value
                    + "' is not a user: give numeric UID or UID:GID, e.g. 1000 or 1000:1000");
        }

        private static int id(String s) {
            int id = Integer.parseInt(s);
            if (id < 0) {
                throw new NumberFormatException(s);
            }
            return id;
        }
    }

    /** {@code K=V}, or {@code K} alone to pass corral's own value of K (as docker does). */
    static final class EnvConverter implements ITypeConverter<String[]> {
        @Override
        public String[] convert(String value) {
            int eq = value.indexOf('=');
            if (eq == 0 || value.isEmpty()) {
                throw new TypeConversionException("'" + value + "' is not a variable: give NAME=VALUE or NAME");
            }
            if (eq < 0) {
                String own = System.getenv(value);
                return own == null ? null : new String[] {value, own};
            }
            return new String[] {value.substring(0, eq), value.substring(eq + 1)};
        }
    }
}
