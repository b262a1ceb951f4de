package io.postilion.tls;

import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.PublicKey;
import java.security.cert.CertPathValidator;
import java.security.cert.Certificate;
import java.security.cert.CertificateEncodingException;
import java.security.cert.CertificateFactory;
import java.security.cert.PKIXParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Date;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;

/**
 * The DANE check of one server's certificate chain (TLS-8, RFC 7672 section 3; what Postfix asks
 * of OpenSSL's DANE support in tls_dane.c and tls_client.c). One matching usable record suffices:
 * <ul>
 * <li>DANE-EE (usage 3): the leaf certificate (selector 0) or its SubjectPublicKeyInfo (selector
 * 1) matches; neither names nor dates are looked at (RFC 7672 section 3.1.1).
 * <li>DANE-TA (usage 2): a certificate the server sent (above the leaf), or for a full-value record
 * the record itself, matches and anchors a chain to the leaf that validates (signatures, dates,
 * CA constraints, at most {@code maxDepth} certificates above the leaf); the leaf must then carry
 * one of the names RFC 7672 section 3.2.2 allows, with TLS-7's wildcard rules: the TLSA base
 * domain, the next-hop domain (the MX query name), or the MX RRset's owner when the MX lookup went
 * through a CNAME.
 * </ul>
 * Nothing in the chain is trusted before it is checked: the chain comes from the network, and
 * the records from DNS. CPU only: safe on an event loop.
 *
 * @param records the usable records ({@link DaneRecords#usable()}); empty means nothing matches
 *     (dane-only when no record could be used)
 * @param digests tls_dane_digests
 * @param names the names a DANE-TA leaf may carry, lower case, A-labels
 * @param maxDepth how many certificates may stand above the leaf, the anchor included
 */
public record DaneVerification(List<TlsaRecord> records, DaneDigests digests, CertificateNames names, int maxDepth)
        implements PeerCheck {

    /** Postfix's smtp_tls_scert_verifydepth default, which also bounds DANE-TA chains. */
    public static final int DEFAULT_DEPTH = 9;

    /** OpenSSL's words for X509_V_ERR_DANE_NO_MATCH, as Postfix logs them. */
    static final String NO_MATCH = "num=65:No matching DANE TLSA records";

    public DaneVerification {
        records = List.copyOf(records);
        Objects.requireNonNull(digests, "digests");
        Objects.requireNonNull(names, "names");
        if (maxDepth < 1) {
            throw new IllegalArgumentException("maxDepth must be at least 1");
        }
    }

    /**
     * The check for one server.
     *
     * @param baseDomain the TLSA base domain (the host name whose TLSA RRset was used)
     * @param nexthopDomain the next-hop domain (the MX query name)
     * @param mxOwner the MX RRset's owner when it differs from the next-hop domain (a CNAME); else
     *     null or empty
     */
    public static DaneVerification forServer(List<TlsaRecord> usable, DaneDigests digests, String baseDomain,
            String nexthopDomain, String mxOwner) {
        List<String> refs = new ArrayList<>(3);
        for (String n : new String[] {baseDomain, nexthopDomain, mxOwner}) {
            if (n != null && !n.isEmpty()) {
                String a = toAscii(n);
                if (a != null && !refs.contains(a)) {
                    refs.add(a);
                }
            }
        }
        return new DaneVerification(usable, digests, new CertificateNames(refs), DEFAULT_DEPTH);
    }

    private static String toAscii(String name) {
        String n = name.endsWith(".") ? name.substring(0, name.length() - 1) : name;
        try {
            return java.net.IDN.toASCII(n, java.net.IDN.ALLOW_UNASSIGNED).toLowerCase(Locale.ROOT);
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    @Override
    public Result check(Certificate[] presented) {
        if (presented.length == 0) {
            return new Result(false, null, "no peer certificate");
        }
        if (records.isEmpty()) {
            return new Result(false, null, "all TLSA records unusable");
        }
        // Certificates beyond the depth limit can take no part in a chain we accept: ignore them
        // rather than spend work on them (a hostile server may send many).
        int n = Math.min(presented.length, maxDepth + 1);
        X509Certificate[] chain = new X509Certificate[n];
        for (int i = 0; i < n; i++) {
            if (!(presented[i] instanceof X509Certificate x)) {
                return new Result(false, null, "peer certificate is not X.509");
            }
            chain[i] = x;
        }
        X509Certificate leaf = chain[0];
        for (TlsaRecord r : records) {
            if (r.usage() == TlsaRecord.DANE_EE && matches(r, leaf)) {
                return new Result(true, "TLSA " + r, null);
            }
        }
        if (!anchored(chain)) {
            return new Result(false, null, NO_MATCH);
        }
        String name = names.match(leaf);
        return name == null ? new Result(true, null, "num=62:hostname mismatch") : new Result(true, name, null);
    }

    /** Whether a DANE-TA record anchors a valid chain to the leaf. */
    private boolean anchored(X509Certificate[] chain) {
        Date now = new Date();
        for (TlsaRecord r : records) {
            if (r.usage() != TlsaRecord.DANE_TA) {
                continue;
            }
            for (int i = 1; i < chain.length; i++) {
                if (matches(r, chain[i]) && valid(chain[i], now)
                        && validates(Arrays.asList(chain).subList(0, i), new TrustAnchor(chain[i], null), now)) {
                    return true;
                }
            }
            if (r.matchingType() == 0 && fullValueAnchors(r, chain, now)) {
                return true;
            }
        }
        return false;
    }

    /** A full-value DANE-TA record is itself the anchor: of the leaf, or of a certificate the server sent. */
    private boolean fullValueAnchors(TlsaRecord r, X509Certificate[] chain, Date now) {
        X509Certificate cert = r.selector() == 0 ? DaneRecords.certificate(r.rawData()) : null;
        PublicKey key = r.selector() == 1 ? DaneRecords.publicKey(r.rawData()) : null;
        if (cert == null && key == null || cert != null && !valid(cert, now)) {
            return false;
        }
        // The anchor stands above chain[top]: at most maxDepth certificates above the leaf in all.
        int tops = Math.min(chain.length, maxDepth);
        for (int top = 0; top < tops; top++) {
            X509Certificate c = chain[top];
            TrustAnchor anchor;
            if (cert != null) {
                if (!c.getIssuerX500Principal().equals(cert.getSubjectX500Principal())) {
                    continue;
                }
                anchor = new TrustAnchor(cert, null);
            } else {
                anchor = new TrustAnchor(c.getIssuerX500Principal(), key, null);
            }
            if (validates(Arrays.asList(chain).subList(0, top + 1), anchor, now)) {
                return true;
            }
        }
        return false;
    }

    private static boolean valid(X509Certificate c, Date now) {
        try {
            c.checkValidity(now);
            return true;
        } catch (GeneralSecurityException e) {
            return false;
        }
    }

    /** PKIX validation of {@code path} (leaf first) up to {@code anchor}: signatures, dates, constraints. */
    private static boolean validates(List<X509Certificate> path, TrustAnchor anchor, Date now) {
        try {
            PKIXParameters p = new PKIXParameters(Set.of(anchor));
            p.setRevocationEnabled(false);
            p.setDate(now);
            CertPathValidator.getInstance("PKIX").validate(CertificateFactory.getInstance("X.509").generateCertPath(path), p);
            return true;
        } catch (GeneralSecurityException | RuntimeException e) {
            return false;
        }
    }

    /** Whether {@code cert} (or its public key, selector 1) is what {@code r} describes. */
    private boolean matches(TlsaRecord r, X509Certificate cert) {
        byte[] value;
        try {
            value = r.selector() == 0 ? cert.getEncoded() : cert.getPublicKey().getEncoded();
        } catch (CertificateEncodingException | RuntimeException e) {
            return false;
        }
        if (value == null || digests.algorithm(r.matchingType()) == null && r.matchingType() != 0) {
            return false;
        }
        return MessageDigest.isEqual(digests.digest(r.matchingType(), value), r.rawData());
    }

    /**
     * Loads, at start-up, what PKIX validation loads lazily from files on first use, so that the
     * first DANE-TA check on an event loop reads no file.
     */
    public static void warmUp() {
        for (String lazy : new String[] {"sun.security.util.UntrustedCertificates", "sun.security.util.AnchorCertificates",
                "sun.security.provider.certpath.PKIXCertPathValidator", "sun.security.util.DisabledAlgorithmConstraints"}) {
            try {
                Class.forName(lazy, true, ClassLoader.getSystemClassLoader());
            } catch (ClassNotFoundException | LinkageError e) {
                // another JDK: whatever it reads lazily shows up under BlockHound in the tests
            }
        }
        try {
            CertPathValidator.getInstance("PKIX");
            CertificateFactory.getInstance("X.509").generateCertPath(List.of());
            java.security.KeyFactory.getInstance("EC");
            java.security.KeyFactory.getInstance("RSA");
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("PKIX certificate validation is not available: " + e.getMessage(), e);
        }
    }
}
