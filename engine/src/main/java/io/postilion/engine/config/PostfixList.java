package io.postilion.engine.config;

import java.util.ArrayList;
import java.util.List;

/**
 * Why it exists: Postfix list values are separated by commas and/or whitespace, except inside
 * {@code { }} groups, which keep commas and spaces (as in {@code inline:{ a=b, c=d }} or
 * {@code { text with spaces }}). Splitting by that rule is needed by lists and by table lists.
 */
public final class PostfixList {

    private PostfixList() {
    }

    /**
     * Splits a list value into its elements; brace groups are kept whole, braces included.
     *
     * @throws IllegalArgumentException on an unbalanced brace
     */
    public static List<String> split(String value) {
        List<String> out = new ArrayList<>();
        StringBuilder current = new StringBuilder();
        int depth = 0;
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (depth == 0 && (c == ',' || Character.isWhitespace(c))) {
                if (current.length() > 0) {
                    out.add(current.toString());
                    current.setLength(0);
                }
                continue;
            }
            if (c == '{') {
                depth++;
            } else if (c == '}') {
                if (--depth < 0) {
                    throw new IllegalArgumentException("unbalanced '}'");
                }
            }
            current.append(c);
        }
        if (depth != 0) {
            throw new IllegalArgumentException("unbalanced '{'");
        }
        if (current.length() > 0) {
            out.add(current.toString());
        }
        return out;
    }

    /** Like {@link #split}, then an element written wholly as {@code { text }} becomes its trimmed text. */
    public static List<String> splitUngrouped(String value) {
        List<String> out = new ArrayList<>();
        for (String element : split(value)) {
            out.add(ungroup(element));
        }
        return out;
    }

    /** {@code "{ text }"} becomes {@code "text"}; anything else is returned unchanged. */
    static String ungroup(String element) {
        if (element.length() >= 2 && element.charAt(0) == '{' && element.charAt(element.length() - 1) == '}') {
            return element.substring(1, element.length() - 1).strip();
        }
        return element;
    }
}
