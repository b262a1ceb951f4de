package io.postilion.transport.reply;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * One complete server reply: the three-digit code and enhanced status of its final line, and the
 * text of every line kept (REPLY-1, REPLY-2).
 *
 * <p>A decoded reply keeps its text as the bytes the decoder cleaned (unprintable bytes already
 * '?'), and makes Strings only when asked: most replies on the hot path (RSET, MAIL, RCPT, DATA
 * answered 2xx or 3xx) are judged by their code alone and never become text. An immutable value;
 * the lazily made Strings are immutable too, so sharing a reply between threads is safe.
 */
public final class SmtpReply {

    private final int code;
    private final boolean garbage;
    private final boolean truncated;
    // The kept lines' text, back to back; lineEnds[i] is where line i ends. Null when made from Strings.
    private final byte[] text;
    private final int[] lineEnds;
    // Each kept line's own code as received, -1 for a garbage line. Null when made from Strings.
    private final int[] lineCodes;
    private final boolean utf8;
    private String status;
    private List<String> lines;

    /**
     * A reply from Strings (tests, local use, the reply filter's replacements).
     *
     * @param code the numeric code of the final line (REPLY-4); not otherwise validated
     * @param status the enhanced status code, as REPLY-5 derives it: the server's own when its class
     *     matches the code, else {@code X.0.0}, or {@code 5.5.0} for codes outside 2xx/4xx/5xx
     * @param lines the text of each kept line after the code and separator (may be empty strings)
     * @param garbage true when a line did not start with a reply code (XFER-29: a protocol error
     *     that makes the session non-cacheable)
     * @param truncated true when lines or characters were dropped to stay within the bounds
     */
    public SmtpReply(int code, String status, List<String> lines, boolean garbage, boolean truncated) {
        this.code = code;
        this.status = Objects.requireNonNull(status, "status");
        this.lines = List.copyOf(lines);
        this.garbage = garbage;
        this.truncated = truncated;
        this.text = null;
        this.lineEnds = null;
        this.lineCodes = null;
        this.utf8 = true;
    }

    private SmtpReply(int code, byte[] text, int[] lineEnds, int[] lineCodes, boolean utf8, boolean garbage,
            boolean truncated) {
        this.code = code;
        this.text = text;
        this.lineEnds = lineEnds;
        this.lineCodes = lineCodes;
        this.utf8 = utf8;
        this.garbage = garbage;
        this.truncated = truncated;
    }

    /**
     * The decoder's reply: {@code text} holds the cleaned lines back to back (owned by the reply
     * from now on), {@code lineEnds} where each ends; {@code utf8} when any byte is not ASCII.
     */
    static SmtpReply decoded(int code, byte[] text, int[] lineEnds, int[] lineCodes, boolean utf8, boolean garbage,
            boolean truncated) {
        if (lineEnds.length == 0 || lineCodes.length != lineEnds.length) {
            throw new IllegalArgumentException("a reply has at least its final line, and a code slot per line");
        }
        return new SmtpReply(code, text, lineEnds, lineCodes, utf8, garbage, truncated);
    }

    /** A reply as REPLY-5 reads it from one line of text per element; for tests and local use. */
    public static SmtpReply of(int code, String... lines) {
        String last = lines.length == 0 ? "" : lines[lines.length - 1];
        return new SmtpReply(code, EnhancedStatus.derive(code, last), List.of(lines), false, false);
    }

    public int code() {
        return code;
    }

    /** The enhanced status (REPLY-5), derived from the final line the first time it is asked for. */
    public String status() {
        String s = status;
        if (s == null) {
            s = EnhancedStatus.derive(code, line(lineEnds.length - 1));
            status = s;
        }
        return s;
    }

    /** The text of each kept line after the code and separator (may be empty strings). */
    public List<String> lines() {
        List<String> l = lines;
        if (l == null) {
            List<String> made = new ArrayList<>(lineEnds.length);
            for (int i = 0; i < lineEnds.length; i++) {
                made.add(line(i));
            }
            l = List.copyOf(made);
            lines = l;
        }
        return l;
    }

    /** How many lines were kept. */
    public int lineCount() {
        return lineEnds != null ? lineEnds.length : lines.size();
    }

    /**
     * REPLY-6/REPLY-8: whether this reply, when a failure handler receives it, shows a protocol
     * error: a code below 400 (a success or an intermediate where a failure was handled), above
     * 599, 555 or 500-509 (Postfix's smtp_check_code and vsmtp_fill_dsn).
     */
    public boolean protocolErrorAsFailure() {
        return protocolErrorCode(code);
    }

    /** REPLY-6/REPLY-8: the codes that show a protocol error when a failure handler receives them. */
    public static boolean protocolErrorCode(int code) {
        return code < 400 || code > 599 || code == 555 || code >= 500 && code <= 509;
    }

    public boolean garbage() {
        return garbage;
    }

    public boolean truncated() {
        return truncated;
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
        return status().charAt(0) == '4';
    }

    /**
     * The reply as a diagnostic: every line whole, as received, joined by spaces (REPLY-2), e.g.
     * {@code 550-5.1.1 no such user 550 5.1.1 see the help page}, as Postfix quotes it in the log
     * and in a notice's Diagnostic-Code. A garbage line (no code) is quoted as it came.
     */
    public String text() {
        if (text == null) { // made from Strings: every line carries the final code
            StringBuilder sb = new StringBuilder(16 + lines.size() * 36);
            for (int i = 0; i < lines.size(); i++) {
                sb.append(i == 0 ? "" : " ").append(code).append(i == lines.size() - 1 ? ' ' : '-').append(lines.get(i));
            }
            return sb.toString();
        }
        byte[] out = new byte[text.length + lineEnds.length * 5];
        int n = 0;
        int start = 0;
        for (int i = 0; i < lineEnds.length; i++) {
            if (i > 0) {
                out[n++] = ' ';
            }
            int c = lineCodes[i];
            if (c >= 0) { // a decoded code is always three digits
                out[n++] = (byte) ('0' + c / 100 % 10);
                out[n++] = (byte) ('0' + c / 10 % 10);
                out[n++] = (byte) ('0' + c % 10);
                out[n++] = (byte) (i == lineEnds.length - 1 ? ' ' : '-');
            }
            System.arraycopy(text, start, out, n, lineEnds[i] - start);
            n += lineEnds[i] - start;
            start = lineEnds[i];
        }
        return new String(out, 0, n, charset());
    }

    private String line(int i) {
        int start = i == 0 ? 0 : lineEnds[i - 1];
        return new String(text, start, lineEnds[i] - start, charset());
    }

    private java.nio.charset.Charset charset() {
        return utf8 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof SmtpReply r && r.code == code && r.garbage == garbage && r.truncated == truncated
                && r.status().equals(status()) && r.lines().equals(lines());
    }

    @Override
    public int hashCode() {
        return Objects.hash(code, status(), lines(), garbage, truncated);
    }

    @Override
    public String toString() {
        return text();
    }
}
