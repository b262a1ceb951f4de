package io.postilion.engine.agent;

import io.postilion.tls.TlsLevel;
import io.postilion.transport.session.SmtpSession;
import java.time.Duration;

/**
 * When a failed opportunistic TLS session may be retried at once on the same address in
 * plaintext (TLS-11 after a failed handshake, TLS-12 after a TLS session broken by EOF or a
 * timeout; Postfix's PLAINTEXT_FALLBACK_OK_AFTER_STARTTLS_FAILURE and
 * PLAINTEXT_FALLBACK_OK_AFTER_TLS_SESSION_FAILURE in smtp.h). Every condition must hold: the
 * session's level is exactly may; REQUIRETLS does not require TLS; no SASL credentials are found
 * for the server (SASL-10: the mail would otherwise go out unauthenticated and meet "relay access
 * denied"); and the request is an address probe, or its message had been queued for at least
 * minimal_backoff_time when the queue manager picked it up. So a fresh message whose only server
 * has a broken TLS stack is deferred once, and goes out in plaintext on a later attempt.
 */
final class PlaintextFallback {

    private final Duration minimalBackoff;
    private final SaslLogin sasl;
    private final boolean saslEnabled;
    private final RequireTlsDemand requireTls;

    PlaintextFallback(Duration minimalBackoff, SaslLogin sasl, boolean saslEnabled, RequireTlsDemand requireTls) {
        this.minimalBackoff = minimalBackoff;
        this.sasl = sasl;
        this.saslEnabled = saslEnabled;
        this.requireTls = requireTls;
    }

    /** TLS-11: after {@code s}'s handshake failed (TLS-10). */
    boolean afterHandshakeFailure(Attempt a, SmtpSession s, String nexthop) {
        return s.tlsHandshakeFailed() && allowed(a, s, nexthop);
    }

    /**
     * TLS-12: after {@code s}, a TLS session that completed its handshake, was broken by EOF or a
     * timeout, with at least one recipient still undecided (those already decided, say deferred
     * by a RCPT reply at a final server, are not retried).
     */
    boolean afterSessionFailure(Attempt a, SmtpSession s, String nexthop) {
        return s.tlsActive() && !s.tlsHandshakeFailed() && !a.undecided().isEmpty() && allowed(a, s, nexthop);
    }

    private boolean allowed(Attempt a, SmtpSession s, String nexthop) {
        if (s.tlsPolicy().level() != TlsLevel.MAY || requireTls.requiresTls(a.request)) {
            return false;
        }
        boolean oldEnough = a.request.probe()
                || Duration.between(a.request.arrival(), a.request.active()).compareTo(minimalBackoff) >= 0;
        return oldEnough && !hasCredentials(a, s, nexthop);
    }

    /**
     * SASL-10: whether a credential lookup in SASL-2's order succeeds for this server. A table that
     * cannot answer counts as having credentials: plaintext is the weaker choice.
     */
    private boolean hasCredentials(Attempt a, SmtpSession s, String nexthop) {
        if (!saslEnabled) {
            return false;
        }
        try {
            return sasl.credentials(a.request.sender(), s.endpoint().hostname(), nexthop).isPresent();
        } catch (RuntimeException e) {
            return true;
        }
    }
}
