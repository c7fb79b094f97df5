package dev.corral;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.corral.image.BuildResult;
import dev.corral.image.BuildStep;
import dev.corral.image.ImageBuildException;
import dev.corral.image.ImageBuilder;
import dev.corral.image.ImageConfig;
import dev.corral.image.ImageStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Dockerfile builds on a busybox base: what the image holds and runs, the cache, and the errors. */
class ImageBuilderTest {
    @TempDir
    static Path fixtures;
    static Path layout;

    @TempDir
    Path storeDir;
    @TempDir
    Path context;
    ImageStore store;

    @BeforeAll
    static void base() throws Exception {
        layout = BuildFixtures.busyboxLayout(fixtures);
    }

    @BeforeEach
    void importBase() {
        store = ImageStore.open(storeDir);
        store.importImage(Path.of(layout + ":1"), "bb:1");
    }

    private void write(String rel, String text) throws Exception {
        Path p = context.resolve(rel);
        Files.createDirectories(p.getParent());
        Files.writeString(p, text);
    }

    private static final String APP = """
            FROM bb:1
            ARG GREETING=hello
            ENV APP=/srv/app \\
                MODE="two words"
            WORKDIR $APP
            COPY --chown=worker:workers conf/ ./conf/
            COPY hello.txt .
            RUN echo "$GREETING from $(id -u)" > made.txt && rm -r /var/old && echo changed > /etc/motd
            USER worker
            RUN id -u > /home/worker/who
            EXPOSE 8080 53/udp
            LABEL org.example.name="app" version=1
            ENTRYPOINT ["/bin/sh", "-c"]
            CMD ["cat made.txt hello.txt; echo $MODE; pwd; id -u; cat /etc/motd"]
            """;

    @Test
    void aDockerfileBuildsAnImageThatRunsAndARebuildRunsNothing() throws Exception {
        write("Dockerfile", APP);
        write("hello.txt", "hello file\n");
        write("conf/a.conf", "a=1\n");
        BuildResult r = ImageBuilder.of(store, context).buildArg("GREETING", "hi").tag("app:1").build();
        assertEquals(Optional.of("app:1"), r.name());
        assertEquals(13, r.steps().size(), r.steps().toString());
        assertEquals(12, r.stepsRun(), "every step but FROM ran: " + r.steps());
        assertEquals(r.digest(), store.image("app:1").orElseThrow().digest());

        ContainerResult run = Container.builder().rootfs(Rootfs.image(store, "app:1")).run();
        assertEquals(0, run.exitCode().orElse(-1), run.stderr());
        assertEquals("hi from 0\nhello file\ntwo words\n/srv/app\n1000\nchanged\n", run.stdout());
        ContainerResult look = Container.builder().rootfs(Rootfs.image(store, "app:1")).user(0, 0)
                .run("sh", "-c", "stat -c '%u:%g %a %n' conf conf/a.conf hello.txt /home/worker/who; cat /home/worker/who;"
                        + " test -e /var/old && echo old-still-there; ls /");
        assertEquals("1000:1001 755 conf\n1000:1001 644 conf/a.conf\n0:0 644 hello.txt\n1000:1001 644 /home/worker/who\n"
                + "1000\nbin\ndev\netc\nhome\nproc\nroot\nsrv\nsys\ntmp\nvar\n", look.stdout(), look.stderr());

        ImageConfig c = store.config("app:1");
        assertEquals(List.of("/bin/sh", "-c"), c.entrypoint());
        assertEquals("/srv/app", c.workingDir());
        assertEquals("worker", c.user());
        assertTrue(c.env().containsAll(List.of("PATH=/bin", "APP=/srv/app", "MODE=two words")), c.env().toString());
        assertFalse(c.env().stream().anyMatch(e -> e.startsWith("GREETING")), "an ARG is not kept in the image");

        /* the same again: every step from the cache, the same image */
        BuildResult again = ImageBuilder.of(store, context).buildArg("GREETING", "hi").tag("app:1").build();
        assertEquals(0, again.stepsRun(), again.steps().toString());
        assertEquals(r.digest(), again.digest());

        /* a changed file reruns from its COPY on; a changed build argument from the first RUN that sees it */
        write("hello.txt", "hello again\n");
        BuildResult changed = ImageBuilder.of(store, context).buildArg("GREETING", "hi").tag("app:2").build();
        List<Integer> ran = changed.steps().stream().filter(s -> !s.cached()).map(BuildStep::line).toList();
        assertEquals(List.of(7, 8, 9, 10, 11, 12, 13, 14), ran, changed.steps().toString());
        BuildResult arg = ImageBuilder.of(store, context).buildArg("GREETING", "hey").build();
        assertEquals(List.of(8, 9, 10, 11, 12, 13, 14),
                arg.steps().stream().filter(s -> !s.cached()).map(BuildStep::line).toList());
        assertEquals("hey from 0\nhello again\n", Container.builder().rootfs(Rootfs.image(store, arg.digest())).env("PATH", "/bin")
                .run("cat", "made.txt", "hello.txt").stdout());
    }

    @Test
    void multiStageCopyFromDockerignoreAndExports() throws Exception {
        write("Dockerfile", """
                FROM bb:1 AS builder
                RUN mkdir -p /out/bin && echo built > /out/bin/tool && chmod 750 /out/bin/tool && chown 1000:1001 /out/bin/tool
                FROM scratch AS empty
                COPY hello.txt /
                FROM bb:1
                COPY --from=builder /out/ /opt/
                COPY --from=empty /hello.txt /from-scratch.txt
                COPY . /ctx/
                COPY *.txt /globbed/
                """);
        write("hello.txt", "hi\n");
        write("secret.key", "no\n");
        write("logs/a.log", "no\n");
        write("logs/keep.log", "yes\n");
        write(".dockerignore", "*.key\nlogs\n!logs/keep.log\n");
        Path oci = context.getParent().resolve(context.getFileName() + "-oci");
        Path archive = context.getParent().resolve(context.getFileName() + "-save.tar");
        try {
            BuildResult r = ImageBuilder.of(store, context).tag("multi:1").ociLayout(oci).dockerArchive(archive).build();
            ContainerResult look = Container.builder().rootfs(Rootfs.image(store, "multi:1")).user(1000, 1001)
                    .run("sh", "-c", "stat -c '%u:%g %a %n' /opt/bin/tool; cat /opt/bin/tool /from-scratch.txt;"
                            + " cd /ctx && find . | sort; ls /globbed");
            assertEquals("1000:1001 750 /opt/bin/tool\nbuilt\nhi\n.\n./.dockerignore\n./Dockerfile\n./hello.txt\n"
                    + "./logs\n./logs/keep.log\nhello.txt\n", look.stdout(), look.stderr());
            /* the exports are read by other tools: skopeo inspects both the same */
            String fromLayout = OciFixtures.run(oci.getParent(), "skopeo", "inspect", "--config", "oci:" + oci + ":1");
            String fromArchive = OciFixtures.run(oci.getParent(), "skopeo", "inspect", "--config", "docker-archive:" + archive);
            assertTrue(fromLayout.contains("\"PATH=/bin\""), fromLayout);
            assertEquals(fromLayout.replaceAll("\\s", ""), fromArchive.replaceAll("\\s", ""));
            ImageStore other = ImageStore.open(storeDir.resolve("other"));
            assertEquals(r.digest(), other.importImage(oci, "again").digest());
            assertEquals(store.image("multi:1").orElseThrow().layers().size(),
                    other.importImage(archive, "again2").layers().size());
        } finally {
            OciFixtures.deleteTree(oci);
            Files.deleteIfExists(archive);
        }
    }

    @Test
    void anUnsupportedInstructionAFailingRunAndAMissingFileNameTheirLine() throws Exception {
        write("hello.txt", "hi\n");
        write("Dockerfile", "FROM bb:1\n\nHEALTHCHECK CMD true\n");
        ImageBuildException u = assertThrows(ImageBuildException.class, () -> ImageBuilder.of(store, context).build());
        assertEquals(Optional.of(3), u.line());
        assertTrue(u.getMessage().contains("HEALTHCHECK is not supported"), u.getMessage());

        write("Dockerfile", "FROM bb:1\nRUN echo partial > /p\nRUN echo to-stderr >&2; exit 3\n");
        ImageBuildException f = assertThrows(ImageBuildException.class, () -> ImageBuilder.of(store, context).build());
        assertEquals(Optional.of(3), f.line());
        assertTrue(f.getMessage().contains("exit code 3") && f.getMessage().contains("to-stderr"), f.getMessage());
        assertEquals(List.of(), store.keptLayers(), "a failed step leaves no writable layer");

        write("Dockerfile", "FROM bb:1\nCOPY missing.txt /\n");
        ImageBuildException m = assertThrows(ImageBuildException.class, () -> ImageBuilder.of(store, context).build());
        assertEquals(Optional.of(2), m.line());
        assertTrue(m.getMessage().contains("missing.txt"), m.getMessage());

        /* a reference the store lacks is pulled; port 1 of loopback has no registry (and the test no network) */
        write("Dockerfile", "FROM 127.0.0.1:1/nothing-here:1\n");
        ImageBuildException n = assertThrows(ImageBuildException.class, () -> ImageBuilder.of(store, context).build());
        assertEquals(Optional.of(1), n.line());
        assertNotEquals(-1, n.getMessage().indexOf("nothing-here:1 is not in the store"), n.getMessage());
        assertNotEquals(-1, n.getMessage().indexOf("fetching it failed"), n.getMessage());
    }
}
