package io.postilion.engine.listener;

import java.util.ArrayList;
import java.util.List;

/**
 * The reverse- or forward-path of MAIL FROM / RCPT TO and the ESMTP parameters after it. The
 * path keeps RFC 5321 quoting ({@code <"a b"@x>}); a {@code >} inside quotes does not end it.
 *
 * @param path the address between the angle brackets, empty for {@code <>}
 * @param parameters each as {key, value}, value null for a bare keyword
 */
record PathAndParameters(String path, List<String[]> parameters) {

    /** Null when the line is not {@code PREFIX<path> [params]} (the prefix matched case-insensitively). */
    static PathAndParameters parse(String line, String prefix) {
        if (line.length() < prefix.length() || !line.regionMatches(true, 0, prefix, 0, prefix.length())) {
            return null;
        }
        int i = prefix.length();
        while (i < line.length() && line.charAt(i) == ' ') {
            i++; // Postfix tolerates "MAIL FROM: <a@b>"
        }
        if (i >= line.length() || line.charAt(i) != '<') {
            return null;
        }
        int end = -1;
        boolean quoted = false;
        for (int j = i + 1; j < line.length(); j++) {
            char c = line.charAt(j);
            if (c == '\\' && quoted) {
                j++;
            } else if (c == '"') {
                quoted = !quoted;
            } else if (c == '>' && !quoted) {
                end = j;
                break;
            }
        }
        if (end < 0) {
            return null;
        }
        String path = line.substring(i + 1, end);
        int colon = path.indexOf(':');
        if (path.startsWith("@") && colon > 0) {
            path = path.substring(colon + 1); // a source route is ignored (RFC 5321 section 4.1.2)
        }
        List<String[]> params = new ArrayList<>();
        String rest = line.substring(end + 1).trim();
        if (!rest.isEmpty()) {
            for (String word : rest.split(" +")) {
                int eq = word.indexOf('=');
                if (eq == 0) {
                    return null;
                }
                params.add(eq < 0 ? new String[] {word, null} : new String[] {word.substring(0, eq), word.substring(eq + 1)});
            }
        }
        return new PathAndParameters(path, params);
    }
}
