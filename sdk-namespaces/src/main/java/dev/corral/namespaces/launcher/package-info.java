/** The native launcher and its Java driver; shared with the core module only. */
package dev.corral.namespaces.launcher;
