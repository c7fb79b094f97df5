/**
 * {@code corral-ci}, a CI build sandbox built on Corral's public API only: it runs an untrusted
 * project's build with the workspace writable through an owner-mapped bind (what the build makes
 * is the workspace owner's), caches that persist between builds (named volumes, or host
 * directories such as a {@code 0750 ~/.m2} bound read-only as their owner), no network, memory,
 * CPU and process limits, a timeout, and its output streamed live and capped; the result, with
 * what the build used, as JSON.
 *
 * <pre>{@code
 * CiJob job = CiJob.builder(Path.of("/srv/ci/checkout"), List.of("make", "check"))
 *         .cacheVolume(ImageStore.open(Path.of("/var/lib/ci")), "ccache", "/cache")
 *         .memory(DataSize.ofGibibytes(2)).timeout(Duration.ofMinutes(20)).build();
 * CiResult r = CiRunner.run(job, System.out);
 * r.passed();          // exited 0
 * r.toJson();          // {"status":"PASSED","exit_code":0,"wall_ms":...,"peak_memory_bytes":...}
 * }</pre>
 */
package dev.corral.samples.ci;
