/**
 * Units of measure used across Corral's API: {@link dev.corral.unit.DataSize}, an amount of bytes.
 *
 * <pre>{@code
 * Container.builder().memory(DataSize.ofMebibytes(256));
 * DataSize.parse("1.5g");
 * }</pre>
 */
package dev.corral.unit;
