package dev.corral.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.corral.ContainerSpec;
import dev.corral.cgroups.Cgroup;
import dev.corral.namespaces.Namespace;
import java.io.IOException;
import java.lang.module.ModuleDescriptor;
import java.lang.module.ModuleFinder;
import java.lang.module.ModuleReference;
import java.lang.reflect.Constructor;
import java.lang.reflect.Executable;
import java.lang.reflect.Field;
import java.lang.reflect.GenericArrayType;
import java.lang.reflect.Member;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.Type;
import java.lang.reflect.TypeVariable;
import java.lang.reflect.WildcardType;
import java.net.URISyntaxException;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.CodeSource;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The guard for "a public type exposes an internal one": every public or protected member of a
 * public type in a package that Corral's modules export to everyone may name only types that
 * are exported to everyone too. Exports are read from the compiled module descriptors (ours and
 * every library's; a JDK type from its module), so a type in a package exported only to
 * {@code dev.corral} (or not at all) fails the build, as it would fail a consumer's compile.
 */
class PublicApiBoundaryTest {
    /** One class of each Corral module: where its classes and its module-info.class are. */
    private static final List<Class<?>> MODULES = List.of(ContainerSpec.class, Cgroup.class, Namespace.class);

    private final Map<Path, Optional<ModuleDescriptor>> descriptors = new HashMap<>();

    @Test
    void noPublicSignatureNamesATypeThatConsumersCannotSee() throws Exception {
        Set<String> violations = new TreeSet<>();
        int scanned = 0;
        for (Class<?> anchor : MODULES) {
            ModuleDescriptor d = descriptor(anchor).orElseThrow(() -> new AssertionError(
                    "no module-info.class beside " + anchor.getName()));
            Set<String> exported = unqualifiedExports(d);
            assertFalse(exported.isEmpty(), d.name() + " exports nothing");
            for (String className : classNames(location(anchor))) {
                String pkg = className.substring(0, className.lastIndexOf('.'));
                if (!exported.contains(pkg)) {
                    continue;
                }
                Class<?> c = Class.forName(className, false, anchor.getClassLoader());
                if (isApi(c)) {
                    violations.addAll(violations(c));
                    scanned++;
                }
            }
        }
        assertTrue(scanned > 50, "only " + scanned + " public types found: the scan is not looking where the API is");
        assertEquals(Set.of(), violations, "public signatures that name a type consumers cannot see");
    }

    /** The check must be able to fail: a public type that hands out the internal store is caught. */
    @Test
    void aPublicMethodReturningAnInternalTypeIsCaught() {
        Set<String> found = violations(Leaky.class);
        assertEquals(Set.of(Leaky.class.getName() + ".store(): returns dev.corral.internal.image.Store",
                Leaky.class.getName() + ".steps(List): parameter java.util.List<dev.corral.internal.image.Descriptor>"),
                found);
    }

    /** A fixture for the test above; never used. */
    public abstract static class Leaky {
        /** @return the store */
        public abstract dev.corral.internal.image.Store store();

        /** @param l descriptors */
        protected abstract void steps(List<dev.corral.internal.image.Descriptor> l);

        /** Private members are nobody's business. */
        @SuppressWarnings("unused")
        private dev.corral.internal.image.Store hidden() {
            return null;
        }
    }

    private static boolean isApi(Class<?> c) {
        for (Class<?> k = c; k != null; k = k.getDeclaringClass()) {
            if (!Modifier.isPublic(k.getModifiers())) {
                return false;
            }
        }
        return !c.isSynthetic() && !c.isAnonymousClass() && !c.isLocalClass();
    }

    private static boolean visible(Member m) {
        return Modifier.isPublic(m.getModifiers()) || Modifier.isProtected(m.getModifiers());
    }

    private Set<String> violations(Class<?> c) {
        Set<String> out = new TreeSet<>();
        String n = c.getName();
        check(c.getGenericSuperclass(), n + ": extends", out);
        for (Type t : c.getGenericInterfaces()) {
            check(t, n + ": implements", out);
        }
        for (TypeVariable<?> v : c.getTypeParameters()) {
            check(v, n + ": type parameter", out);
        }
        for (Field f : c.getDeclaredFields()) {
            if (visible(f) && !f.isSynthetic()) {
                check(f.getGenericType(), n + "." + f.getName() + ": field", out);
            }
        }
        for (Constructor<?> k : c.getDeclaredConstructors()) {
            if (visible(k) && !k.isSynthetic()) {
                executable(k, n + "(" + simpleParams(k) + ")", out);
            }
        }
        for (Method m : c.getDeclaredMethods()) {
            if (visible(m) && !m.isSynthetic() && !m.isBridge()) {
                String where = n + "." + m.getName() + "(" + simpleParams(m) + ")";
                check(m.getGenericReturnType(), where + ": returns", out);
                executable(m, where, out);
            }
        }
        return out;
    }

    private void executable(Executable e, String where, Set<String> out) {
        for (Type t : e.getGenericParameterTypes()) {
            check(t, where + ": parameter", out);
        }
        for (Type t : e.getGenericExceptionTypes()) {
            check(t, where + ": throws", out);
        }
        for (TypeVariable<?> v : e.getTypeParameters()) {
            check(v, where + ": type parameter", out);
        }
    }

    private static String simpleParams(Executable e) {
        return String.join(", ", Stream.of(e.getParameterTypes()).map(Class::getSimpleName).toList());
    }

    private void check(Type t, String where, Set<String> out) {
        if (t == null) {
            return;
        }
        List<Class<?>> hidden = new ArrayList<>();
        hiddenIn(t, hidden, new HashSet<>());
        if (!hidden.isEmpty()) {
            out.add(where + " " + t.getTypeName());
        }
    }

    private void hiddenIn(Type t, List<Class<?>> hidden, Set<Type> seen) {
        if (!seen.add(t)) {
            return;
        }
        if (t instanceof Class<?> c) {
            while (c.isArray()) {
                c = c.getComponentType();
            }
            if (!c.isPrimitive() && !exportedToAll(c)) {
                hidden.add(c);
            }
        } else if (t instanceof ParameterizedType p) {
            hiddenIn(p.getRawType(), hidden, seen);
            if (p.getOwnerType() != null) {
                hiddenIn(p.getOwnerType(), hidden, seen);
            }
            for (Type a : p.getActualTypeArguments()) {
                hiddenIn(a, hidden, seen);
            }
        } else if (t instanceof WildcardType w) {
            for (Type b : w.getUpperBounds()) {
                hiddenIn(b, hidden, seen);
            }
            for (Type b : w.getLowerBounds()) {
                hiddenIn(b, hidden, seen);
            }
        } else if (t instanceof TypeVariable<?> v) {
            for (Type b : v.getBounds()) {
                hiddenIn(b, hidden, seen);
            }
        } else if (t instanceof GenericArrayType g) {
            hiddenIn(g.getGenericComponentType(), hidden, seen);
        }
    }

    /** Whether a consumer's module can name this type: its package is exported to everyone. */
    private boolean exportedToAll(Class<?> c) {
        if (c.getModule().isNamed()) { /* the JDK's own modules, even on the class path */
            return c.getModule().getDescriptor().exports().stream()
                    .anyMatch(e -> !e.isQualified() && e.source().equals(c.getPackageName()));
        }
        Optional<ModuleDescriptor> d = descriptor(c);
        if (d.isEmpty()) {
            return true; /* a class path-only library: no module to judge by */
        }
        return d.get().isAutomatic() || unqualifiedExports(d.get()).contains(c.getPackageName());
    }

    private static Set<String> unqualifiedExports(ModuleDescriptor d) {
        Set<String> out = new HashSet<>();
        d.exports().stream().filter(e -> !e.isQualified()).forEach(e -> out.add(e.source()));
        return out;
    }

    private Optional<ModuleDescriptor> descriptor(Class<?> c) {
        Path loc = location(c);
        return descriptors.computeIfAbsent(loc, l -> {
            if (Files.isDirectory(l) && !Files.isRegularFile(l.resolve("module-info.class"))) {
                return Optional.empty();
            }
            return ModuleFinder.of(l).findAll().stream().findFirst().map(ModuleReference::descriptor);
        });
    }

    private static Path location(Class<?> c) {
        CodeSource cs = c.getProtectionDomain().getCodeSource();
        if (cs == null) {
            throw new AssertionError("no code source for " + c.getName());
        }
        try {
            return Path.of(cs.getLocation().toURI());
        } catch (URISyntaxException e) {
            throw new AssertionError(e);
        }
    }

    private static List<String> classNames(Path location) throws IOException {
        if (Files.isDirectory(location)) {
            return classNamesUnder(location);
        }
        try (FileSystem jar = FileSystems.newFileSystem(location)) {
            return classNamesUnder(jar.getPath("/"));
        }
    }

    private static List<String> classNamesUnder(Path root) throws IOException {
        try (Stream<Path> s = Files.walk(root)) {
            return s.map(p -> root.relativize(p).toString())
                    .filter(r -> r.endsWith(".class") && !r.endsWith("module-info.class")
                            && !r.endsWith("package-info.class") && !r.startsWith("META-INF"))
                    .map(r -> r.substring(0, r.length() - ".class".length()).replace('/', '.'))
                    .sorted()
                    .toList();
        }
    }
}
