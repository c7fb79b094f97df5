package dev.corral.namespaces.seccomp;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;

/**
 * An architecture a seccomp program can be compiled for, with its {@code AUDIT_ARCH_*} value
 * (what the kernel puts in {@code seccomp_data.arch}) and its system call table.
 *
 * <p>The tables are generated from the kernel's UAPI headers by
 * {@code src/main/syscalls/generate-syscall-tables.sh} and loaded on first use.
 *
 * <pre>{@code
 * SeccompArchitecture arch = SeccompArchitecture.host().orElseThrow();
 * arch.syscallNumber("openat");                  // OptionalInt[257] on x86_64, [56] on aarch64
 * SeccompArchitecture.AARCH64.syscallNumber("open");   // OptionalInt.empty: aarch64 has no open(2)
 * }</pre>
 */
public enum SeccompArchitecture {
    /** 64-bit x86 ({@code AUDIT_ARCH_X86_64}); x32 system calls are rejected by every program. */
    X86_64(0xC000003E, "x86_64"),
    /** 64-bit ARM ({@code AUDIT_ARCH_AARCH64}). */
    AARCH64(0xC00000B7, "aarch64");

    private final int auditArch;
    private final String canonicalName;
    private volatile Table table;

    SeccompArchitecture(int auditArch, String canonicalName) {
        this.auditArch = auditArch;
        this.canonicalName = canonicalName;
    }

    /** @return the {@code AUDIT_ARCH_*} value the kernel reports in {@code seccomp_data.arch} */
    public int auditArch() {
        return auditArch;
    }

    /** @return the kernel's name of this architecture, as {@code uname -m} prints it */
    public String canonicalName() {
        return canonicalName;
    }

    /**
     * The architecture of the running JVM, if it is one seccomp programs can be compiled for.
     *
     * @return the host architecture, or empty on any other architecture
     */
    public static Optional<SeccompArchitecture> host() {
        return fromName(System.getProperty("os.arch", ""));
    }

    /**
     * Looks up an architecture by any of its usual names: the kernel's ({@code x86_64},
     * {@code aarch64}), Go's and OCI's ({@code amd64}, {@code arm64}) or libseccomp's
     * ({@code SCMP_ARCH_X86_64}, {@code SCMP_ARCH_AARCH64}), ignoring case.
     *
     * @param name an architecture name
     * @return the architecture, or empty when the name is not one of the supported ones
     */
    public static Optional<SeccompArchitecture> fromName(String name) {
        String n = name.toLowerCase(Locale.ROOT);
        if (n.startsWith("scmp_arch_")) {
            n = n.substring("scmp_arch_".length());
        }
        switch (n) {
            case "x86_64":
            case "amd64":
                return Optional.of(X86_64);
            case "aarch64":
            case "arm64":
                return Optional.of(AARCH64);
            default:
                return Optional.empty();
        }
    }

    /**
     * @param name a system call name, e.g. {@code "openat"}
     * @return its number on this architecture, or empty when this architecture has no such call
     */
    public OptionalInt syscallNumber(String name) {
        Integer nr = table().byName.get(name);
        return nr == null ? OptionalInt.empty() : OptionalInt.of(nr);
    }

    /**
     * @param number a system call number
     * @return its name on this architecture, or empty when no system call has this number
     */
    public Optional<String> syscallName(int number) {
        return Optional.ofNullable(table().byNumber.get(number));
    }

    /** @return every system call name of this architecture's table, in number order */
    public Set<String> syscallNames() {
        return table().byName.keySet();
    }

    private Table table() {
        Table t = table;
        if (t == null) {
            synchronized (this) {
                t = table;
                if (t == null) {
                    t = Table.load("syscalls-" + canonicalName + ".tsv");
                    table = t;
                }
            }
        }
        return t;
    }

    private static final class Table {
        final Map<String, Integer> byName;
        final Map<Integer, String> byNumber;

        private Table(Map<String, Integer> byName, Map<Integer, String> byNumber) {
            this.byName = Collections.unmodifiableMap(byName);
            this.byNumber = Collections.unmodifiableMap(byNumber);
        }

        /*
         * Parsed from the resource's bytes by hand, not with a reader and String.split: the default
         * profile's validation loads every table in each JVM, and a short-lived one (the CLI) runs
         * this loop interpreted.
         */
        static Table load(String resource) {
            Map<String, Integer> byName = new LinkedHashMap<>(1024);
            Map<Integer, String> byNumber = new HashMap<>(1024);
            byte[] b;
            try (InputStream in = SeccompArchitecture.class.getResourceAsStream(resource)) {
                if (in == null) {
                    throw new IllegalStateException("syscall table " + resource + " missing from the jar");
                }
                b = in.readAllBytes();
            } catch (IOException e) {
                throw new UncheckedIOException("reading syscall table " + resource, e);
            }
            int lineNumber = 0;
            for (int i = 0; i < b.length; ) {
                int eol = i;
                while (eol < b.length && b[eol] != '\n') {
                    eol++;
                }
                lineNumber++;
                int end = eol > i && b[eol - 1] == '\r' ? eol - 1 : eol;
                String line = new String(b, i, end - i, StandardCharsets.UTF_8);
                i = eol + 1;
                if (line.isBlank() || line.startsWith("#")) {
                    continue;
                }
                int tab = line.indexOf('\t');
                if (tab <= 0 || tab == line.length() - 1 || line.indexOf('\t', tab + 1) >= 0) {
                    throw new IllegalStateException(resource + ":" + lineNumber + ": expected NAME<TAB>NUMBER");
                }
                String name = line.substring(0, tab);
                int nr = Integer.parseInt(line, tab + 1, line.length(), 10);
                if (byName.put(name, nr) != null || byNumber.put(nr, name) != null) {
                    throw new IllegalStateException(resource + ":" + lineNumber + ": duplicate " + line);
                }
            }
            return new Table(byName, byNumber);
        }
    }
}
