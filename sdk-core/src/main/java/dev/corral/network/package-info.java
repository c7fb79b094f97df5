/**
 * Container networks: {@link dev.corral.network.Network none} (the default, loopback only),
 * the host's, a bridge with NAT and published ports, rootless {@code pasta}, or another
 * container's; and the bridges' management ({@link dev.corral.network.Networks}).
 *
 * <pre>{@code
 * try (ContainerProcess web = Container.builder()
 *         .network(Network.bridge("app"))
 *         .publish(PortMapping.parse("127.0.0.1:8080:80"))
 *         .start("httpd", "-f", "-p", "80")) {
 *     // http://127.0.0.1:8080/ answers from the container
 * }
 * }</pre>
 */
package dev.corral.network;
