package io.postilion.engine.config;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * Why it exists: main.cf values refer to other parameters, and a reference must see the final
 * value of the name it refers to (whatever the order of definitions), so expansion happens on
 * lookup of the finished set of raw values, recursively, with loops reported rather than followed.
 *
 * <p>Forms: {@code $name}, {@code ${name}}, {@code $(name)}; {@code ${name?text}} (text when name's
 * value is non-empty), {@code ${name:text}} (text when it is empty or undefined),
 * {@code ${name?{text1}:{text2}}} and {@code ${name:{text}}}; {@code $$} is a literal {@code $}.
 * The text of a conditional is itself expanded. An undefined name expands to nothing. A
 * {@code $} not followed by a name or a bracket is kept as it is.
 */
final class ParameterExpander {

    private final Function<String, String> raw;
    private final Map<String, String> done = new HashMap<>();
    private final Set<String> referenced = new HashSet<>();

    /** @param raw the unexpanded value of a name, or null when the name is undefined */
    ParameterExpander(Function<String, String> raw) {
        this.raw = raw;
    }

    /** The fully expanded value of a name, or null when it is undefined. */
    String value(String name) {
        return value(name, new LinkedHashSet<>());
    }

    /** Expands a text that is not itself a parameter's value (errors are charged to owner). */
    String expandText(String owner, String text) {
        LinkedHashSet<String> chain = new LinkedHashSet<>();
        chain.add(owner);
        return expand(text, chain);
    }

    /** Every name some expansion has referred to through {@code $}. */
    Set<String> referenced() {
        return Set.copyOf(referenced);
    }

    private String value(String name, LinkedHashSet<String> chain) {
        String cached = done.get(name);
        if (cached != null) {
            return cached;
        }
        if (chain.contains(name)) {
            List<String> loop = new ArrayList<>(chain);
            loop = loop.subList(loop.indexOf(name), loop.size());
            throw ConfigurationException.badValue(name, "parameter expansion loop: "
                    + String.join(" -> ", loop) + " -> " + name);
        }
        String text = raw.apply(name);
        if (text == null) {
            return null;
        }
        chain.add(name);
        String result = expand(text, chain);
        chain.remove(name);
        done.put(name, result);
        return result;
    }

    private String expand(String text, LinkedHashSet<String> chain) {
        if (text.indexOf('$') < 0) {
            return text;
        }
        StringBuilder out = new StringBuilder(text.length());
        int i = 0;
        while (i < text.length()) {
            char c = text.charAt(i);
            if (c != '$' || i + 1 >= text.length()) {
                out.append(c);
                i++;
                continue;
            }
            char next = text.charAt(i + 1);
            if (next == '$') {
                out.append('$');
                i += 2;
            } else if (next == '{' || next == '(') {
                char close = next == '{' ? '}' : ')';
                int end = matching(text, i + 1, next, close);
                if (end < 0) {
                    throw error(chain, "unmatched '" + next + "' in '" + text + "'");
                }
                out.append(bracketed(text.substring(i + 2, end), chain));
                i = end + 1;
            } else if (isNameChar(next)) {
                int end = i + 1;
                while (end < text.length() && isNameChar(text.charAt(end))) {
                    end++;
                }
                out.append(reference(text.substring(i + 1, end), chain));
                i = end;
            } else {
                out.append(c);
                i++;
            }
        }
        return out.toString();
    }

    private String bracketed(String inner, LinkedHashSet<String> chain) {
        int n = 0;
        while (n < inner.length() && isNameChar(inner.charAt(n))) {
            n++;
        }
        if (n == 0) {
            throw error(chain, "missing parameter name in '$" + "{" + inner + "}'");
        }
        String name = inner.substring(0, n);
        if (n == inner.length()) {
            return reference(name, chain);
        }
        char op = inner.charAt(n);
        if (op != '?' && op != ':') {
            throw error(chain, "unexpected '" + op + "' after parameter name in '${" + inner + "}'");
        }
        String rest = inner.substring(n + 1);
        String whenSet = null;
        String whenEmpty = null;
        if (rest.strip().startsWith("{")) {
            rest = rest.strip();
            int end = matching(rest, 0, '{', '}');
            if (end < 0) {
                throw error(chain, "unmatched '{' in '${" + inner + "}'");
            }
            String first = rest.substring(1, end);
            String tail = rest.substring(end + 1).strip();
            if (op == '?') {
                whenSet = first;
                if (!tail.isEmpty()) {
                    String second = tail.startsWith(":") ? tail.substring(1).strip() : "";
                    if (!second.startsWith("{") || matching(second, 0, '{', '}') != second.length() - 1) {
                        throw error(chain, "expected ':{text}' after '{text}' in '${" + inner + "}'");
                    }
                    whenEmpty = second.substring(1, second.length() - 1);
                }
            } else {
                if (!tail.isEmpty()) {
                    throw error(chain, "unexpected text after '{text}' in '${" + inner + "}'");
                }
                whenEmpty = first;
            }
        } else if (op == '?') {
            whenSet = rest;
        } else {
            whenEmpty = rest;
        }
        String value = reference(name, chain);
        if (!value.isEmpty()) {
            return whenSet == null ? "" : expand(whenSet, chain);
        }
        return whenEmpty == null ? "" : expand(whenEmpty, chain);
    }

    private String reference(String name, LinkedHashSet<String> chain) {
        referenced.add(name);
        String value = value(name, chain);
        return value == null ? "" : value;
    }

    private static ConfigurationException error(LinkedHashSet<String> chain, String what) {
        String owner = chain.isEmpty() ? null : chain.iterator().next();
        String innermost = null;
        for (String name : chain) {
            innermost = name;
        }
        return ConfigurationException.badValue(innermost != null ? innermost : owner,
                "bad value for parameter " + innermost + ": " + what);
    }

    /** Index of the bracket closing the one at {@code open}, counting nesting, or -1. */
    private static int matching(String text, int open, char opening, char closing) {
        int depth = 0;
        for (int i = open; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == opening) {
                depth++;
            } else if (c == closing && --depth == 0) {
                return i;
            }
        }
        return -1;
    }

    static boolean isNameChar(char c) {
        return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    }
}
