package dev.corral.image;

import java.util.Objects;

/**
 * A user name and password (or token) for a registry's basic or token authentication.
 * {@link #toString()} does not show the password.
 *
 * <pre>{@code
 * RegistryOptions o = RegistryOptions.builder().credentials(new Credentials("ci", System.getenv("REG_PASS"))).build();
 * }</pre>
 *
 * @param username the user name
 * @param password the password or access token
 */
public record Credentials(String username, String password) {
    /** Checks that neither is null and the user name has no ':'. */
    public Credentials {
        Objects.requireNonNull(username, "username");
        Objects.requireNonNull(password, "password");
        if (username.contains(":")) {
            throw new IllegalArgumentException("a registry user name cannot contain ':'");
        }
    }

    /**
     * @param userColonPassword {@code USER:PASSWORD}, as {@code --creds} takes it
     * @return the credentials
     * @throws IllegalArgumentException if there is no ':'
     */
    public static Credentials parse(String userColonPassword) {
        int colon = userColonPassword.indexOf(':');
        if (colon <= 0) {
            throw new IllegalArgumentException("credentials must be USER:PASSWORD");
        }
        return new Credentials(userColonPassword.substring(0, colon), userColonPassword.substring(colon + 1));
    }

    @Override
    public String toString() {
        return "Credentials[" + username + ", password hidden]";
    }
}
