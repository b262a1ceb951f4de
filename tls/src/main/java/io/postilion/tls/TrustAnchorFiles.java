package io.postilion.tls;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.X509EncodedKeySpec;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;

/**
 * Trust anchors that replace the CA store for a destination (TLS-24: the policy's {@code tafile=}
 * files or {@code smtp_tls_trust_anchor_file}; Postfix's tls_dane_load_trustfile, which turns them
 * into DANE-TA records). A presented certificate that equals an anchor certificate, or carries an
 * anchor public key, ends the chain, and so does one an anchor key signed: the leaf itself may be
 * the anchor. Anchors do not expire and need not be self-signed; the certificates between the
 * leaf and the anchor must be valid now and sign each other. The chain length is limited by
 * {@code smtp_tls_scert_verifydepth}.
 *
 * @param certificates the anchor certificates
 * @param keys the anchor public keys: those of the certificates and the bare PUBLIC KEY blocks
 * @param verifyDepth how many certificates may stand above the leaf, the anchor included
 */
public record TrustAnchorFiles(List<X509Certificate> certificates, List<PublicKey> keys, int verifyDepth)
        implements ChainTrust {

    private static final String[] KEY_ALGORITHMS = {"RSA", "EC", "Ed25519", "Ed448", "DSA", "RSASSA-PSS"};
    /** An anchor file is a handful of certificates; a bigger file is not one. */
    private static final long MAX_FILE = 4L * 1024 * 1024;

    public TrustAnchorFiles {
        certificates = List.copyOf(certificates);
        keys = List.copyOf(keys);
        if (verifyDepth < 1) {
            throw new IllegalArgumentException("verify depth must be at least 1: " + verifyDepth);
        }
    }

    /**
     * Reads PEM files of CERTIFICATE, TRUSTED CERTIFICATE and PUBLIC KEY blocks. This reads files:
     * call it at start-up or off the event loops.
     *
     * @throws IllegalArgumentException naming the file that cannot be read, is malformed, or holds
     *     no certificate or public key
     */
    public static TrustAnchorFiles load(List<String> files, int verifyDepth) {
        List<X509Certificate> certs = new ArrayList<>();
        List<PublicKey> keys = new ArrayList<>();
        for (String f : files) {
            String text;
            Path path = Path.of(f);
            try {
                if (Files.size(path) > MAX_FILE) {
                    throw new IllegalArgumentException("trust anchor file " + f + " is larger than " + MAX_FILE + " bytes");
                }
                text = Files.readString(path, StandardCharsets.ISO_8859_1);
            } catch (IOException | RuntimeException e) {
                if (e instanceof IllegalArgumentException iae && iae.getMessage() != null
                        && iae.getMessage().startsWith("trust anchor file")) {
                    throw iae;
                }
                throw new IllegalArgumentException("cannot read trust anchor file " + f + ": " + e.getClass().getSimpleName()
                        + (e.getMessage() == null ? "" : " " + e.getMessage()), e);
            }
            parse(f, text, certs, keys);
        }
        for (X509Certificate c : certs) {
            verifies(c, c.getPublicKey()); // loads the signature classes now, not on an event loop
        }
        return new TrustAnchorFiles(certs, keys, verifyDepth);
    }

    /**
     * Adds what {@code text} (the file {@code name}) holds; package-visible for the fuzzer's sake.
     * Read line by line, in one pass: a hostile file costs time in proportion to its size.
     */
    static void parse(String name, String text, List<X509Certificate> certs, List<PublicKey> keys) {
        int found = 0;
        String type = null;
        StringBuilder body = new StringBuilder();
        for (String raw : text.split("\r?\n|\r", -1)) {
            String line = raw.strip();
            if (type == null) {
                if (line.startsWith("-----BEGIN ") && line.endsWith("-----") && line.length() > 16) {
                    type = line.substring(11, line.length() - 5);
                    body.setLength(0);
                }
                continue;
            }
            if (!line.equals("-----END " + type + "-----")) {
                body.append(line);
                continue;
            }
            String block = type;
            type = null;
            if (!block.equals("CERTIFICATE") && !block.equals("TRUSTED CERTIFICATE") && !block.equals("PUBLIC KEY")) {
                continue; // a key or parameters beside the anchors: not an anchor, not an error
            }
            byte[] der;
            try {
                der = Base64.getDecoder().decode(body.toString());
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("malformed " + block + " in trust anchor file " + name + ": bad base64", e);
            }
            if (block.equals("PUBLIC KEY")) {
                keys.add(publicKey(name, der));
            } else {
                try {
                    // TRUSTED CERTIFICATE is the certificate followed by OpenSSL's trust settings: read the first
                    X509Certificate c = (X509Certificate) CertificateFactory.getInstance("X.509")
                            .generateCertificate(new ByteArrayInputStream(der));
                    certs.add(c);
                    keys.add(c.getPublicKey());
                } catch (CertificateException | RuntimeException e) {
                    throw new IllegalArgumentException("malformed " + block + " in trust anchor file " + name + ": "
                            + e.getMessage(), e);
                }
            }
            found++;
        }
        if (type != null) {
            throw new IllegalArgumentException("malformed trust anchor file " + name + ": no END line for " + type);
        }
        if (found == 0) {
            throw new IllegalArgumentException("no certificate or public key in trust anchor file " + name);
        }
    }

    private static PublicKey publicKey(String name, byte[] der) {
        for (String alg : KEY_ALGORITHMS) {
            try {
                return KeyFactory.getInstance(alg).generatePublic(new X509EncodedKeySpec(der));
            } catch (GeneralSecurityException | RuntimeException e) {
                // not this algorithm; try the next
            }
        }
        throw new IllegalArgumentException("malformed PUBLIC KEY in trust anchor file " + name);
    }

    @Override
    public String whyUntrusted(X509Certificate[] chain) {
        if (chain.length == 0) {
            return "no peer certificate";
        }
        // Find where the chain meets an anchor: a presented anchor (index i, i+1 certificates in
        // the path) or a certificate an anchor key signed (i+2, the anchor above it).
        int top = -1;
        boolean presentedAnchor = false;
        for (int i = 0; i < chain.length && top < 0; i++) {
            if (isAnchor(chain[i])) {
                top = i;
                presentedAnchor = true;
            } else if (signedByAnchor(chain[i])) {
                top = i;
            }
        }
        if (top < 0) {
            return "untrusted issuer " + chain[chain.length - 1].getIssuerX500Principal().getName();
        }
        int pathLength = top + (presentedAnchor ? 1 : 2);
        if (pathLength - 1 > verifyDepth) {
            return "num=22:certificate chain too long";
        }
        int lastChecked = presentedAnchor ? top - 1 : top; // an anchor's own dates do not count
        for (int k = 0; k <= lastChecked; k++) {
            try {
                chain[k].checkValidity();
            } catch (java.security.cert.CertificateExpiredException e) {
                return "certificate has expired";
            } catch (java.security.cert.CertificateNotYetValidException e) {
                return "certificate not yet valid";
            }
            if (k < top) {
                X509Certificate issuer = chain[k + 1];
                if (!chain[k].getIssuerX500Principal().equals(issuer.getSubjectX500Principal())) {
                    return "num=20:unable to get local issuer certificate";
                }
                if (!(presentedAnchor && k + 1 == top) && issuer.getBasicConstraints() < 0) {
                    return "num=24:invalid CA certificate";
                }
                if (!verifies(chain[k], issuer.getPublicKey())) {
                    return "num=7:certificate signature failure";
                }
            }
        }
        return null;
    }

    private boolean isAnchor(X509Certificate c) {
        byte[] key = c.getPublicKey().getEncoded();
        for (PublicKey k : keys) {
            if (Arrays.equals(k.getEncoded(), key)) {
                return true; // equal certificates carry equal keys
            }
        }
        return false;
    }

    private boolean signedByAnchor(X509Certificate c) {
        for (PublicKey k : keys) {
            if (verifies(c, k)) {
                return true;
            }
        }
        return false;
    }

    private static boolean verifies(X509Certificate c, PublicKey key) {
        try {
            c.verify(key);
            return true;
        } catch (GeneralSecurityException | RuntimeException e) {
            return false;
        }
    }
}
