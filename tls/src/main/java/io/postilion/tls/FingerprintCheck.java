package io.postilion.tls;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.cert.Certificate;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;

/**
 * The certificate check of level fingerprint (TLS-28; Postfix's fingerprint matching in
 * tls_client.c and tls_fprint.c): the server is authenticated when the digest of its leaf
 * certificate, or of the leaf's SubjectPublicKeyInfo, is one of the configured values. No chain,
 * name or date is looked at, so a self-signed or expired certificate is fine when pinned.
 *
 * @param digest the digest's name as configured ({@code smtp_tls_fingerprint_digest})
 * @param fingerprints the usable values, lower-case hex without colons
 */
public record FingerprintCheck(String digest, Set<String> fingerprints) implements PeerCheck {

    /** The digests OpenSSL names that the JDK computes, by Postfix's names for them. */
    private static final Map<String, String> DIGESTS = Map.of("md5", "MD5", "sha1", "SHA-1", "sha224", "SHA-224",
            "sha256", "SHA-256", "sha384", "SHA-384", "sha512", "SHA-512");

    public FingerprintCheck {
        javaName(digest);
        fingerprints = Set.copyOf(fingerprints);
    }

    /**
     * The JDK's name for a Postfix digest name (case-insensitive).
     *
     * @throws IllegalArgumentException for a digest this client cannot compute (TLS-29: refused at start-up)
     */
    public static String javaName(String digest) {
        String name = DIGESTS.get(digest.trim().toLowerCase(Locale.ROOT));
        if (name == null) {
            throw new IllegalArgumentException("unsupported fingerprint digest \"" + digest.trim() + "\" (supported: "
                    + String.join(", ", new java.util.TreeSet<>(DIGESTS.keySet())) + ")");
        }
        return name;
    }

    /**
     * The check for {@code values} (hex digests, colons optional, case-insensitive). A value that is
     * not a digest of this algorithm is skipped with a warning; empty when none is left, which
     * makes the policy invalid (TLS-28).
     */
    public static Optional<FingerprintCheck> of(String digest, List<String> values, Consumer<String> warnings) {
        int length = digestLength(javaName(digest));
        Set<String> usable = new LinkedHashSet<>();
        for (String v : values) {
            String hex = normalise(v, length);
            if (hex == null) {
                warnings.accept("malformed " + digest.trim().toLowerCase(Locale.ROOT) + " fingerprint value: " + shorten(v));
            } else {
                usable.add(hex);
            }
        }
        return usable.isEmpty() ? Optional.empty() : Optional.of(new FingerprintCheck(digest, usable));
    }

    private static int digestLength(String javaName) {
        try {
            return MessageDigest.getInstance(javaName).getDigestLength();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalArgumentException("the JDK offers no " + javaName + " digest", e);
        }
    }

    /** {@code AB:cd:...} or {@code abcd...} of exactly {@code length} bytes, as lower-case hex; else null. */
    private static String normalise(String value, int length) {
        String v = value.trim();
        boolean colons = v.indexOf(':') >= 0;
        StringBuilder hex = new StringBuilder(length * 2);
        for (int i = 0; i < v.length(); i++) {
            char c = v.charAt(i);
            if (c == ':') {
                // colons only between byte pairs
                if (i == 0 || i == v.length() - 1 || (i + 1) % 3 != 0) {
                    return null;
                }
                continue;
            }
            if (Character.digit(c, 16) < 0 || colons && (i + 1) % 3 == 0) {
                return null;
            }
            hex.append(Character.toLowerCase(c));
        }
        return hex.length() == length * 2 ? hex.toString() : null;
    }

    private static String shorten(String v) {
        return v.length() > 120 ? v.substring(0, 120) + "..." : v;
    }

    @Override
    public Result check(Certificate[] chain) {
        if (chain.length == 0) {
            return new Result(false, null, "no peer certificate");
        }
        if (!(chain[0] instanceof X509Certificate leaf)) {
            return new Result(false, null, "peer certificate is not X.509");
        }
        try {
            MessageDigest md = MessageDigest.getInstance(javaName(digest));
            String cert = HexFormat.of().formatHex(md.digest(leaf.getEncoded()));
            if (fingerprints.contains(cert)) {
                return new Result(true, colonForm(cert), null);
            }
            String spki = HexFormat.of().formatHex(md.digest(leaf.getPublicKey().getEncoded()));
            if (fingerprints.contains(spki)) {
                return new Result(true, colonForm(spki), null);
            }
            return new Result(false, null, "no matching " + digest.toLowerCase(Locale.ROOT)
                    + " certificate or public key fingerprint: " + colonForm(cert));
        } catch (NoSuchAlgorithmException | CertificateEncodingException e) {
            return new Result(false, null, "cannot compute the fingerprint: " + e.getMessage());
        }
    }

    /** As Postfix logs fingerprints: upper-case byte pairs joined by colons. */
    static String colonForm(String hex) {
        List<String> pairs = new ArrayList<>(hex.length() / 2);
        for (int i = 0; i + 1 < hex.length(); i += 2) {
            pairs.add(hex.substring(i, i + 2).toUpperCase(Locale.ROOT));
        }
        return String.join(":", pairs);
    }
}
