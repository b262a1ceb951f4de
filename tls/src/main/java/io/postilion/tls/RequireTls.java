package io.postilion.tls;

/**
 * How strictly a message's REQUIRETLS request (RFC 8689) is enforced at one destination: the action
 * {@code smtp_requiretls_policy} chose for it (TLS-19, Postfix's smtp_reqtls_policy.c). The session
 * follows it; {@code error} never reaches a session (the server is skipped with 4.7.10).
 */
public enum RequireTls {
    /** Not requested, REQUIRETLS off ({@code requiretls_enable = no}), or the policy says {@code disable}. */
    NONE,
    /** {@code opportunistic}: never fails; REQUIRETLS is sent only to a server that announced it over TLS. */
    OPPORTUNISTIC,
    /** {@code opportunistic+starttls}: TLS must be used, but no certificate match or server support is needed. */
    OPPORTUNISTIC_STARTTLS,
    /** {@code enforce}: TLS with a matched certificate, and a server that announced REQUIRETLS over TLS. */
    ENFORCE;

    /** The request makes TLS mandatory: no plaintext, no plaintext fallback (TLS-11). */
    public boolean requiresTls() {
        return this == OPPORTUNISTIC_STARTTLS || this == ENFORCE;
    }

    /** The request is honoured at all: MAIL FROM may carry REQUIRETLS. */
    public boolean requested() {
        return this != NONE;
    }
}
