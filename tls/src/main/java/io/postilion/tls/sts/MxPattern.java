package io.postilion.tls.sts;

import java.util.Locale;
import java.util.Objects;

/**
 * One {@code mx} line of an MTA-STS policy, and how an MX host name is matched against it
 * (TLS-16, which Postfix applies to a plugin's {@code mx_host_pattern}; RFC 8461 section 4.1): a
 * plain pattern equals the name, ignoring case; {@code *.suffix} matches a name whose first label
 * is not empty and whose rest, after the first dot, equals the suffix. So {@code *.example.com}
 * matches {@code mx.example.com} but neither {@code example.com} nor {@code a.b.example.com}.
 *
 * @param pattern the pattern in lower case, as the policy wrote it otherwise
 */
public record MxPattern(String pattern) {

    public MxPattern {
        Objects.requireNonNull(pattern, "pattern");
        pattern = pattern.toLowerCase(Locale.ROOT);
    }

    /** Whether {@code hostname} (an MX host name, with or without its final dot) is permitted. */
    public boolean matches(String hostname) {
        String name = hostname.toLowerCase(Locale.ROOT);
        if (name.endsWith(".")) {
            name = name.substring(0, name.length() - 1);
        }
        if (!pattern.startsWith("*.")) {
            return name.equals(pattern);
        }
        int dot = name.indexOf('.');
        // a first label must exist and be non-empty; the rest must equal the suffix exactly
        return dot > 0 && name.substring(dot + 1).equals(pattern.substring(2));
    }

    @Override
    public String toString() {
        return pattern;
    }
}
