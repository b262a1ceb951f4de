package io.postilion.tls;

import java.util.List;
import java.util.Objects;

/**
 * What one client context offers for one TLS level and destination (TLS-6): the protocol list,
 * the grade and the exclusions already combined (main.cf's opportunistic or mandatory set, or a
 * policy table's {@code protocols=}/{@code ciphers=}/{@code exclude=}, plus the forced {@code eNULL}
 * and {@code aNULL}), and the client certificate presented when a server asks for one (TLS-25).
 * Equal values share one client context ({@link ClientTlsContexts#forPolicy}).
 *
 * @param protocols the versions allowed
 * @param grade the cipher grade of TLS 1.2 and older
 * @param exclusions OpenSSL cipher names or types removed from the grade, in order
 * @param certificate smtp_tls_chain_files or smtp_tls_cert_file/smtp_tls_key_file; null for none
 */
public record TlsCipherPolicy(TlsProtocols protocols, CipherGrade grade, List<String> exclusions, KeyAndChain certificate) {

    /** Postfix's defaults: {@code >=TLSv1}, {@code medium}, nothing excluded, no client certificate. */
    public static final TlsCipherPolicy DEFAULT = new TlsCipherPolicy(TlsProtocols.ALL, CipherGrade.MEDIUM, List.of());

    public TlsCipherPolicy {
        Objects.requireNonNull(protocols, "protocols");
        Objects.requireNonNull(grade, "grade");
        exclusions = List.copyOf(exclusions);
    }

    /** Without a client certificate. */
    public TlsCipherPolicy(TlsProtocols protocols, CipherGrade grade, List<String> exclusions) {
        this(protocols, grade, exclusions, null);
    }

    /** The same offer, presenting {@code cert} when a server asks for a certificate (null: none). */
    public TlsCipherPolicy withCertificate(KeyAndChain cert) {
        return new TlsCipherPolicy(protocols, grade, exclusions, cert);
    }

    /**
     * The TLS 1.2-and-older suites this policy offers, in preference order, from those the library
     * has.
     *
     * @throws IllegalArgumentException for the null grade, an exclusion that is not understood, or
     *     no suite left while a version older than TLS 1.3 is allowed
     */
    public List<String> suites(List<String> available) {
        List<CipherSuites.Suite> suites = CipherSuites.exclude(CipherSuites.clientGrade(grade, available), exclusions);
        if (suites.isEmpty() && protocols.belowTls13()) {
            throw new IllegalArgumentException("grade " + grade.configName() + " less " + String.join(" ", exclusions)
                    + " leaves no cipher suite for " + String.join(", ", protocols.versions())
                    + " (TLS 1.3 alone needs none: limit the protocols to it)");
        }
        return suites.stream().map(CipherSuites.Suite::name).toList();
    }
}
