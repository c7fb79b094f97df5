/**
 * Containers that start and stop together: a {@link dev.corral.group.ContainerGroup} of named
 * {@link dev.corral.group.GroupMember members}, started in dependency order, each with a
 * {@link dev.corral.group.RestartPolicy}, a log and a {@link dev.corral.group.MemberStatus}.
 *
 * <pre>{@code
 * ContainerSpec spec = Container.builder().rootfs(Rootfs.hostReadOnly()).build();
 * try (ContainerGroup g = ContainerGroup.builder()
 *         .member(GroupMember.builder("ticker", spec).command("sh", "-c", "while sleep 1; do date; done")
 *                 .restart(RestartPolicy.always()).build())
 *         .start()) {
 *     Thread.sleep(3000);
 *     Files.readString(g.logFile("ticker"));   // three dates
 * }
 * }</pre>
 */
package dev.corral.group;
