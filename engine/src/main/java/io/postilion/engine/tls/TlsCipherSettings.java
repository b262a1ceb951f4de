package io.postilion.engine.tls;

import io.postilion.tls.CipherGrade;
import io.postilion.tls.KeyAndChain;
import io.postilion.tls.TlsCipherPolicy;
import io.postilion.tls.TlsLevel;
import io.postilion.tls.TlsProtocols;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * TLS-6: main.cf's two sets of protocols and ciphers, and which one a level uses. At {@code may}
 * the opportunistic set ({@code smtp_tls_protocols}, {@code smtp_tls_ciphers},
 * {@code smtp_tls_exclude_ciphers}); at {@code encrypt} and above the mandatory one
 * ({@code smtp_tls_mandatory_protocols}, {@code smtp_tls_mandatory_ciphers}, and both exclusion
 * lists). Postfix's smtp_tls_policy.c fills these in where the policy table gave none (TLS-3 step
 * 6); a table's {@code protocols=}/{@code ciphers=}/{@code exclude=} replace them, and the forced
 * {@code eNULL} (at encrypt) and {@code aNULL} (at every authenticating level) exclusions are added
 * either way.
 *
 * @param opportunistic the set for {@code may}, without forced exclusions
 * @param mandatory the set for {@code encrypt} and above, its exclusions already both lists
 * @param clientCertificate the certificate every context presents when a server asks (TLS-25);
 *     null for none
 */
public record TlsCipherSettings(TlsCipherPolicy opportunistic, TlsCipherPolicy mandatory, KeyAndChain clientCertificate) {

    /** Postfix's defaults: {@code >=TLSv1} and {@code medium} for both, nothing excluded, no certificate. */
    public static final TlsCipherSettings DEFAULTS = new TlsCipherSettings(TlsCipherPolicy.DEFAULT, TlsCipherPolicy.DEFAULT);

    public TlsCipherSettings {
        Objects.requireNonNull(opportunistic, "opportunistic");
        Objects.requireNonNull(mandatory, "mandatory");
    }

    /** Without a client certificate. */
    public TlsCipherSettings(TlsCipherPolicy opportunistic, TlsCipherPolicy mandatory) {
        this(opportunistic, mandatory, null);
    }

    /** The same sets, presenting {@code cert} when a server asks (TLS-25; null: none). */
    public TlsCipherSettings withClientCertificate(KeyAndChain cert) {
        return new TlsCipherSettings(opportunistic, mandatory, cert);
    }

    /** The set {@code level} uses from main.cf, with TLS-6's forced exclusions. */
    public TlsCipherPolicy forLevel(TlsLevel level) {
        TlsCipherPolicy base = level.requiresTls() ? mandatory : opportunistic;
        return withForcedExclusions(level, base.protocols(), base.grade(), base.exclusions());
    }

    /**
     * A policy table's overrides on top of main.cf (TLS-4, TLS-6): each null attribute keeps the
     * level's main.cf value; {@code exclude} replaces both main.cf exclusion lists. The forced
     * exclusions are added.
     *
     * @param protocols the {@code protocols=} value (colon-separated), or null
     * @param ciphers the {@code ciphers=} grade, or null
     * @param exclude the {@code exclude=} value, or null
     * @throws IllegalArgumentException naming what is wrong with an attribute (the policy is then invalid)
     */
    public TlsCipherPolicy forLevel(TlsLevel level, String protocols, String ciphers, String exclude) {
        TlsCipherPolicy base = level.requiresTls() ? mandatory : opportunistic;
        TlsProtocols p = protocols == null ? base.protocols() : TlsProtocols.parse(protocols, TlsProtocols.Syntax.POLICY_TABLE);
        CipherGrade g = ciphers == null ? base.grade() : CipherGrade.parse(ciphers);
        List<String> x = exclude == null ? base.exclusions() : List.of(exclude.split("[\\s,:]+"));
        return withForcedExclusions(level, p, g, x);
    }

    private TlsCipherPolicy withForcedExclusions(TlsLevel level, TlsProtocols p, CipherGrade g, List<String> x) {
        List<String> all = new ArrayList<>();
        for (String e : x) {
            if (!e.isBlank()) {
                all.add(e.trim());
            }
        }
        if (level == TlsLevel.ENCRYPT) {
            all.add("eNULL");
        }
        if (level.mustMatch()) {
            all.add("aNULL");
        }
        return new TlsCipherPolicy(p, g, all, clientCertificate);
    }
}
