package io.postilion.tls;

import java.util.List;
import java.util.Objects;

/**
 * The protocols and ciphers one TLS level uses for one destination (TLS-6): the protocol list, the
 * grade and the exclusions already combined (main.cf's opportunistic or mandatory set, or a policy
 * table's {@code protocols=}/{@code ciphers=}/{@code exclude=}, plus the forced {@code eNULL} and
 * {@code aNULL}). Equal values share one client context ({@link ClientTlsContexts#forPolicy}).
 *
 * @param protocols the versions allowed
 * @param grade the cipher grade of TLS 1.2 and older
 * @param exclusions OpenSSL cipher names or types removed from the grade, in order
 */
public record TlsCipherPolicy(TlsProtocols protocols, CipherGrade grade, List<String> exclusions) {

    /** Postfix's defaults: {@code >=TLSv1}, {@code medium}, nothing excluded. */
    public static final TlsCipherPolicy DEFAULT = new TlsCipherPolicy(TlsProtocols.ALL, CipherGrade.MEDIUM, List.of());

    public TlsCipherPolicy {
        Objects.requireNonNull(protocols, "protocols");
        Objects.requireNonNull(grade, "grade");
        exclusions = List.copyOf(exclusions);
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
