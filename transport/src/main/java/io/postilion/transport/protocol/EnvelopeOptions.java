package io.postilion.transport.protocol;

/**
 * Session and configuration facts that shape MAIL FROM and RCPT TO besides the envelope itself
 * and the server's capabilities (XFER-3, XFER-5, XFER-6).
 *
 * @param quoteRfc821 {@code smtp_quote_rfc821_envelope} (default yes)
 * @param mimeDowngrade an 8bit to 7bit MIME downgrade will happen (DATA-10): no {@code SIZE=}
 * @param requireTlsRelaxed REQUIRETLS was requested but is being relaxed for this server: with
 *     DSN, {@code RET=HDRS} is sent whatever the sender asked
 * @param requireTlsDisabled policy forbids sending the REQUIRETLS parameter
 * @param sendDummyAuth SASL is enabled, {@code smtp_send_dummy_mail_auth} is yes and this session
 *     authenticated: append {@code AUTH=<>}
 * @param smtpUtf8Flagged some SMTPUTF8 flag is set on the request (requested, sender, header or
 *     recipient): a non-ASCII original recipient gets a {@code utf-8;} ORCPT
 */
public record EnvelopeOptions(boolean quoteRfc821, boolean mimeDowngrade, boolean requireTlsRelaxed,
        boolean requireTlsDisabled, boolean sendDummyAuth, boolean smtpUtf8Flagged) {

    /** Postfix's defaults: quoting on, everything else off. */
    public static final EnvelopeOptions DEFAULT = new EnvelopeOptions(true, false, false, false, false, false);

    public EnvelopeOptions withQuoteRfc821(boolean value) {
        return new EnvelopeOptions(value, mimeDowngrade, requireTlsRelaxed, requireTlsDisabled, sendDummyAuth,
                smtpUtf8Flagged);
    }

    public EnvelopeOptions withMimeDowngrade(boolean value) {
        return new EnvelopeOptions(quoteRfc821, value, requireTlsRelaxed, requireTlsDisabled, sendDummyAuth,
                smtpUtf8Flagged);
    }

    public EnvelopeOptions withRequireTlsRelaxed(boolean value) {
        return new EnvelopeOptions(quoteRfc821, mimeDowngrade, value, requireTlsDisabled, sendDummyAuth,
                smtpUtf8Flagged);
    }

    public EnvelopeOptions withRequireTlsDisabled(boolean value) {
        return new EnvelopeOptions(quoteRfc821, mimeDowngrade, requireTlsRelaxed, value, sendDummyAuth,
                smtpUtf8Flagged);
    }

    public EnvelopeOptions withSendDummyAuth(boolean value) {
        return new EnvelopeOptions(quoteRfc821, mimeDowngrade, requireTlsRelaxed, requireTlsDisabled, value,
                smtpUtf8Flagged);
    }

    public EnvelopeOptions withSmtpUtf8Flagged(boolean value) {
        return new EnvelopeOptions(quoteRfc821, mimeDowngrade, requireTlsRelaxed, requireTlsDisabled, sendDummyAuth,
                value);
    }
}
