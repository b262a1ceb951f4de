package io.postilion.engine.listener;

import java.util.Locale;

/**
 * smtpd_forbid_bare_newline (Postfix 3.9 meanings): what a line ending that is not CRLF means in
 * a client's command or message. Only {@link #NO} lets a bare LF end DATA; the default,
 * {@link #NORMALIZE}, accepts bare line ends inside the content but ends DATA only on CRLF.CRLF,
 * so no second message can be smuggled past this relay.
 */
public enum BareNewlinePolicy {
    /** Legacy: a bare LF is a line end everywhere, including the end of DATA. Unsafe. */
    NO,
    /** A bare LF (or CR) becomes CRLF in content; only CRLF.CRLF ends DATA. */
    NORMALIZE,
    /** A bare LF is refused with 521 and the session is ended. */
    YES,
    /** A message containing a bare LF is refused with 550; the session goes on. */
    REJECT;

    public static BareNewlinePolicy parse(String value) {
        return valueOf(value.trim().toUpperCase(Locale.ROOT));
    }
}
