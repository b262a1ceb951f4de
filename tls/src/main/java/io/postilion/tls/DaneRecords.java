package io.postilion.tls;

import java.io.ByteArrayInputStream;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.X509EncodedKeySpec;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * A TLSA RRset sorted the way TLS-8 sorts it (Postfix's tls_dane.c, then OpenSSL's
 * SSL_dane_tlsa_add): first the records no SMTP client may use are dropped (usage 0 PKIX-TA and 1
 * PKIX-EE, which RFC 7672 section 3.1.3 rules out, matching type 255 (private use), and data
 * shorter than four octets); then a remaining record counts only if this client can check it:
 * usage 2 or 3, selector 0 or 1, a matching type tls_dane_digests lists (or 0, the full value), data
 * of that digest's length, and for a full value data that parses as the certificate or public key it
 * claims to be.
 *
 * @param state what is left
 * @param usable the records a {@link DaneVerification} checks (empty unless {@code USABLE})
 */
public record DaneRecords(State state, List<TlsaRecord> usable) {

    /** What an RRset leaves for the handshake. */
    public enum State {
        /** Every record was dropped by the first filter: "TLSA records unusable" (dane: encrypt). */
        DISCARDED,
        /**
         * Records remain but this client can check none of them: "all TLSA records unusable, fallback
         * to unauthenticated TLS" (dane, halfdane: encrypt; dane-only: no certificate ever matches).
         */
        NONE_ACCEPTED,
        /** At least one record can authenticate the server. */
        USABLE
    }

    public DaneRecords {
        Objects.requireNonNull(state, "state");
        usable = List.copyOf(usable);
    }

    /** Sorts an RRset found in DNS. */
    public static DaneRecords of(List<TlsaRecord> rrset, DaneDigests digests) {
        List<TlsaRecord> remaining = new ArrayList<>();
        for (TlsaRecord r : rrset) {
            if (r.usage() == TlsaRecord.PKIX_TA || r.usage() == TlsaRecord.PKIX_EE || r.matchingType() == 255
                    || r.rawData().length < 4) {
                continue;
            }
            remaining.add(r);
        }
        if (remaining.isEmpty()) {
            return new DaneRecords(State.DISCARDED, List.of());
        }
        List<TlsaRecord> usable = new ArrayList<>();
        for (TlsaRecord r : remaining) {
            if (accepted(r, digests)) {
                usable.add(r);
            }
        }
        return new DaneRecords(usable.isEmpty() ? State.NONE_ACCEPTED : State.USABLE, usable);
    }

    private static boolean accepted(TlsaRecord r, DaneDigests digests) {
        if (r.usage() != TlsaRecord.DANE_TA && r.usage() != TlsaRecord.DANE_EE) {
            return false;
        }
        if (r.selector() != 0 && r.selector() != 1) {
            return false;
        }
        if (r.matchingType() == 0) {
            return r.selector() == 0 ? certificate(r.rawData()) != null : publicKey(r.rawData()) != null;
        }
        int length = digests.length(r.matchingType());
        return length > 0 && r.rawData().length == length;
    }

    /** A full-value selector-0 record's certificate, or null when the data is not one. */
    static X509Certificate certificate(byte[] der) {
        try {
            var c = CertificateFactory.getInstance("X.509").generateCertificate(new ByteArrayInputStream(der));
            return c instanceof X509Certificate x ? x : null;
        } catch (CertificateException | RuntimeException e) {
            return null;
        }
    }

    /** A full-value selector-1 record's public key, or null when the data is no SubjectPublicKeyInfo. */
    static PublicKey publicKey(byte[] spki) {
        for (String alg : new String[] {"EC", "RSA", "Ed25519", "Ed448", "DSA"}) {
            try {
                return KeyFactory.getInstance(alg).generatePublic(new X509EncodedKeySpec(spki));
            } catch (java.security.GeneralSecurityException | RuntimeException e) {
                // try the next algorithm
            }
        }
        return null;
    }
}
