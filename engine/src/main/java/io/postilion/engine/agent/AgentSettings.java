package io.postilion.engine.agent;

import io.postilion.transport.content.ContentOptions;
import io.postilion.transport.session.SessionSettings;
import java.util.Objects;

/**
 * The delivery agent's own parameters, beside the session's and the lookup's (Postfix's names;
 * the {@code lmtp_} twins in LMTP mode).
 *
 * @param session how sessions behave
 * @param myHostname $myhostname: the name of UNIX-socket LMTP servers in logs (SESS-6)
 * @param mxSessionLimit smtp_mx_session_limit (2; 0 = no limit)
 * @param fallbackRelay smtp_fallback_relay (empty)
 * @param skip5xxGreeting smtp_skip_5xx_greeting (yes)
 * @param softBounce soft_bounce (no)
 * @param quoteRfc821Envelope smtp_quote_rfc821_envelope (yes)
 * @param disableMimeOutputConversion disable_mime_output_conversion (no)
 * @param content smtp_line_length_limit, mime_nesting_limit and the BDAT chunk size
 */
public record AgentSettings(SessionSettings session, String myHostname, int mxSessionLimit, String fallbackRelay,
        boolean skip5xxGreeting, boolean softBounce, boolean quoteRfc821Envelope, boolean disableMimeOutputConversion,
        ContentOptions content) {

    public AgentSettings {
        Objects.requireNonNull(session, "session");
        Objects.requireNonNull(myHostname, "myHostname");
        Objects.requireNonNull(fallbackRelay, "fallbackRelay");
        Objects.requireNonNull(content, "content");
        if (mxSessionLimit < 0) {
            throw new IllegalArgumentException("smtp_mx_session_limit must not be negative: " + mxSessionLimit);
        }
    }

    /** Postfix's defaults around the given session settings. */
    public static AgentSettings defaults(SessionSettings session, String myHostname) {
        return new AgentSettings(session, myHostname, 2, "", true, false, true, false, ContentOptions.defaults());
    }

    public AgentSettings withSoftBounce(boolean on) {
        return new AgentSettings(session, myHostname, mxSessionLimit, fallbackRelay, skip5xxGreeting, on,
                quoteRfc821Envelope, disableMimeOutputConversion, content);
    }

    public AgentSettings withMxSessionLimit(int limit) {
        return new AgentSettings(session, myHostname, limit, fallbackRelay, skip5xxGreeting, softBounce,
                quoteRfc821Envelope, disableMimeOutputConversion, content);
    }

    public AgentSettings withFallbackRelay(String relays) {
        return new AgentSettings(session, myHostname, mxSessionLimit, relays, skip5xxGreeting, softBounce,
                quoteRfc821Envelope, disableMimeOutputConversion, content);
    }

    public AgentSettings withSkip5xxGreeting(boolean on) {
        return new AgentSettings(session, myHostname, mxSessionLimit, fallbackRelay, on, softBounce,
                quoteRfc821Envelope, disableMimeOutputConversion, content);
    }
}
