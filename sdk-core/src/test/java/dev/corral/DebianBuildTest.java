package dev.corral;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.corral.image.BuildResult;
import dev.corral.image.ImageBuilder;
import dev.corral.image.ImageConfig;
import dev.corral.image.ImageStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A Dockerfile of the usual kind (FROM debian, RUN, COPY, EXPOSE, CMD) on a Debian base that the
 * test makes from Debian's packages with mmdebstrap (minbase; made once, kept under
 * {@code target/}), built by Corral and checked against buildah's build of the same file.
 */
class DebianBuildTest {
    static final Path MINBASE = Path.of("target/debian-bookworm-minbase.tar").toAbsolutePath();

    @TempDir
    static Path shared;
    static Path baseLayout;

    @TempDir
    Path work;

    /** The seeds' example: a Debian image with a user, a script, a port and a command. */
    static final String DOCKERFILE = """
            FROM @BASE@
            RUN useradd --create-home --uid 1500 app && mkdir -p /srv/data && chown app:app /srv/data \\
                && rm -rf /usr/share/doc/bash && echo 'Welcome' > /etc/motd
            COPY --chown=app:app app.sh /usr/local/bin/app.sh
            RUN chmod 0755 /usr/local/bin/app.sh && /usr/local/bin/app.sh --check > /srv/data/check
            EXPOSE 8080
            WORKDIR /srv/data
            USER app
            CMD ["/usr/local/bin/app.sh"]
            """;

    @BeforeAll
    static void debianBase() throws Exception {
        if (!Files.isRegularFile(MINBASE)) {
            if (!Files.isExecutable(Path.of("/usr/bin/mmdebstrap"))) {
                throw new IllegalStateException("tests need /usr/bin/mmdebstrap: apt-get install mmdebstrap (.ci/run does)");
            }
            Files.createDirectories(MINBASE.getParent());
            Path tmp = MINBASE.resolveSibling(MINBASE.getFileName() + ".part");
            OciFixtures.run(MINBASE.getParent(), "mmdebstrap", "--quiet", "--variant=minbase", "--mode=root", "--format=tar", "bookworm",
                    tmp.toString());
            Files.move(tmp, MINBASE);
        }
        /* the base image: the archive as a one-layer image, made by Corral's own ADD */
        Path ctx = Files.createDirectories(shared.resolve("base-ctx"));
        /* a copy, not a hard link: the temp dir may be on another file system than target/ */
        Files.copy(MINBASE, ctx.resolve("debian.tar"));
        Files.writeString(ctx.resolve("Dockerfile"), "FROM scratch\nADD debian.tar /\nENV PATH=/usr/local/sbin:"
                + "/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\nCMD [\"bash\"]\n");
        baseLayout = shared.resolve("debian-oci");
        ImageStore store = ImageStore.open(shared.resolve("base-store"));
        ImageBuilder.of(store, ctx).ociLayout(baseLayout).tag("debian:minbase").build();
    }

    @Test
    void theDockerfileExampleOnDebianMatchesBuildah() throws Exception {
        Path ctx = Files.createDirectories(work.resolve("ctx"));
        Files.writeString(ctx.resolve("app.sh"), "#!/bin/sh\nif [ \"$1\" = --check ]; then echo ok; exit 0; fi\n"
                + "echo \"$(id -un) in $(pwd): $(cat check)\"\n");
        Files.writeString(ctx.resolve("Dockerfile"), DOCKERFILE.replace("@BASE@", "debian:minbase"));
        ImageStore store = ImageStore.open(work.resolve("store"));
        store.importImage(Path.of(baseLayout + ":minbase"), "debian:minbase");
        BuildResult r = ImageBuilder.of(store, ctx).tag("app:1").ociLayout(work.resolve("ours")).build();
        assertEquals(8, r.steps().size());

        ContainerResult run = Container.builder().rootfs(Rootfs.image(store, "app:1")).run();
        assertEquals(0, run.exitCode().orElse(-1), run.stderr());
        assertEquals("app in /srv/data: ok\n", run.stdout());
        ImageConfig c = store.config("app:1");
        assertEquals(List.of("/usr/local/bin/app.sh"), c.cmd());
        assertEquals("app", c.user());

        BuildResult again = ImageBuilder.of(store, ctx).tag("app:1").build();
        assertEquals(0, again.stepsRun());

        /* buildah, same file, same base */
        Files.writeString(ctx.resolve("Dockerfile"), DOCKERFILE.replace("@BASE@", "oci:" + baseLayout + ":minbase"));
        String[] storage = {"--storage-driver", "vfs", "--root", work.resolve("b-root").toString(), "--runroot",
                work.resolve("b-runroot").toString()};
        BuildahComparisonTest.buildah(storage, "bud", "--isolation", "chroot", "--quiet", "-t", "app:1", ctx.toString());
        BuildahComparisonTest.buildah(storage, "push", "--quiet", "app:1", "oci:" + work.resolve("theirs") + ":1");
        BuildahComparisonTest.buildah(storage, "rmi", "--all", "--force");
        BuildahComparisonTest.assertSameImage(work, work.resolve("ours"), "1", work.resolve("theirs"), "1",
                Set.of("/etc/group-"));
        /* useradd's backup of /etc/group is the group file as it was before; buildah's layer lacks it */
        String before = OciFixtures.run(work, "tar", "-xOf", MINBASE.toString(), "./etc/group");
        assertEquals(before, Files.readString(work.resolve("ours-unpacked/rootfs/etc/group-")));
    }
}
