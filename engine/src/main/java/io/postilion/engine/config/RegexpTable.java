package io.postilion.engine.config;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * Why it exists: {@code regexp:/path} tables (header checks, reply filters, generic maps) match a
 * key against patterns in file order, the first match giving the result, as in Postfix's regexp
 * tables:
 * <ul>
 * <li>{@code /pattern/flags result}: the pattern is searched for anywhere in the key (any
 *     delimiter character may stand for {@code /}); {@code $1}, {@code ${1}}, {@code $(1)} in the
 *     result are replaced by the matched groups, {@code $$} by a dollar sign;</li>
 * <li>{@code !/pattern/flags result}: matches when the pattern does not (no substitutions);</li>
 * <li>{@code /pattern1/flags!/pattern2/flags result}: matches when pattern1 matches and pattern2
 *     does not; substitutions come from pattern1;</li>
 * <li>{@code if /pattern/flags} ... {@code endif} (or {@code if !/pattern/}): the rules inside are
 *     tried only when the condition holds; blocks nest.</li>
 * </ul>
 * Flags toggle a default: {@code i} (matching ignores case by default, so {@code i} makes it
 * case-sensitive), {@code m} (multi-line), {@code x} (accepted; Java patterns are always
 * extended). Patterns are Java regular expressions, close to the POSIX extended ones Postfix uses.
 * {@code if} and {@code endif} are recognised in any case. Unlike Postfix, which warns and skips
 * a bad line, any malformed line is an error at load (an empty result is only a warning, as in
 * Postfix).
 */
public final class RegexpTable implements LookupTable {

    private sealed interface Node permits Rule, Block {
    }

    private record Condition(Pattern pattern, boolean negated) {

        Matcher matchOrNull(String key) {
            Matcher m = pattern.matcher(key);
            boolean found = m.find();
            return found != negated ? m : null;
        }
    }

    /** {@code unless} is the second pattern of {@code /p1/!/p2/ result} (null when absent). */
    private record Rule(Condition condition, Condition unless, List<Object> result) implements Node {
    }

    private record Block(Condition condition, List<Node> body) implements Node {
    }

    private final List<Node> nodes;
    private final String name;

    private RegexpTable(List<Node> nodes, String name) {
        this.nodes = nodes;
        this.name = name;
    }

    /**
     * Parses a table file's content.
     *
     * @param content the file's text
     * @param name    the table's name for messages ({@code regexp:/path})
     * @throws IllegalArgumentException naming the line when a line is malformed
     */
    public static RegexpTable parse(String content, String name) {
        return parse(content, name, new ArrayList<>());
    }

    /**
     * Parses a table file's content, reporting non-fatal findings (a rule with an empty result,
     * which Postfix also accepts with a warning).
     *
     * @param warnings receives one message per finding
     * @throws IllegalArgumentException naming the line when a line is malformed
     */
    public static RegexpTable parse(String content, String name, List<String> warnings) {
        List<Node> top = new ArrayList<>();
        Deque<List<Node>> open = new ArrayDeque<>();
        Deque<Integer> openLines = new ArrayDeque<>();
        List<Node> current = top;
        for (LogicalLines.Line line : LogicalLines.split(content)) {
            String text = line.text().strip();
            try {
                if (line.isOrphanContinuation()) {
                    throw new IllegalArgumentException("continuation line with nothing before it");
                }
                if (isKeyword(text, "endif")) {
                    if (!text.substring(5).isBlank()) {
                        throw new IllegalArgumentException("text after 'endif'");
                    }
                    if (open.isEmpty()) {
                        throw new IllegalArgumentException("endif without if");
                    }
                    current = open.pop();
                    openLines.pop();
                } else if (isKeyword(text, "if")) {
                    int[] end = new int[1];
                    Condition c = condition(text, 2, end);
                    if (!text.substring(end[0]).isBlank()) {
                        throw new IllegalArgumentException("text after the pattern of 'if'");
                    }
                    List<Node> body = new ArrayList<>();
                    current.add(new Block(c, body));
                    open.push(current);
                    openLines.push(line.number());
                    current = body;
                } else if (!Character.isLetterOrDigit(text.charAt(0))) {
                    int[] end = new int[1];
                    Condition c = condition(text, 0, end);
                    Condition unless = null;
                    if (end[0] < text.length() && text.charAt(end[0]) == '!') {
                        if (c.negated()) {
                            throw new IllegalArgumentException("'!/pattern/' cannot be followed by a second pattern");
                        }
                        unless = condition(text, end[0], end);
                    }
                    String result = text.substring(end[0]).strip();
                    if (result.isEmpty()) {
                        warnings.add(name + ", line " + line.number() + ": empty result after the pattern");
                    }
                    current.add(new Rule(c, unless, substitution(result, c)));
                } else {
                    throw new IllegalArgumentException("expected '/pattern/ result', 'if /pattern/' or 'endif'");
                }
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("line " + line.number() + ": " + e.getMessage(), e);
            }
        }
        if (!open.isEmpty()) {
            throw new IllegalArgumentException("line " + openLines.peek() + ": 'if' without 'endif'");
        }
        return new RegexpTable(List.copyOf(top), name);
    }

    @Override
    public Optional<String> find(String key) {
        return find(nodes, key);
    }

    private static Optional<String> find(List<Node> nodes, String key) {
        for (Node node : nodes) {
            if (node instanceof Rule rule) {
                Matcher m = rule.condition().matchOrNull(key);
                if (m != null && (rule.unless() == null || rule.unless().matchOrNull(key) != null)) {
                    return Optional.of(substitute(rule.result(), rule.condition().negated() ? null : m));
                }
            } else if (node instanceof Block block && block.condition().matchOrNull(key) != null) {
                Optional<String> inner = find(block.body(), key);
                if (inner.isPresent()) {
                    return inner;
                }
            }
        }
        return Optional.empty();
    }

    private static String substitute(List<Object> parts, Matcher m) {
        StringBuilder out = new StringBuilder();
        for (Object part : parts) {
            if (part instanceof Integer group) {
                String g = m.group(group);
                if (g != null) {
                    out.append(g);
                }
            } else {
                out.append((String) part);
            }
        }
        return out.toString();
    }

    /** Parses {@code [!]<d>pattern<d>flags} starting at {@code from} (after optional whitespace). */
    private static Condition condition(String text, int from, int[] end) {
        int i = skipSpace(text, from);
        boolean negated = false;
        while (i < text.length() && text.charAt(i) == '!') {
            negated = !negated;
            i++;
        }
        i = skipSpace(text, i);
        if (i >= text.length()) {
            throw new IllegalArgumentException("missing pattern");
        }
        char delimiter = text.charAt(i);
        StringBuilder regex = new StringBuilder();
        int j = i + 1;
        boolean closed = false;
        while (j < text.length()) {
            char c = text.charAt(j);
            if (c == '\\' && j + 1 < text.length()) {
                char next = text.charAt(j + 1);
                if (next == delimiter && !Character.isLetterOrDigit(next)) {
                    regex.append('\\').append(next);
                } else if (next == delimiter) {
                    regex.append(next);
                } else {
                    regex.append(c).append(next);
                }
                j += 2;
                continue;
            }
            if (c == delimiter) {
                closed = true;
                j++;
                break;
            }
            regex.append(c);
            j++;
        }
        if (!closed) {
            throw new IllegalArgumentException("pattern has no closing '" + delimiter + "'");
        }
        int flags = Pattern.CASE_INSENSITIVE | Pattern.UNICODE_CASE;
        while (j < text.length() && !Character.isWhitespace(text.charAt(j)) && text.charAt(j) != '!') {
            switch (text.charAt(j)) {
                case 'i' -> flags ^= Pattern.CASE_INSENSITIVE | Pattern.UNICODE_CASE;
                case 'm' -> flags ^= Pattern.MULTILINE;
                case 'x' -> {
                    // POSIX extended syntax: Java patterns already are
                }
                default -> throw new IllegalArgumentException("unknown pattern flag '" + text.charAt(j) + "'");
            }
            j++;
        }
        end[0] = j;
        try {
            return new Condition(Pattern.compile(regex.toString(), flags), negated);
        } catch (PatternSyntaxException e) {
            throw new IllegalArgumentException("bad pattern '" + regex + "': " + e.getDescription());
        }
    }

    private static List<Object> substitution(String result, Condition condition) {
        int groups = condition.pattern().matcher("").groupCount();
        List<Object> parts = new ArrayList<>();
        StringBuilder literal = new StringBuilder();
        int i = 0;
        while (i < result.length()) {
            char c = result.charAt(i);
            if (c != '$') {
                literal.append(c);
                i++;
                continue;
            }
            if (i + 1 < result.length() && result.charAt(i + 1) == '$') {
                literal.append('$');
                i += 2;
                continue;
            }
            int start = i + 1;
            char close = 0;
            if (start < result.length() && (result.charAt(start) == '{' || result.charAt(start) == '(')) {
                close = result.charAt(start) == '{' ? '}' : ')';
                start++;
            }
            int j = start;
            while (j < result.length() && Character.isDigit(result.charAt(j))) {
                j++;
            }
            if (j == start || (close != 0 && (j >= result.length() || result.charAt(j) != close))) {
                throw new IllegalArgumentException("'$' in the result must be followed by a group number or '$'");
            }
            int group;
            try {
                group = Integer.parseInt(result.substring(start, j));
            } catch (NumberFormatException e) {
                group = Integer.MAX_VALUE;
            }
            if (group < 1) {
                throw new IllegalArgumentException("$" + group + " is out of range (groups count from 1)");
            }
            if (condition.negated()) {
                throw new IllegalArgumentException("$" + group + " cannot be used with a negated pattern");
            }
            if (group > groups) {
                throw new IllegalArgumentException("$" + group + " is out of range (the pattern has " + groups
                        + " groups)");
            }
            if (literal.length() > 0) {
                parts.add(literal.toString());
                literal.setLength(0);
            }
            parts.add(group);
            i = close != 0 ? j + 1 : j;
        }
        if (literal.length() > 0) {
            parts.add(literal.toString());
        }
        return List.copyOf(parts);
    }

    /** Whether a line is the keyword (any case) followed by nothing or a non-alphanumeric character. */
    private static boolean isKeyword(String text, String keyword) {
        return text.regionMatches(true, 0, keyword, 0, keyword.length())
                && (text.length() == keyword.length() || !Character.isLetterOrDigit(text.charAt(keyword.length())));
    }

    private static int skipSpace(String text, int i) {
        while (i < text.length() && Character.isWhitespace(text.charAt(i))) {
            i++;
        }
        return i;
    }

    @Override
    public String toString() {
        return name;
    }
}
