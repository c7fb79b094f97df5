package dev.corral.image;

/**
 * What {@link ImageStore#prune()} removed.
 *
 * <pre>{@code
 * PruneReport p = store.prune();
 * p.bytesFreed();
 * }</pre>
 *
 * @param layers     unpacked layers (and unpacked archives) no image or run used
 * @param blobs      stored blobs no image referenced
 * @param runs       writable layers of runs whose JVM died without removing them
 * @param bytesFreed the bytes those held
 */
public record PruneReport(int layers, int blobs, int runs, long bytesFreed) {}
