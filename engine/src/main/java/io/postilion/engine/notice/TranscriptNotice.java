package io.postilion.engine.notice;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;

/**
 * Writes the postmaster's copy of a troubled SMTP session (LOG-9): a plain-text message naming
 * the server, then the session's transcript, each line made printable and wrapped, as Postfix's
 * client reports "errors from" a server. It goes out from the double-bounce sender, so it can
 * never cause another notice.
 */
public final class TranscriptNotice {

    private static final int WIDTH = 78;
    private static final int INDENT = 4;

    private TranscriptNotice() {
    }

    /**
     * @param myHostname the reporting host
     * @param to the postmaster's address
     * @param subject the subject line
     * @param server HOST[ADDR]:PORT of the session
     * @param lines the transcript ("Out: ..." and "In: ..." lines)
     * @param now the Date
     * @param messageId a unique id for the Message-ID, without brackets
     */
    public static byte[] write(String myHostname, String to, String subject, String server, List<String> lines,
            Instant now, String messageId) {
        StringBuilder sb = new StringBuilder(256 + lines.size() * 40);
        line(sb, "From: MAILER-DAEMON@" + myHostname + " (Mail Delivery System)");
        line(sb, "To: " + to + " (Postmaster)");
        line(sb, "Subject: " + subject);
        line(sb, "Date: " + DeliveryStatusNotice.DATE.format(now));
        line(sb, "Message-ID: <" + messageId + "@" + myHostname + ">");
        line(sb, "Auto-Submitted: auto-generated");
        line(sb, "MIME-Version: 1.0");
        line(sb, "Content-Type: text/plain; charset=us-ascii");
        line(sb, "");
        line(sb, "Unexpected response from " + server + ".");
        line(sb, "");
        line(sb, "Transcript of session follows.");
        line(sb, "");
        for (String l : lines) {
            wrap(sb, printable(l));
        }
        line(sb, "");
        line(sb, "For other details, see the local mail logfile.");
        return sb.toString().getBytes(StandardCharsets.US_ASCII);
    }

    /** Server text is untrusted: anything but printable ASCII becomes '?', and a leading space guards a leading dot. */
    static String printable(String s) {
        StringBuilder out = new StringBuilder(s.length() + 1).append(' ');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            out.append(c >= 0x20 && c < 0x7f ? c : '?');
        }
        return out.toString();
    }

    /** Long lines are broken at spaces where it can be done, continuation lines indented. */
    private static void wrap(StringBuilder sb, String text) {
        String rest = text;
        boolean first = true;
        while (true) {
            String prefix = first ? "" : " ".repeat(INDENT);
            int room = WIDTH - prefix.length();
            if (rest.length() <= room) {
                line(sb, prefix + rest);
                return;
            }
            int cut = rest.lastIndexOf(' ', room);
            if (cut <= 1) {
                cut = room;
            }
            line(sb, prefix + rest.substring(0, cut));
            rest = rest.substring(cut).stripLeading();
            first = false;
            if (rest.isEmpty()) {
                return;
            }
        }
    }

    private static void line(StringBuilder sb, String text) {
        sb.append(text).append("\r\n");
    }
}
