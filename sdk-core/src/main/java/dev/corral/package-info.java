/** Corral's public API: the container builder, its specification and its result. */
package dev.corral;
