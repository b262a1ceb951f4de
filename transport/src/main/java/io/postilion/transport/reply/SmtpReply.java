package io.postilion.transport.reply;

import java.util.List;
import java.util.Objects;

/**
 * One complete server reply: the three-digit code and enhanced status of its final line, and the
 * text of every line kept (REPLY-1, REPLY-2).
 *
 * @param code the numeric code of the final line (REPLY-4); not otherwise validated
 * @param status the enhanced status code, as REPLY-5 derives it: the server's own when its class
 *     matches the code, else {@code X.0.0}, or {@code 5.5.0} for codes outside 2xx/4xx/5xx
 * @param lines the text of each kept line after the code and separator (may be empty strings)
 * @param garbage true when a line did not start with a reply code (XFER-29: a protocol error that
 *     makes the session non-cacheable)
 * @param truncated true when lines or characters were dropped to stay within the bounds
 */
public record SmtpReply(int code, String status, List<String> lines, boolean garbage, boolean truncated) {

    public SmtpReply {
        Objects.requireNonNull(status, "status");
        lines = List.copyOf(lines);
    }

    /** A reply as REPLY-5 reads it from one line of text per element; for tests and local use. */
    public static SmtpReply of(int code, String... lines) {
        String last = lines.length == 0 ? "" : lines[lines.length - 1];
        return new SmtpReply(code, EnhancedStatus.derive(code, last), List.of(lines), false, false);
    }

    /** The first digit of the code: 2 positive, 3 intermediate, 4 transient, 5 permanent. */
    public int codeClass() {
        return code / 100;
    }

    public boolean isPositive() {
        return codeClass() == 2;
    }

    public boolean isIntermediate() {
        return codeClass() == 3;
    }

    /** Whether the failure is temporary, decided by the enhanced status as REPLY-7 requires. */
    public boolean isSoft() {
        return status.charAt(0) == '4';
    }

    /**
     * The reply as a diagnostic: code and lines joined by spaces, e.g.
     * {@code 550 5.1.1 <x>: user unknown}. Multi-line replies become one line (REPLY-2).
     */
    public String text() {
        StringBuilder sb = new StringBuilder(16 + lines.size() * 32);
        sb.append(code);
        for (String line : lines) {
            sb.append(' ').append(line);
        }
        return sb.toString();
    }

    @Override
    public String toString() {
        return text();
    }
}
