package io.postilion.transport.protocol;

import io.postilion.transport.reply.SmtpReply;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * Turns a positive EHLO or LHLO reply into {@link Capabilities} (SESS-12 to SESS-14, SESS-17).
 *
 * <p>Each line (code and separator already removed by the reply reader) yields one keyword: the
 * first token ended by a space, a tab or '=' (the last so that the obsolete {@code AUTH=LOGIN}
 * form works); the rest of the line is its parameter list. The first line's token is the
 * server's name, not a capability. Lines without a token, such as smtp-sink's closing
 * {@code 250 }, are skipped. Unknown keywords are ignored.
 *
 * <p>This class never throws for any reply text; only a null argument is refused.
 */
public final class EhloReplyParser {

    private EhloReplyParser() {
    }

    /**
     * @param reply the positive EHLO/LHLO reply
     * @param overTls true when the reply was received over TLS (after STARTTLS or in wrapper
     *     mode): REQUIRETLS is honoured only then, STARTTLS only otherwise
     * @param discard the keywords to ignore (SESS-13)
     */
    public static Capabilities parse(SmtpReply reply, boolean overTls, DiscardedKeywords discard) {
        return parse(reply.lines(), overTls, discard);
    }

    /** As {@link #parse(SmtpReply, boolean, DiscardedKeywords)}, from the reply's line texts. */
    public static Capabilities parse(List<String> lines, boolean overTls, DiscardedKeywords discard) {
        Objects.requireNonNull(discard, "discard");
        String serverName = "";
        EnumSet<EhloKeyword> kept = EnumSet.noneOf(EhloKeyword.class);
        EnumSet<EhloKeyword> discarded = EnumSet.noneOf(EhloKeyword.class);
        EnumSet<XforwardAttribute> xforward = EnumSet.noneOf(XforwardAttribute.class);
        List<String> mechanisms = new ArrayList<>();
        Set<String> seenMechanisms = new HashSet<>();
        List<String> warnings = new ArrayList<>();
        long sizeLimit = 0;
        boolean sizeWarning = false;

        for (int n = 0; n < lines.size(); n++) {
            String line = Objects.requireNonNull(lines.get(n), "line");
            int start = skip(line, 0);
            if (start == line.length()) {
                continue;
            }
            int end = start;
            while (end < line.length() && !isKeywordEnd(line.charAt(end))) {
                end++;
            }
            String word = line.substring(start, end);
            if (n == 0) {
                serverName = word;
                continue;
            }
            Optional<EhloKeyword> known = EhloKeyword.fromName(word);
            if (known.isEmpty()) {
                continue;
            }
            EhloKeyword keyword = known.get();
            if (discard.discards(keyword)) {
                discarded.add(keyword);
                continue;
            }
            List<String> params = params(line, Math.min(end + 1, line.length()));
            switch (keyword) {
                case STARTTLS -> {
                    if (!overTls) {
                        kept.add(keyword);
                    }
                }
                case REQUIRETLS -> {
                    if (overTls) {
                        kept.add(keyword);
                    }
                }
                case SIZE -> {
                    kept.add(keyword);
                    if (!params.isEmpty()) {
                        String option = params.get(0);
                        long limit = digits(option);
                        if (limit >= 0) {
                            sizeLimit = limit;
                        } else {
                            sizeLimit = 0;
                            sizeWarning = true;
                            warnings.add("SIZE option is not a number: " + printable(option));
                        }
                    }
                }
                case AUTH -> {
                    kept.add(keyword);
                    for (String mech : params) {
                        if (seenMechanisms.add(mech.toUpperCase(Locale.ROOT))) {
                            mechanisms.add(mech);
                        }
                    }
                }
                case XFORWARD -> {
                    kept.add(keyword);
                    for (String attr : params) {
                        XforwardAttribute.fromName(attr).ifPresent(xforward::add);
                    }
                }
                default -> kept.add(keyword);
            }
        }
        boolean implied = kept.contains(EhloKeyword.SMTPUTF8) && !kept.contains(EhloKeyword.EIGHTBITMIME);
        return new Capabilities(serverName, kept, sizeLimit, sizeWarning, mechanisms, xforward, discarded,
                discard.silent(), implied, warnings);
    }

    private static boolean isKeywordEnd(char c) {
        return c == ' ' || c == '\t' || c == '=';
    }

    private static int skip(String s, int i) {
        while (i < s.length() && isKeywordEnd(s.charAt(i))) {
            i++;
        }
        return i;
    }

    private static List<String> params(String line, int from) {
        List<String> out = new ArrayList<>();
        int i = from;
        while (i < line.length()) {
            while (i < line.length() && (line.charAt(i) == ' ' || line.charAt(i) == '\t')) {
                i++;
            }
            int start = i;
            while (i < line.length() && line.charAt(i) != ' ' && line.charAt(i) != '\t') {
                i++;
            }
            if (i > start) {
                out.add(line.substring(start, i));
            }
        }
        return out;
    }

    /** The value of an all-digit string, or -1 when it is not all digits or does not fit. */
    private static long digits(String s) {
        long value = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < '0' || c > '9') {
                return -1;
            }
            if (value > (Long.MAX_VALUE - (c - '0')) / 10) {
                return -1;
            }
            value = value * 10 + (c - '0');
        }
        return value;
    }

    private static String printable(String s) {
        StringBuilder sb = new StringBuilder(Math.min(s.length(), 64));
        for (int i = 0; i < s.length() && sb.length() < 64; i++) {
            char c = s.charAt(i);
            sb.append(c < 0x20 || c == 0x7f ? '?' : c);
        }
        return sb.toString();
    }
}
