package io.postilion.engine.delivery;

import java.util.Objects;

/**
 * Who decided a recipient and what they said, as a delivery status notice reports it: for a
 * server's reply, the server's name (Remote-MTA) and the reply as received (Diagnostic-Code:
 * smtp); for this MTA's own finding, only its source and its text. A remote MTA without a reply
 * to quote, or a reply without a server, cannot be built.
 *
 * @param source where the verdict came from
 * @param remoteMta the server's host name, only for {@link VerdictSource#SMTP_REPLY}
 * @param diagnostic the server's reply (code and lines joined, REPLY-2), or this MTA's own words
 */
public record Verdict(VerdictSource source, String remoteMta, String diagnostic) {

    public Verdict {
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(remoteMta, "remoteMta");
        Objects.requireNonNull(diagnostic, "diagnostic");
        if ((source == VerdictSource.SMTP_REPLY) == remoteMta.isEmpty()) {
            throw new IllegalArgumentException(source == VerdictSource.SMTP_REPLY
                    ? "a server's verdict names the server" : "only a server's verdict names a remote MTA");
        }
    }

    /** A server's reply decided it. */
    public static Verdict reply(String remoteMta, String replyText) {
        return new Verdict(VerdictSource.SMTP_REPLY, remoteMta, replyText);
    }

    /** This MTA decided it, for the reason given. */
    public static Verdict local(VerdictSource source, String text) {
        return new Verdict(source, "", text);
    }

    /** Whether a remote server gave this verdict. */
    public boolean fromServer() {
        return source == VerdictSource.SMTP_REPLY;
    }
}
