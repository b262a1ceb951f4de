package io.postilion.tls.sts;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Reads the body of {@code https://mta-sts.DOMAIN/.well-known/mta-sts.txt} (RFC 8461 section 3.2)
 * strictly: {@code key: value} lines ended by CRLF or LF, printable ASCII and blanks only, the
 * field names in lower case as the ABNF writes them. {@code version} must be {@code STSv1},
 * {@code mode} one of enforce, testing, none, {@code max_age} at most ten digits and at most
 * 31557600, each {@code mx} a domain or {@code *.}domain. Of a field other than {@code mx} the
 * first occurrence counts; unknown fields that are well formed are ignored; a missing
 * {@code version}, {@code mode} or {@code max_age}, or no {@code mx} outside mode none, makes the
 * policy invalid. The body comes from the network: anything else is refused, nothing is guessed.
 */
public final class StsPolicyParser {

    /** RFC 8461's sts-policy-ext-name: a field name, known or not. */
    private static final Pattern FIELD_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,31}");
    /** One label of RFC 5321's Domain: letters, digits and inner hyphens. */
    private static final Pattern LABEL = Pattern.compile("[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?");
    private static final Pattern MAX_AGE = Pattern.compile("[0-9]{1,10}");

    private StsPolicyParser() {
    }

    /** Parses a policy body. */
    public static StsPolicy parse(byte[] body) throws InvalidStsPolicyException {
        for (byte b : body) {
            boolean ok = b >= 0x20 && b <= 0x7e || b == '\t' || b == '\r' || b == '\n';
            if (!ok) {
                throw new InvalidStsPolicyException(String.format("policy contains the byte 0x%02x", b & 0xff));
            }
        }
        return parse(new String(body, StandardCharsets.US_ASCII));
    }

    /** Parses a policy text (already checked to be ASCII by {@link #parse(byte[])} when it came as bytes). */
    public static StsPolicy parse(String text) throws InvalidStsPolicyException {
        List<String> lines = lines(text);
        String version = null;
        String mode = null;
        String maxAge = null;
        List<MxPattern> mx = new ArrayList<>();
        for (String line : lines) {
            int colon = line.indexOf(':');
            if (colon < 0) {
                throw new InvalidStsPolicyException("policy line without a colon: " + printable(line));
            }
            String name = line.substring(0, colon);
            if (!FIELD_NAME.matcher(name).matches()) {
                throw new InvalidStsPolicyException("bad policy field name: " + printable(name));
            }
            String value = stripBlanks(line.substring(colon + 1));
            if (value.isEmpty()) {
                throw new InvalidStsPolicyException("empty value for policy field " + name);
            }
            for (int i = 0; i < value.length(); i++) {
                char c = value.charAt(i);
                if (c < 0x20 && c != '\t' || c > 0x7e) {
                    throw new InvalidStsPolicyException("policy field " + name + " has a control character");
                }
            }
            switch (name) {
                case "version" -> version = version == null ? value : version;
                case "mode" -> mode = mode == null ? value : mode;
                case "max_age" -> maxAge = maxAge == null ? value : maxAge;
                case "mx" -> mx.add(mxPattern(value));
                default -> {
                    // an extension field: well formed, so ignored (RFC 8461 section 3.2)
                }
            }
        }
        if (version == null || mode == null || maxAge == null) {
            throw new InvalidStsPolicyException("policy lacks " + (version == null ? "version" : mode == null ? "mode" : "max_age"));
        }
        if (!version.equals("STSv1")) {
            throw new InvalidStsPolicyException("unsupported policy version " + printable(version));
        }
        String modeWord = mode;
        StsMode m = StsMode.of(modeWord)
                .orElseThrow(() -> new InvalidStsPolicyException("unknown policy mode " + printable(modeWord)));
        if (!MAX_AGE.matcher(maxAge).matches()) {
            throw new InvalidStsPolicyException("bad max_age " + printable(maxAge));
        }
        long age = Long.parseLong(maxAge);
        if (age > StsPolicy.MAX_AGE_LIMIT) {
            throw new InvalidStsPolicyException("max_age " + age + " exceeds " + StsPolicy.MAX_AGE_LIMIT);
        }
        if (mx.isEmpty() && m != StsMode.NONE) {
            throw new InvalidStsPolicyException("policy in mode " + m.word() + " names no mx");
        }
        return new StsPolicy(m, mx, age);
    }

    /**
     * The lines of {@code text}: separated by LF, each optionally ended by CR before it; one final
     * separator may end the text. An empty line (or text) is not a field, so it is refused.
     */
    private static List<String> lines(String text) throws InvalidStsPolicyException {
        List<String> out = new ArrayList<>();
        int start = 0;
        while (start < text.length()) {
            int lf = text.indexOf('\n', start);
            int end = lf < 0 ? text.length() : lf;
            String line = text.substring(start, end);
            if (lf >= 0 && line.endsWith("\r")) {
                line = line.substring(0, line.length() - 1);
            }
            if (line.indexOf('\r') >= 0) {
                throw new InvalidStsPolicyException("policy contains a CR outside a line ending");
            }
            if (line.isEmpty()) {
                throw new InvalidStsPolicyException("policy contains an empty line");
            }
            out.add(line);
            start = lf < 0 ? text.length() : lf + 1;
        }
        if (out.isEmpty()) {
            throw new InvalidStsPolicyException("empty policy");
        }
        return out;
    }

    /** sts-policy-mx-value: {@code ["*."] Domain}. */
    private static MxPattern mxPattern(String value) throws InvalidStsPolicyException {
        String domain = value.startsWith("*.") ? value.substring(2) : value;
        if (domain.isEmpty() || domain.length() > 253) {
            throw new InvalidStsPolicyException("bad mx pattern " + printable(value));
        }
        for (String label : domain.split("\\.", -1)) {
            if (!LABEL.matcher(label).matches()) {
                throw new InvalidStsPolicyException("bad mx pattern " + printable(value));
            }
        }
        return new MxPattern(value);
    }

    /** Without leading and trailing blanks (space and tab), RFC 8461's WSP; shared with the TXT record. */
    static String stripBlanks(String s) {
        int b = 0;
        int e = s.length();
        while (b < e && (s.charAt(b) == ' ' || s.charAt(b) == '\t')) {
            b++;
        }
        while (e > b && (s.charAt(e - 1) == ' ' || s.charAt(e - 1) == '\t')) {
            e--;
        }
        return s.substring(b, e);
    }

    /** At most 64 characters of hostile text, for a log line. */
    static String printable(String s) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < s.length() && b.length() < 64; i++) {
            char c = s.charAt(i);
            b.append(c >= 0x20 && c <= 0x7e ? c : '?');
        }
        return b.toString();
    }
}
