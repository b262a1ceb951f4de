package io.postilion.tls;

import java.util.Arrays;
import java.util.HexFormat;
import java.util.Objects;

/**
 * One TLSA record (RFC 6698 section 2.1) as DANE for SMTP uses it (TLS-8, RFC 7672): the
 * certificate usage, the selector, the matching type and the association data. A value made from
 * DNS wire data, so nothing about it is trusted: {@link DaneRecords} decides which records count.
 *
 * @param usage 0 PKIX-TA, 1 PKIX-EE, 2 DANE-TA, 3 DANE-EE (others are unknown)
 * @param selector 0 the whole certificate, 1 its SubjectPublicKeyInfo
 * @param matchingType 0 the full value, 1 SHA2-256, 2 SHA2-512 (or as tls_dane_digests says)
 * @param data the association data (copied: the record is immutable)
 */
public record TlsaRecord(int usage, int selector, int matchingType, byte[] data) {

    public static final int PKIX_TA = 0;
    public static final int PKIX_EE = 1;
    public static final int DANE_TA = 2;
    public static final int DANE_EE = 3;

    public TlsaRecord {
        Objects.requireNonNull(data, "data");
        data = data.clone();
    }

    @Override
    public byte[] data() {
        return data.clone();
    }

    /** The data without a copy, for comparisons inside this package. */
    byte[] rawData() {
        return data;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TlsaRecord r && r.usage == usage && r.selector == selector && r.matchingType == matchingType
                && Arrays.equals(r.data, data);
    }

    @Override
    public int hashCode() {
        return Objects.hash(usage, selector, matchingType, Arrays.hashCode(data));
    }

    /** The record in presentation form ({@code 3 1 1 ab12...}), the data cut short for logs. */
    @Override
    public String toString() {
        String hex = HexFormat.of().formatHex(data, 0, Math.min(data.length, 32));
        return usage + " " + selector + " " + matchingType + " " + hex + (data.length > 32 ? "..." : "");
    }
}
