package io.postilion.engine.rewrite;

import java.util.ArrayList;
import java.util.List;

/**
 * Finds the addresses in an RFC 822 address list (a header value, or a table result such as
 * {@code "Joe" <joe@example.com>, bob@example.org}), with where each sits in the text so that
 * one can be replaced without disturbing the rest. Comments, quoted strings, domain literals,
 * {@code <angle>} forms, source routes and {@code group: a, b;} syntax are understood; malformed
 * input yields whatever addresses can be found, never an exception.
 */
public final class AddressList {

    /**
     * One address found.
     *
     * @param address the address in internal form: quotes removed, whitespace between tokens dropped
     * @param start where the address text starts in the parsed string
     * @param end where it ends (exclusive)
     */
    public record Found(String address, int start, int end) {
    }

    /** The parsed list: the addresses, and the positions of the commas that separate elements. */
    public record Parsed(List<Found> addresses, List<Integer> separators) {
    }

    private enum Kind { ATOM, QUOTED, LITERAL, COMMENT, SPECIAL }

    private record Token(Kind kind, String text, int start, int end) {
        boolean is(char c) {
            return kind == Kind.SPECIAL && text.charAt(0) == c;
        }
    }

    private AddressList() {
    }

    /** The addresses of {@code text}, in order. */
    public static List<String> addresses(String text) {
        return parse(text).addresses().stream().map(Found::address).toList();
    }

    public static Parsed parse(String text) {
        List<Token> tokens = tokenize(text);
        List<Found> found = new ArrayList<>();
        List<Integer> separators = new ArrayList<>();
        List<Token> element = new ArrayList<>();
        int depth = 0;
        for (Token t : tokens) {
            if (t.kind() == Kind.COMMENT) {
                continue;
            }
            if (t.is('<')) {
                depth++;
            } else if (t.is('>') && depth > 0) {
                depth--;
            }
            if (depth == 0 && (t.is(',') || t.is(';'))) {
                element(element, found);
                element.clear();
                if (t.is(',')) {
                    separators.add(t.start());
                }
            } else if (depth == 0 && t.is(':')) {
                element.clear(); // a group's name is not an address
            } else {
                element.add(t);
            }
        }
        element(element, found);
        return new Parsed(List.copyOf(found), List.copyOf(separators));
    }

    private static void element(List<Token> element, List<Found> found) {
        int open = -1;
        int close = -1;
        for (int i = 0; i < element.size(); i++) {
            if (open < 0 && element.get(i).is('<')) {
                open = i;
            } else if (open >= 0 && element.get(i).is('>')) {
                close = i;
                break;
            }
        }
        List<Token> spec;
        if (open >= 0) {
            spec = element.subList(open + 1, close < 0 ? element.size() : close);
            // A source route (<@a,@b:user@c>) is not part of the address.
            for (int i = 0; i < spec.size(); i++) {
                if (spec.get(i).is(':')) {
                    spec = spec.subList(i + 1, spec.size());
                    break;
                }
            }
        } else {
            spec = element;
        }
        if (spec.isEmpty()) {
            return;
        }
        StringBuilder address = new StringBuilder();
        for (Token t : spec) {
            address.append(t.text());
        }
        found.add(new Found(address.toString(), spec.get(0).start(), spec.get(spec.size() - 1).end()));
    }

    private static List<Token> tokenize(String s) {
        List<Token> out = new ArrayList<>();
        int i = 0;
        int n = s.length();
        while (i < n) {
            char c = s.charAt(i);
            if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
                i++;
            } else if (c == '(') {
                int start = i;
                int level = 0;
                while (i < n) {
                    char d = s.charAt(i);
                    if (d == '\\') {
                        i++;
                    } else if (d == '(') {
                        level++;
                    } else if (d == ')' && --level == 0) {
                        i++;
                        break;
                    }
                    i++;
                }
                out.add(new Token(Kind.COMMENT, s.substring(start, Math.min(i, n)), start, Math.min(i, n)));
            } else if (c == '"') {
                int start = i++;
                StringBuilder text = new StringBuilder();
                while (i < n && s.charAt(i) != '"') {
                    if (s.charAt(i) == '\\' && i + 1 < n) {
                        i++;
                    }
                    if (s.charAt(i) != '\r' && s.charAt(i) != '\n') {
                        text.append(s.charAt(i));
                    }
                    i++;
                }
                i = Math.min(i + 1, n);
                out.add(new Token(Kind.QUOTED, text.toString(), start, i));
            } else if (c == '[') {
                int start = i;
                while (i < n && s.charAt(i) != ']') {
                    i += s.charAt(i) == '\\' ? 2 : 1;
                }
                i = Math.min(i + 1, n);
                out.add(new Token(Kind.LITERAL, s.substring(start, i), start, i));
            } else if ("<>,;:@.".indexOf(c) >= 0) {
                out.add(new Token(Kind.SPECIAL, String.valueOf(c), i, i + 1));
                i++;
            } else {
                int start = i;
                while (i < n && " \t\r\n()\"[<>,;:@.".indexOf(s.charAt(i)) < 0) {
                    i++;
                }
                out.add(new Token(Kind.ATOM, s.substring(start, i), start, i));
            }
        }
        return out;
    }
}
