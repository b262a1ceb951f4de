package io.postilion.engine.maillog;

import io.postilion.engine.config.Configuration;
import io.postilion.transport.protocol.AddressQuoting;
import java.time.Duration;

/**
 * How informational log lines show addresses and times: the one place that applies
 * {@code info_log_address_format} (LOG-2) and {@code delay_logging_resolution_limit} (LOG-4) to
 * every from=, to=, orig_to=, delay= and delays= field the relay writes (smtpd, qmgr, smtp, lmtp).
 * Addresses are held in their internal, unquoted form; as Postfix's info_log_addr_form does, the
 * external form quotes a local part that is not a dot-string, the internal form shows it as
 * stored, and the null address stays empty in both.
 *
 * @param external info_log_address_format = external (the default) rather than internal
 * @param delayResolution delay_logging_resolution_limit (2): digits after the point at most
 */
public record InfoLogFormat(boolean external, int delayResolution) {

    /** Postfix's defaults: external addresses, two decimals. */
    public static final InfoLogFormat DEFAULTS = new InfoLogFormat(true, DelayFormat.DEFAULT_RESOLUTION_LIMIT);

    public InfoLogFormat {
        if (delayResolution < 0 || delayResolution > 6) {
            throw new IllegalArgumentException("delay_logging_resolution_limit must be 0..6: " + delayResolution);
        }
    }

    /** Reads both parameters (global ones: the SMTP and LMTP views agree). */
    public static InfoLogFormat from(Configuration cfg) {
        return new InfoLogFormat(!cfg.string("info_log_address_format").trim().equalsIgnoreCase("internal"),
                cfg.integer("delay_logging_resolution_limit"));
    }

    /** An internal-form address (sender or recipient) as the log shows it, without the angle brackets. */
    public String address(String internal) {
        return external ? AddressQuoting.quote(internal) : internal;
    }

    /** A delay= or delays= value. */
    public String delay(Duration d) {
        return DelayFormat.format(d, delayResolution);
    }
}
