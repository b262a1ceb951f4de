package io.postilion.engine.tls;

import io.postilion.tls.TrustAnchors;
import java.time.Duration;
import java.util.Objects;

/**
 * MTA-STS built into the client (TLS-32, CLARIFICATIONS 42): Postilion's own parameters, as
 * Postfix has no built-in MTA-STS and leaves it to a policy plugin (TLS-16).
 *
 * @param enabled smtp_tls_mta_sts_enable (no)
 * @param trust smtp_tls_mta_sts_CAfile, or the JDK's default trust store when it is empty: the Web
 *     PKI roots for the HTTPS policy fetch and for the SMTP certificate of an enforced destination
 * @param fetchTimeout the limit on each stage of a policy fetch (connect, handshake, answer)
 */
public record MtaStsSettings(boolean enabled, TrustAnchors trust, Duration fetchTimeout) {

    /** RFC 8461 sets no figure; a minute covers a slow web server without holding mail long. */
    public static final Duration FETCH_TIMEOUT = Duration.ofSeconds(60);

    /** MTA-STS off (the default). */
    public static final MtaStsSettings OFF = new MtaStsSettings(false, TrustAnchors.NONE, FETCH_TIMEOUT);

    public MtaStsSettings {
        Objects.requireNonNull(trust, "trust");
        Objects.requireNonNull(fetchTimeout, "fetchTimeout");
        if (enabled && trust.size() == 0) {
            throw new IllegalArgumentException("MTA-STS needs trusted CA certificates");
        }
    }
}
