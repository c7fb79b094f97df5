package dev.corral.network;

import java.util.Objects;

/**
 * A bridge network Corral knows of, as {@code corral network ls} shows it.
 *
 * <pre>{@code
 * for (NetworkInfo n : Networks.list()) {
 *     System.out.println(n.name() + " " + n.bridge() + " " + n.subnet() + " " + n.containers());
 * }
 * }</pre>
 *
 * @param name             the network's name
 * @param bridge           the bridge interface's name
 * @param subnet           its subnet, {@code A.B.C.D/N}
 * @param containers       how many containers have an address on it now
 * @param createdByCorral  whether Corral made the bridge (and removes it with its last container),
 *                         or adopted an existing one (never removed)
 */
public record NetworkInfo(String name, String bridge, String subnet, int containers, boolean createdByCorral) {
    /** @param name name @param bridge interface @param subnet subnet @param containers count @param createdByCorral made by Corral */
    public NetworkInfo {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(bridge, "bridge");
        Objects.requireNonNull(subnet, "subnet");
    }
}
