package dev.corral.namespaces.seccomp;

import dev.corral.namespaces.json.JsonTree;
import java.io.IOException;
import java.io.InputStream;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads OCI runtime-spec and Docker/podman JSON seccomp profiles into a
 * {@link SeccompProfile.Builder}, deciding their {@code includes}/{@code excludes} conditions
 * for the container's capabilities and the kernel version, the way Docker and runc do.
 *
 * <p>What is read: {@code defaultAction} and {@code defaultErrnoRet}; {@code architectures}
 * and {@code archMap} (the profile is built for the supported ones among them, all supported
 * ones when neither is given); {@code syscalls[]} with {@code names} (or the old {@code name}),
 * {@code action}, {@code errnoRet}, {@code args} and {@code includes}/{@code excludes} by
 * {@code arches}, {@code caps} and {@code minKernel}. Rules keep the file's order (the first
 * matching rule wins) and are all optional, since profiles list calls of many architectures.
 * Like runc, the {@code args} of one entry are ANDed, except that an entry comparing the same
 * argument twice becomes one rule per comparison (ORed). {@code SCMP_ACT_KILL} is libseccomp's
 * kill-thread. {@code SCMP_ACT_NOTIFY} is refused: it needs a listener. {@code flags},
 * {@code listenerPath} and comments are ignored.
 *
 * <pre>{@code
 * SeccompProfile profile = OciSeccompProfiles.reader()
 *         .capabilities(Set.of("CAP_CHOWN", "CAP_NET_BIND_SERVICE"))
 *         .read(Path.of("/usr/share/containers/seccomp.json"))
 *         .build();
 * }</pre>
 */
public final class OciSeccompProfiles {

    private static final int EPERM = 1;

    private OciSeccompProfiles() {
    }

    /** @return a reader for a container without capabilities, on the running kernel */
    public static Reader reader() {
        return new Reader(Set.of(), Optional.empty());
    }

    /**
     * An immutable reader: the capabilities and kernel version that decide a profile's
     * {@code includes} and {@code excludes}.
     *
     * <pre>{@code
     * OciSeccompProfiles.Reader r = OciSeccompProfiles.reader().capabilities(Set.of("CAP_SYS_ADMIN")).kernelVersion("5.15");
     * SeccompProfile.Builder b = r.parse(json);
     * }</pre>
     */
    public static final class Reader {
        private final Set<String> capabilities;
        private final Optional<String> kernelVersion;

        private Reader(Set<String> capabilities, Optional<String> kernelVersion) {
            this.capabilities = Set.copyOf(capabilities);
            this.kernelVersion = kernelVersion;
        }

        /**
         * @param capabilities the container's bounding capabilities, named as in profiles
         *                     ({@code "CAP_SYS_ADMIN"}); default none
         * @return a reader with these capabilities
         */
        public Reader capabilities(Set<String> capabilities) {
            return new Reader(capabilities, kernelVersion);
        }

        /**
         * @param version the kernel release {@code minKernel} is compared with, e.g. {@code "5.15"};
         *                default: the running kernel's ({@code os.version})
         * @return a reader for this kernel
         */
        public Reader kernelVersion(String version) {
            parseKernelVersion(version); // validate early
            return new Reader(capabilities, Optional.of(version));
        }

        /**
         * @param file a JSON profile
         * @return a builder holding the profile's default action, architectures and rules
         * @throws IOException              when the file cannot be read
         * @throws IllegalArgumentException when the profile is malformed, naming the field
         */
        public SeccompProfile.Builder read(Path file) throws IOException {
            try (InputStream in = Files.newInputStream(file)) {
                return read(in);
            }
        }

        /**
         * @param in a JSON profile
         * @return a builder holding the profile's default action, architectures and rules
         * @throws IOException              when the stream cannot be read
         * @throws IllegalArgumentException when the profile is malformed, naming the field
         */
        public SeccompProfile.Builder read(InputStream in) throws IOException {
            try {
                return convert(JsonTree.parse(in));
            } catch (JsonTree.MalformedJsonException e) {
                throw notJson(e);
            }
        }

        /**
         * @param json a JSON profile
         * @return a builder holding the profile's default action, architectures and rules
         * @throws IllegalArgumentException when the profile is malformed, naming the field
         */
        public SeccompProfile.Builder parse(String json) {
            try {
                return convert(JsonTree.parse(json));
            } catch (JsonTree.MalformedJsonException e) {
                throw notJson(e);
            }
        }

        private static IllegalArgumentException notJson(JsonTree.MalformedJsonException e) {
            return new IllegalArgumentException("seccomp profile is not valid JSON: " + e.getMessage(), e);
        }

        private SeccompProfile.Builder convert(Object root) {
            Map<String, Object> profile = object(root, "profile");
            int defaultErrno = profile.get("defaultErrnoRet") == null ? EPERM
                    : intValue(profile.get("defaultErrnoRet"), "defaultErrnoRet");
            Object defaultActionName = profile.get("defaultAction");
            if (defaultActionName == null) {
                throw new IllegalArgumentException("seccomp profile: defaultAction is missing");
            }
            SeccompAction defaultAction = action(string(defaultActionName, "defaultAction"), defaultErrno, "defaultAction");
            SeccompProfile.Builder builder = SeccompProfile.builder(defaultAction);
            EnumSet<SeccompArchitecture> arches = architectures(profile);
            builder.architectures(arches.iterator().next(), arches.toArray(SeccompArchitecture[]::new));

            int[] kernel = parseKernelVersion(kernelVersion.orElse(System.getProperty("os.version", "0.0")));
            List<Object> syscalls = profile.get("syscalls") == null ? List.of() : list(profile.get("syscalls"), "syscalls");
            for (int i = 0; i < syscalls.size(); i++) {
                String where = "syscalls[" + i + "]";
                Map<String, Object> entry = object(syscalls.get(i), where);
                addEntry(builder, entry, where, arches, kernel);
            }
            return builder;
        }

        private void addEntry(SeccompProfile.Builder builder, Map<String, Object> entry, String where,
                              EnumSet<SeccompArchitecture> profileArches, int[] kernel) {
            List<String> names = new ArrayList<>();
            if (entry.get("names") != null) {
                for (Object n : list(entry.get("names"), where + ".names")) {
                    names.add(string(n, where + ".names"));
                }
            }
            if (entry.get("name") != null) {
                names.add(string(entry.get("name"), where + ".name"));
            }
            if (entry.get("action") == null) {
                throw new IllegalArgumentException("seccomp profile: " + where + ".action is missing");
            }
            int errno = entry.get("errnoRet") == null ? EPERM : intValue(entry.get("errnoRet"), where + ".errnoRet");
            SeccompAction action = action(string(entry.get("action"), where + ".action"), errno, where + ".action");

            EnumSet<SeccompArchitecture> arches = EnumSet.copyOf(profileArches);
            Map<String, Object> includes = entry.get("includes") == null ? Map.of() : object(entry.get("includes"), where + ".includes");
            Map<String, Object> excludes = entry.get("excludes") == null ? Map.of() : object(entry.get("excludes"), where + ".excludes");
            List<String> inArches = strings(includes.get("arches"), where + ".includes.arches");
            if (!inArches.isEmpty()) {
                arches.retainAll(mapArches(inArches));
            }
            arches.removeAll(mapArches(strings(excludes.get("arches"), where + ".excludes.arches")));
            if (!capabilities.containsAll(strings(includes.get("caps"), where + ".includes.caps"))) {
                return;
            }
            for (String cap : strings(excludes.get("caps"), where + ".excludes.caps")) {
                if (capabilities.contains(cap)) {
                    return;
                }
            }
            if (includes.get("minKernel") != null) {
                int[] min = parseKernelVersion(string(includes.get("minKernel"), where + ".includes.minKernel"));
                if (compare(kernel, min) < 0) {
                    return;
                }
            }
            if (arches.isEmpty()) {
                return;
            }

            List<List<ArgCondition>> alternatives = conditions(entry.get("args"), where + ".args");
            for (String name : names) {
                for (List<ArgCondition> conds : alternatives) {
                    SyscallRule rule = new SyscallRule(name, action, conds, true,
                            arches.equals(profileArches) ? Set.of() : arches);
                    builder.rule(rule);
                }
            }
        }

        /** The entry's args as alternatives: one AND-list, or one list per arg when an index repeats. */
        private static List<List<ArgCondition>> conditions(Object args, String where) {
            if (args == null) {
                return List.of(List.of());
            }
            List<ArgCondition> all = new ArrayList<>();
            Set<Integer> indices = new HashSet<>();
            boolean repeated = false;
            List<Object> items = list(args, where);
            for (int i = 0; i < items.size(); i++) {
                String at = where + "[" + i + "]";
                Map<String, Object> a = object(items.get(i), at);
                int index = intValue(a.get("index"), at + ".index");
                if (index < 0 || index > 5) {
                    throw new IllegalArgumentException("seccomp profile: " + at + ".index must be in 0..5, was " + index);
                }
                long value = a.get("value") == null ? 0 : unsigned64(a.get("value"), at + ".value");
                long valueTwo = a.get("valueTwo") == null ? 0 : unsigned64(a.get("valueTwo"), at + ".valueTwo");
                if (a.get("op") == null) {
                    throw new IllegalArgumentException("seccomp profile: " + at + ".op is missing");
                }
                String op = string(a.get("op"), at + ".op");
                ArgCondition c;
                switch (op) {
                    case "SCMP_CMP_EQ": c = ArgCondition.eq(index, value); break;
                    case "SCMP_CMP_NE": c = ArgCondition.ne(index, value); break;
                    case "SCMP_CMP_LT": c = ArgCondition.lt(index, value); break;
                    case "SCMP_CMP_LE": c = ArgCondition.le(index, value); break;
                    case "SCMP_CMP_GT": c = ArgCondition.gt(index, value); break;
                    case "SCMP_CMP_GE": c = ArgCondition.ge(index, value); break;
                    // libseccomp: (arg & datum_a) == datum_b
                    case "SCMP_CMP_MASKED_EQ": c = ArgCondition.maskedEquals(index, value, valueTwo); break;
                    default:
                        throw new IllegalArgumentException("seccomp profile: " + at + ".op " + op
                                + " is not one of SCMP_CMP_EQ, NE, LT, LE, GT, GE, MASKED_EQ");
                }
                repeated |= !indices.add(index);
                all.add(c);
            }
            if (!repeated) {
                return List.of(all);
            }
            List<List<ArgCondition>> split = new ArrayList<>();
            all.forEach(c -> split.add(List.of(c)));
            return split;
        }

        private static EnumSet<SeccompArchitecture> architectures(Map<String, Object> profile) {
            List<String> names = new ArrayList<>(strings(profile.get("architectures"), "architectures"));
            if (profile.get("archMap") != null) {
                List<Object> map = list(profile.get("archMap"), "archMap");
                for (int i = 0; i < map.size(); i++) {
                    Map<String, Object> m = object(map.get(i), "archMap[" + i + "]");
                    if (m.get("architecture") != null) {
                        names.add(string(m.get("architecture"), "archMap[" + i + "].architecture"));
                    }
                }
            }
            if (names.isEmpty()) {
                return EnumSet.allOf(SeccompArchitecture.class);
            }
            EnumSet<SeccompArchitecture> out = mapArches(names);
            if (out.isEmpty()) {
                throw new IllegalArgumentException("seccomp profile is for " + names + " only; Corral supports "
                        + "SCMP_ARCH_X86_64 and SCMP_ARCH_AARCH64");
            }
            return out;
        }

        private static EnumSet<SeccompArchitecture> mapArches(List<String> names) {
            EnumSet<SeccompArchitecture> out = EnumSet.noneOf(SeccompArchitecture.class);
            for (String n : names) {
                SeccompArchitecture.fromName(n).ifPresent(out::add);
            }
            return out;
        }

        private static SeccompAction action(String name, int errno, String where) {
            switch (name) {
                case "SCMP_ACT_ALLOW": return SeccompAction.allow();
                case "SCMP_ACT_ERRNO": return checked(() -> SeccompAction.errno(errno), where);
                case "SCMP_ACT_KILL":
                case "SCMP_ACT_KILL_THREAD": return SeccompAction.killThread();
                case "SCMP_ACT_KILL_PROCESS": return SeccompAction.killProcess();
                case "SCMP_ACT_TRAP": return SeccompAction.trap();
                case "SCMP_ACT_TRACE": return checked(() -> SeccompAction.trace(errno), where);
                case "SCMP_ACT_LOG": return SeccompAction.log();
                case "SCMP_ACT_NOTIFY":
                    throw new IllegalArgumentException("seccomp profile: " + where
                            + " SCMP_ACT_NOTIFY needs a user-space listener, which Corral does not provide");
                default:
                    throw new IllegalArgumentException("seccomp profile: " + where + " has unknown action " + name);
            }
        }

        private static SeccompAction checked(java.util.function.Supplier<SeccompAction> s, String where) {
            try {
                return s.get();
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("seccomp profile: " + where + ": " + e.getMessage(), e);
            }
        }
    }

    // ---- kernel versions ----

    private static final Pattern VERSION = Pattern.compile("^(\\d+)(?:\\.(\\d+))?(?:\\.(\\d+))?");

    static int[] parseKernelVersion(String version) {
        Matcher m = VERSION.matcher(version.trim());
        if (!m.find()) {
            throw new IllegalArgumentException("kernel version must look like 5.15 or 6.1.0, was '" + version + "'");
        }
        int[] v = new int[3];
        for (int i = 0; i < 3; i++) {
            v[i] = m.group(i + 1) == null ? 0 : Integer.parseInt(m.group(i + 1));
        }
        return v;
    }

    private static int compare(int[] a, int[] b) {
        for (int i = 0; i < 3; i++) {
            if (a[i] != b[i]) {
                return Integer.compare(a[i], b[i]);
            }
        }
        return 0;
    }

    // ---- typed access to the tree, strict: a mistyped field names itself ----

    @SuppressWarnings("unchecked")
    private static Map<String, Object> object(Object o, String where) {
        if (!(o instanceof Map)) {
            throw new IllegalArgumentException("seccomp profile: " + where + " must be an object");
        }
        return (Map<String, Object>) o;
    }

    @SuppressWarnings("unchecked")
    private static List<Object> list(Object o, String where) {
        if (!(o instanceof List)) {
            throw new IllegalArgumentException("seccomp profile: " + where + " must be an array");
        }
        return (List<Object>) o;
    }

    private static List<String> strings(Object o, String where) {
        if (o == null) {
            return List.of();
        }
        List<String> out = new ArrayList<>();
        for (Object s : list(o, where)) {
            out.add(string(s, where));
        }
        return out;
    }

    private static String string(Object o, String where) {
        if (!(o instanceof String)) {
            throw new IllegalArgumentException("seccomp profile: " + where + " must be a string, was " + o);
        }
        return (String) o;
    }

    private static int intValue(Object o, String where) {
        if (!(o instanceof BigInteger) || ((BigInteger) o).bitLength() > 31) {
            throw new IllegalArgumentException("seccomp profile: " + where + " must be an integer, was " + o);
        }
        return ((BigInteger) o).intValue();
    }

    private static long unsigned64(Object o, String where) {
        if (!(o instanceof BigInteger) || ((BigInteger) o).signum() < 0 || ((BigInteger) o).bitLength() > 64) {
            throw new IllegalArgumentException("seccomp profile: " + where + " must be an integer in 0..2^64-1, was " + o);
        }
        return ((BigInteger) o).longValue();
    }

}
