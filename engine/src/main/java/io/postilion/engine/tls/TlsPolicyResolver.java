package io.postilion.engine.tls;

import io.postilion.tls.ClientTlsContexts;
import io.postilion.tls.TlsLevel;
import io.postilion.tls.TlsPolicy;
import java.net.IDN;
import java.util.Objects;
import reactor.core.publisher.Mono;

/**
 * Computes the TLS policy of one server before it is connected to: the port of Postfix's
 * smtp_tls_policy.c (TLS-3). Today: the global level (TLS-2), reduced to none for a UNIX-domain
 * socket at may (SESS-6), wrapper mode's refusal of levels below encrypt (TLS-14), connection
 * reuse (TLS-21), the SNI of smtp_tls_servername (TLS-17) and the certificate check of the
 * verifying levels bound to this server's names (TLS-7). Asynchronous because later steps look
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
        if (settings.wrapperMode() && !level.requiresTls()) {
            // TLS-14: wrapper mode needs TLS; Postfix skips such a server with this warning and no error
            return new TlsDecision.Ignore(settings.wrapperParameter() + " requires \"" + settings.levelParameter()
                    + " = encrypt\" (or stronger)");
        }
        if (level == TlsLevel.NONE) {
            return new TlsDecision.Use(TlsPolicy.NONE);
        }
        return new TlsDecision.Use(new TlsPolicy(level, ClientTlsContexts.unauthenticated(level), serverName(q),
                settings.verification().forServer(level, q.hostname(), q.nexthopDomain()), settings.connectionReuse()));
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
