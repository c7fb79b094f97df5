/**
 * {@code corral}, a small {@code docker run} built on Corral's public API only: {@code corral run}
 * runs one command in a container, {@code corral bench} measures how long a container takes.
 */
package dev.corral.samples.cli;
