package dev.corral.samples.ci;

import dev.corral.Container;
import dev.corral.ContainerResult;
import dev.corral.ContainerSpec;
import dev.corral.Input;
import dev.corral.Mount;
import dev.corral.Output;
import dev.corral.Rootfs;
import java.io.OutputStream;

/**
 * Runs a {@link CiJob} in a container, on Corral's public API:
 * <ul>
 *   <li>the root: the job's image (with a writable layer of its own) or the host's read-only view;</li>
 *   <li>the workspace at {@link CiJob#WORKSPACE}, writable through an owner-mapped bind: the build's
 *       root has the workspace owner's rights there, and what it makes is the owner's;</li>
 *   <li>caches: named volumes, kept between builds, or host directories bound as their owner;</li>
 *   <li>no network unless the job asks for one (by default a network namespace with loopback
 *       only), no capabilities, Docker's seccomp profile, an unprivileged root (user namespace);</li>
 *   <li>the job's limits and timeout; stdout and stderr merged in order, streamed live and
 *       capped at the output limit (past it the build is ended).</li>
 * </ul>
 *
 * <pre>{@code
 * CiResult r = CiRunner.run(CiJob.builder(Path.of("/srv/ci/checkout"), List.of("make", "check")).build(), System.out);
 * }</pre>
 */
public final class CiRunner {
    private CiRunner() {}

    /**
     * @param job  the build
     * @param live where its output goes as it comes (stdout and stderr in order)
     * @return how it ended
     */
    public static CiResult run(CiJob job, OutputStream live) {
        ContainerSpec.Builder b = Container.builder()
                .rootfs(job.image().map(i -> Rootfs.image(job.store().orElseThrow(), i)).orElse(Rootfs.hostReadOnly()))
                .mount(Mount.bindAsOwner(job.workspace().toAbsolutePath(), CiJob.WORKSPACE, false))
                .workingDirectory(CiJob.WORKSPACE)
                .hostname("ci")
                .env(job.environment())
                .stdin(Input.empty())
                .stdout(Output.capture(job.outputLimit(), live))
                .stderr(Output.toStdout())
                .timeout(job.timeout())
                .network(job.network());
        for (CiJob.Cache c : job.caches()) {
            b.mount(c instanceof CiJob.Cache.Volume v ? Mount.volume(job.store().orElseThrow(), v.name(), v.target())
                    : Mount.bindAsOwner(((CiJob.Cache.Directory) c).source().toAbsolutePath(), c.target(),
                            ((CiJob.Cache.Directory) c).readOnly()));
        }
        job.memory().ifPresent(b::memory);
        job.cpus().ifPresent(b::cpus);
        job.pids().ifPresent(b::pids);
        ContainerResult r = b.build().run(job.command());
        return CiResult.of(r);
    }
}
