package io.postilion.engine.tls;

import io.postilion.tls.ClientTlsContexts;
import io.postilion.tls.RequireTls;
import io.postilion.tls.TlsLevel;
import io.postilion.tls.TlsPolicy;
import java.net.IDN;
import java.util.Objects;
import reactor.core.publisher.Mono;

/**
 * Computes the TLS policy of one server before it is connected to: the port of Postfix's
 * smtp_tls_policy.c (TLS-3). Today: the global level (TLS-2), reduced to none for a UNIX-domain
 * socket at may (SESS-6), the protocols and ciphers of that level (TLS-6), the SNI of
 * smtp_tls_servername (TLS-17) and the certificate check of the verifying levels bound to this
 * server's names (TLS-7); a "TLS-Required: no" message skips the tables and is capped at may
 * (TLS-20), and a REQUIRETLS message gets its destination's action, or the server is skipped when
 * the level cannot satisfy it (TLS-19). Asynchronous because later steps look
 * things up (tables, TLSA records); nothing here blocks.
 */
public final class TlsPolicyResolver {

    private final TlsPolicySettings settings;

    public TlsPolicyResolver(TlsPolicySettings settings) {
        this.settings = Objects.requireNonNull(settings, "settings");
    }

    public TlsPolicySettings settings() {
        return settings;
    }

    /** The policy for {@code q}'s server, or why it must be skipped. */
    public Mono<TlsDecision> resolve(TlsPolicyQuery q) {
        return Mono.fromSupplier(() -> decide(q));
    }

    private TlsDecision decide(TlsPolicyQuery q) {
        TlsLevel level = settings.level();
        RequireTlsSettings rfc8689 = settings.requireTls();
        if (q.tlsRequiredNo() && !q.requireTls() && rfc8689.tlsRequiredEnable()) {
            // TLS-20: no table (nor DANE, nor STS); the global level capped at may, at encrypt in wrapper mode
            TlsLevel cap = settings.wrapperMode() ? TlsLevel.ENCRYPT : TlsLevel.MAY;
            if (level.compareTo(cap) > 0) {
                level = cap;
            }
        }
        RequireTls requireTls = RequireTls.NONE;
        if (q.requireTls() && rfc8689.requireTlsEnable()) {
            RequireTlsPolicy.Action action = rfc8689.policy().actionFor(q.nexthopDomain());
            switch (action) {
                case ERROR:
                    return new TlsDecision.Skip("4.7.10", "REQUIRETLS policy configuration error",
                            "REQUIRETLS policy configuration error for " + q.nexthopDomain());
                case DISABLE:
                    break;
                case OPPORTUNISTIC:
                    requireTls = RequireTls.OPPORTUNISTIC;
                    break;
                case OPPORTUNISTIC_STARTTLS:
                    if (level == TlsLevel.NONE) {
                        return new TlsDecision.Skip("5.7.10", "Sender requested REQUIRETLS, but my configured TLS "
                                + "security level 'none' disables encryption", null);
                    }
                    requireTls = RequireTls.OPPORTUNISTIC_STARTTLS;
                    break;
                default: // ENFORCE
                    if (!level.mustMatch()) {
                        return new TlsDecision.Skip("5.7.10", "Sender requested REQUIRETLS, but my configured TLS "
                                + "security level '" + level.configName() + "' disables certificate matching", null);
                    }
                    requireTls = RequireTls.ENFORCE;
                    break;
            }
        }
        if (level == TlsLevel.NONE) {
            return new TlsDecision.Use(TlsPolicy.NONE.withRequireTls(requireTls));
        }
        return new TlsDecision.Use(new TlsPolicy(level, context(level), serverName(q),
                settings.verification().forServer(level, q.hostname(), q.nexthopDomain()), false, requireTls));
    }

    /**
     * TLS-6: the client context for {@code level} with main.cf's protocols and ciphers (the
     * opportunistic set at may, the mandatory one above). Built once per distinct set; the agent's
     * configuration has built the main.cf ones at start-up.
     */
    public io.netty.handler.ssl.SslContext context(TlsLevel level) {
        return ClientTlsContexts.forPolicy(settings.ciphers().forLevel(level));
    }

    /**
     * TLS-4, TLS-6: the client context for {@code level} with a policy table entry's
     * {@code protocols=}, {@code ciphers=} and {@code exclude=} (each null when the entry has none:
     * main.cf's value for the level is used).
     *
     * @throws IllegalArgumentException with the reason when an attribute cannot be honoured: the
     *     policy is invalid (4.7.5 "client TLS configuration problem")
     */
    public io.netty.handler.ssl.SslContext context(TlsLevel level, String protocols, String ciphers, String exclude) {
        return ClientTlsContexts.forPolicy(settings.ciphers().forLevel(level, protocols, ciphers, exclude));
    }

    /**
     * TLS-17, smtp_tls_servername: no SNI when empty (Postfix's default); the server's host name for
     * {@code hostname}; the next-hop domain for {@code nexthop}; else the configured name. In
     * A-label form.
     */
    private String serverName(TlsPolicyQuery q) {
        String name = switch (settings.serverName()) {
            case "" -> null;
            case "hostname" -> q.hostname();
            case "nexthop" -> q.nexthopDomain();
            default -> settings.serverName();
        };
        return name == null ? null : IDN.toASCII(name, IDN.ALLOW_UNASSIGNED);
    }
}
