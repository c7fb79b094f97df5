import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Collections;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.jar.JarOutputStream;
import org.objectweb.asm.ClassReader;
import org.objectweb.asm.ClassVisitor;
import org.objectweb.asm.ClassWriter;
import org.objectweb.asm.Opcodes;

/**
 * Package step for bin/corral: rewrites a jar's Java 5 class files as Java 8 ones, with the stack
 * map frames Java 8 requires computed by ASM, in place.
 *
 * <p>Why: JDK 17's AppCDS leaves out every class older than Java 6 ("Old class"), and picocli is
 * compiled for Java 5, so its ~180 classes were loaded, parsed and verified from the jar on every
 * CLI start, the largest cost left after the archive. ASM and jnr-x86asm (jnr-ffi's code
 * generators, on every start that touches libc) are Java 5 class files too. Same bytecode, same
 * behaviour; only the class file version and its frames change. JDK 19 archives old classes
 * itself (JDK-8261090).
 *
 * <p>The frames' common superclasses are looked up in the jar and the jars beside it (asm-util's
 * classes extend asm's).
 *
 * <p>Usage: {@code java -cp asm.jar RetargetForCds.java JAR}
 */
public final class RetargetForCds {
    private static final int JAVA_8 = 52;

    public static void main(String[] args) throws IOException {
        Path jar = Path.of(args[0]);
        Path tmp = jar.resolveSibling(jar.getFileName() + ".tmp");
        int rewritten = 0;
        try (JarFile in = new JarFile(jar.toFile());
                URLClassLoader loader = new URLClassLoader(siblings(jar));
                OutputStream file = new FileOutputStream(tmp.toFile());
                JarOutputStream out = new JarOutputStream(file)) {
            for (JarEntry entry : Collections.list(in.entries())) {
                byte[] bytes = in.getInputStream(entry).readAllBytes();
                if (isOldClass(entry.getName(), bytes)) {
                    bytes = retarget(bytes, loader);
                    rewritten++;
                }
                out.putNextEntry(new JarEntry(entry.getName()));
                out.write(bytes);
                out.closeEntry();
            }
        }
        Files.move(tmp, jar, StandardCopyOption.REPLACE_EXISTING);
        System.out.println("corral: " + rewritten + " class files of " + jar.getFileName() + " retargeted to Java 8 for AppCDS");
    }

    private static URL[] siblings(Path jar) throws IOException {
        try (java.util.stream.Stream<Path> all = Files.list(jar.toAbsolutePath().getParent())) {
            java.util.List<URL> urls = new java.util.ArrayList<>();
            urls.add(jar.toUri().toURL());
            for (Path p : (Iterable<Path>) all.filter(p -> p.toString().endsWith(".jar") && !p.equals(jar.toAbsolutePath()))::iterator) {
                urls.add(p.toUri().toURL());
            }
            return urls.toArray(URL[]::new);
        }
    }

    private static boolean isOldClass(String name, byte[] bytes) {
        return name.endsWith(".class") && bytes.length > 8
                && (((bytes[6] & 0xff) << 8) | (bytes[7] & 0xff)) < JAVA_8;
    }

    private static byte[] retarget(byte[] bytes, ClassLoader loader) {
        ClassWriter writer = new ClassWriter(ClassWriter.COMPUTE_FRAMES) {
            @Override
            protected ClassLoader getClassLoader() {
                return loader;
            }
        };
        new ClassReader(bytes).accept(new ClassVisitor(Opcodes.ASM9, writer) {
            @Override
            public void visit(int version, int access, String name, String signature, String superName, String[] interfaces) {
                super.visit(JAVA_8, access, name, signature, superName, interfaces);
            }
        }, ClassReader.SKIP_FRAMES);
        return writer.toByteArray();
    }
}
