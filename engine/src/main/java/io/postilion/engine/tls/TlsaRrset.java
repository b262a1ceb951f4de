package io.postilion.engine.tls;

import io.postilion.tls.TlsaRecord;
import java.util.List;
import java.util.Objects;

/**
 * What the TLSA lookup of TLS-8 found for one server: DNSSEC-validated records at a base domain,
 * nothing that counts (NXDOMAIN, NODATA, or an answer without the AD bit), or a failure (SERVFAIL,
 * a timeout, a bogus answer, a failed CNAME validation check) that must never turn into weaker TLS.
 *
 * @param kind found, none or failed
 * @param baseDomain the host name at which the RRset was found (the SNI and a DANE-TA name); empty
 *     unless found
 * @param records the RRset as published (empty unless found)
 */
public record TlsaRrset(Kind kind, String baseDomain, List<TlsaRecord> records) {

    /** The three outcomes TLS-8 tells apart. */
    public enum Kind { FOUND, NONE, FAILED }

    static final TlsaRrset NONE = new TlsaRrset(Kind.NONE, "", List.of());
    static final TlsaRrset FAILED = new TlsaRrset(Kind.FAILED, "", List.of());

    public TlsaRrset {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(baseDomain, "baseDomain");
        records = List.copyOf(records);
    }
}
