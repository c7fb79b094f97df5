/**
 * Zstandard (RFC 8878) decoding in pure Java: the decoder of aircompressor 2.0.3
 * (https://github.com/airlift/aircompressor, Apache License 2.0, copyright its authors), its
 * source unchanged apart from the package name.
 *
 * <p>It is carried here instead of depended on because aircompressor's jar has no module name
 * (no module-info, no Automatic-Module-Name): a module requiring it takes its name from the
 * jar's file name, which Maven rightly refuses to see published, and its newer releases need
 * Java 22. Only {@link dev.corral.internal.zstd.ZstdInputStream} is used (by
 * {@code dev.corral.internal.archive.Compression}); the encoder classes that remain are what
 * the decoder's shared tables reference. To update: copy {@code io/airlift/compress/zstd} and
 * {@code MalformedInputException}/{@code IncompatibleJvmException} from a newer release's
 * sources jar, change the package, and run {@code CompressionTest}.
 */
package dev.corral.internal.zstd;
