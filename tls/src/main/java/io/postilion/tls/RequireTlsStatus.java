package io.postilion.tls;

/**
 * How a session stood against a REQUIRETLS request, as the delivery log's {@code tls=} field
 * shows it after the level (LOG-5, TLS-23): {@code requiretls} when the request was met,
 * {@code requiretls:X} when a non-enforcing policy let the message go without X, {@code !requiretls:X}
 * when the policy was violated and the server not used, {@code requiretls?} while undecided.
 */
public enum RequireTlsStatus {
    /** No connection yet, or it was lost before TLS was settled. */
    UNDECIDED("requiretls?"),
    /** TLS with a matched certificate (under enforce) and a server that announced REQUIRETLS. */
    MET("requiretls"),
    /** Relaxed (opportunistic): the message went without TLS. */
    NO_TLS("requiretls:none"),
    /** Relaxed: TLS, but the certificate was not matched. */
    NO_CERT_MATCH("requiretls:nocertmatch"),
    /** Relaxed: the server did not announce REQUIRETLS, so the message went without it. */
    NO_SUPPORT("requiretls:nosupport"),
    /** Violated: STARTTLS was not offered (5.7.30). */
    VIOLATED_NO_STARTTLS("!requiretls:nostarttls"),
    /** Violated: STARTTLS was refused, or the level uses no TLS (5.7.10). */
    VIOLATED_NO_ENCRYPTION("!requiretls:noencryption"),
    /** Violated: the certificate was not matched under enforce (5.7.10). */
    VIOLATED_NO_CERT_MATCH("!requiretls:nocertmatch"),
    /** Violated: the server did not announce REQUIRETLS over TLS under enforce (5.7.30). */
    VIOLATED_NO_SUPPORT("!requiretls:nosupport");

    private final String logForm;

    RequireTlsStatus(String logForm) {
        this.logForm = logForm;
    }

    /** The feature as the {@code tls=} field writes it. */
    public String logForm() {
        return logForm;
    }
}
