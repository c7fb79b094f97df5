package dev.corral.internal.image;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.regex.Pattern;

/**
 * Content digests as OCI writes them: {@code sha256:} and 64 lower-case hex digits.
 *
 * <pre>{@code
 * String d = Digests.of(bytes);          // "sha256:2c26b4..."
 * Path p = blobs.resolve(Digests.hex(d)); // checked: only sha256, only hex
 * }</pre>
 */
public final class Digests {
    /** The only algorithm the store accepts. */
    public static final String SHA256 = "sha256:";
    private static final Pattern HEX64 = Pattern.compile("[0-9a-f]{64}");

    private Digests() {}

    /**
     * @param digest a digest
     * @return its hex part, safe to use as a file name
     * @throws IOException if it is not a well-formed sha256 digest
     */
    public static String hex(String digest) throws IOException {
        if (!digest.startsWith(SHA256) || !HEX64.matcher(digest.substring(SHA256.length())).matches()) {
            throw new IOException("unsupported or malformed digest '" + digest + "' (only sha256 is supported)");
        }
        return digest.substring(SHA256.length());
    }

    /** @return a fresh SHA-256 */
    public static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** @param md a finished SHA-256 @return its digest string */
    public static String of(MessageDigest md) {
        return SHA256 + HexFormat.of().formatHex(md.digest());
    }

    /** @param bytes content @return its digest */
    public static String of(byte[] bytes) {
        return SHA256 + HexFormat.of().formatHex(sha256().digest(bytes));
    }

    /** @param file a file @return the digest of its content @throws IOException if it cannot be read */
    public static String of(Path file) throws IOException {
        MessageDigest md = sha256();
        try (InputStream in = new DigestInputStream(Files.newInputStream(file), md)) {
            in.transferTo(OutputStream.nullOutputStream());
        }
        return of(md);
    }
}
