/** Programs built on Corral's public API only. */
package dev.corral.samples;
