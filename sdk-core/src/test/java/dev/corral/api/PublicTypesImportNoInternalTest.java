package dev.corral.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.corral.ContainerSpec;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The public types of {@code dev.corral}, {@code dev.corral.image}, {@code dev.corral.group} and
 * {@code dev.corral.network} are values and builders:
 * they name no internal class at all, not even in a method body (that is where the import loop
 * {@code ContainerSpec -> ContainerRun -> PreparedRootfs -> MountPlanner -> ContainerSpec} was).
 * Running goes through the package-private {@code ContainerEngine}; the store's public face
 * {@code ImageStore} is the one facade allowed to hold the internal store, {@code Networks} the one
 * that reads and removes the bridge networks' internal state.
 */
class PublicTypesImportNoInternalTest {
    private static final byte[] INTERNAL = "dev/corral/internal/".getBytes(StandardCharsets.US_ASCII);
    private static final Set<String> FACADES = Set.of("dev/corral/image/ImageStore.class", "dev/corral/network/Networks.class");

    @Test
    void publicCoreTypesNameNoInternalClass() throws Exception {
        Path classes = Path.of(ContainerSpec.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        Set<String> offenders = new TreeSet<>();
        int checked = 0;
        for (String pkg : List.of("dev/corral", "dev/corral/image", "dev/corral/group", "dev/corral/network")) {
            try (Stream<Path> s = Files.list(classes.resolve(pkg))) {
                for (Path f : s.filter(p -> p.toString().endsWith(".class")).toList()) {
                    String name = classes.relativize(f).toString();
                    if (FACADES.contains(name) || name.endsWith("package-info.class") || !isPublic(name)) {
                        continue;
                    }
                    checked++;
                    if (contains(Files.readAllBytes(f), INTERNAL)) {
                        offenders.add(name);
                    }
                }
            }
        }
        assertTrue(checked > 30, "only " + checked + " classes checked");
        assertEquals(Set.of(), offenders, "public types that name an internal class");
    }

    @Test
    void theCheckSeesAReferenceToAnInternalClass() throws IOException, URISyntaxException {
        Path f = Path.of(ContainerSpec.class.getProtectionDomain().getCodeSource().getLocation().toURI())
                .resolve("dev/corral/image/ImageStore.class");
        assertTrue(contains(Files.readAllBytes(f), INTERNAL), "ImageStore holds the internal store");
    }

    private static boolean isPublic(String classFile) {
        String binary = classFile.substring(0, classFile.length() - ".class".length()).replace('/', '.');
        try {
            Class<?> c = Class.forName(binary, false, ContainerSpec.class.getClassLoader());
            for (Class<?> k = c; k != null; k = k.getDeclaringClass()) {
                if (!java.lang.reflect.Modifier.isPublic(k.getModifiers())) {
                    return false;
                }
            }
            return true;
        } catch (ClassNotFoundException e) {
            throw new AssertionError(e);
        }
    }

    private static boolean contains(byte[] hay, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= hay.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (hay[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return true;
        }
        return false;
    }
}
