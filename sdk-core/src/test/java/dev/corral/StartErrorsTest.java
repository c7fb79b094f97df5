package dev.corral;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.corral.namespaces.LaunchStep;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Each way a start can fail has its type, its step, its errno and a message one can act on. */
class StartErrorsTest {

    @Test
    void aMissingRootfs(@TempDir Path dir) {
        Path missing = dir.resolve("nope");
        RootfsUnavailableException e = assertThrows(RootfsUnavailableException.class,
                () -> Container.builder().rootfs(Rootfs.directory(missing)).run("/bin/true"));
        assertEquals(LaunchStep.MOUNT_BIND, e.step().orElseThrow());
        assertEquals(java.util.Optional.of("ENOENT"), e.errnoName());
        assertTrue(e.getMessage().contains(missing.toString()) && e.getMessage().contains("does not exist"), e.getMessage());
    }

    @Test
    void aRootfsThatIsNotADirectory(@TempDir Path dir) throws Exception {
        Path file = Files.writeString(dir.resolve("file"), "x");
        RootfsUnavailableException e = assertThrows(RootfsUnavailableException.class,
                () -> Container.builder().rootfs(Rootfs.directory(file)).run("/bin/true"));
        assertEquals(java.util.Optional.of("ENOTDIR"), e.errnoName());
        assertTrue(e.getMessage().contains("is not a directory"), e.getMessage());
    }

    @Test
    void aCommandThatDoesNotExist() {
        CommandNotFoundException e = assertThrows(CommandNotFoundException.class,
                () -> Container.builder().run("no-such-program", "arg"));
        assertEquals(LaunchStep.EXEC, e.step().orElseThrow());
        assertEquals(java.util.Optional.of("ENOENT"), e.errnoName());
        assertTrue(e.getMessage().contains("'no-such-program'") && e.getMessage().contains("/usr/bin"), e.getMessage());
        CommandNotFoundException abs = assertThrows(CommandNotFoundException.class,
                () -> Container.builder().run("/usr/bin/no-such-program"));
        assertTrue(abs.getMessage().contains("/usr/bin/no-such-program"), abs.getMessage());
    }

    @Test
    void aCommandThatIsNotExecutable(@TempDir Path dir) throws Exception {
        Path script = Files.writeString(dir.resolve("script"), "#!/bin/sh\necho hi\n");
        Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rw-r--r--"));
        TestRootfs.openUp(dir, "rwxr-xr-x");
        CommandNotExecutableException e = assertThrows(CommandNotExecutableException.class,
                () -> Container.builder().mount(Mount.bind(dir, "/box")).run("/box/script"));
        assertEquals(java.util.Optional.of("EACCES"), e.errnoName());
        assertTrue(e.getMessage().contains("chmod +x"), e.getMessage());
    }

    @Test
    void aBindSourceThatDoesNotExist(@TempDir Path dir) {
        Path missing = dir.resolve("absent");
        MountSourceNotFoundException e = assertThrows(MountSourceNotFoundException.class,
                () -> Container.builder().mount(Mount.bind(missing, "/data")).run("/bin/true"));
        assertEquals(LaunchStep.MOUNT_BIND, e.step().orElseThrow());
        assertTrue(e.getMessage().contains(missing.toString()) && e.getMessage().contains("/data"), e.getMessage());
    }

    @Test
    void aWorkingDirectoryThatDoesNotExist() {
        ContainerStartException e = assertThrows(ContainerStartException.class,
                () -> Container.builder().workingDirectory("/nowhere").run("/bin/true"));
        assertEquals(LaunchStep.CHDIR, e.step().orElseThrow());
        assertTrue(e.getMessage().contains("/nowhere"), e.getMessage());
    }

    @Test
    void invalidValuesFailInBuildNamingTheField() {
        assertField("hostname", () -> Container.builder().hostname("has space").build());
        assertField("hostname", () -> Container.builder().hostname("x".repeat(65)).build());
        assertField("mounts", () -> Container.builder().mount(Mount.tmpfs("relative")).build());
        assertField("mounts", () -> Container.builder().mount(Mount.tmpfs("/a/../etc")).build());
        assertField("mounts", () -> Container.builder().mount(Mount.tmpfs("/a")).mount(Mount.tmpfs("/a")).build());
        assertField("environment", () -> Container.builder().env("A=B", "c").build());
        assertField("workingDirectory", () -> Container.builder().workingDirectory("tmp").build());
        assertField("timeout", () -> Container.builder().timeout(Duration.ZERO).build());
        assertField("user", () -> Container.builder().user(-1, 0).build());
        assertField("rootfs", () -> Container.builder().rootfs(Rootfs.directory(Path.of("relative"))).build());
        assertField("command", () -> Container.builder().build().run());
        assertField("command", () -> Container.builder().run("a\0b"));
    }

    @Test
    void nullArgumentsAreRejectedWithAMessage() {
        InvalidSpecException e = assertThrows(InvalidSpecException.class, () -> Container.builder().run("echo", null));
        assertEquals("command: argument 1 is null", e.getMessage());
        assertField("command", () -> Container.builder().run((String[]) null));
        assertField("command", () -> Container.builder().build().start(java.util.Arrays.asList(null, "x")));
        assertField("command", () -> Container.builder().command("a", null));
    }

    @Test
    void aMissingInputFileIsNamed() {
        Path missing = Path.of("/nonexistent-corral-dir/input.txt");
        ContainerStartException e = assertThrows(ContainerStartException.class,
                () -> Container.builder().stdin(Input.file(missing)).run("/bin/true"));
        assertEquals(LaunchStep.STDIO_OPEN, e.step().orElseThrow());
        assertTrue(e.getMessage().contains(missing.toString()) && e.getMessage().contains("ENOENT"), e.getMessage());
    }

    private static void assertField(String field, Runnable r) {
        InvalidSpecException e = assertThrows(InvalidSpecException.class, r::run);
        assertEquals(field, e.field());
        assertTrue(e.getMessage().startsWith(field + ": "), e.getMessage());
    }
}
