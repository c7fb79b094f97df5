package dev.corral.namespaces.launcher;

/** Names and descriptions of Linux errno values, from jnr-constants' table for this platform. */
final class Errno {
    private Errno() {}

    static String name(int errno) {
        jnr.constants.platform.Errno e = jnr.constants.platform.Errno.valueOf(errno);
        return e == null || e.name().startsWith("__UNKNOWN") ? "errno " + errno : e.name();
    }

    static String description(int errno) {
        jnr.constants.platform.Errno e = jnr.constants.platform.Errno.valueOf(errno);
        return e == null || e.name().startsWith("__UNKNOWN") ? "unknown error" : e.description();
    }
}
