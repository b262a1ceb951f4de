package io.postilion.engine.config;

import java.time.Duration;

/**
 * Why it exists: Postfix time values are a whole number with an optional one-letter unit
 * ({@code s m h d w}); a bare number takes the unit the parameter declares (seconds for most,
 * days for queue lifetimes). Parsing that belongs in one place.
 */
public final class PostfixTime {

    private PostfixTime() {
    }

    /**
     * Parses a Postfix time value.
     *
     * @param text        e.g. {@code 300s}, {@code 5m}, {@code 300}
     * @param defaultUnit the unit of a bare number: one of {@code s m h d w}
     * @throws IllegalArgumentException with a short reason when the text is not a time value
     */
    public static Duration parse(String text, char defaultUnit) {
        String t = text.strip();
        if (t.isEmpty()) {
            throw new IllegalArgumentException("empty time value");
        }
        int end = 0;
        while (end < t.length() && Character.isDigit(t.charAt(end))) {
            end++;
        }
        if (end == 0) {
            throw new IllegalArgumentException("time value must start with a number");
        }
        char unit;
        if (end == t.length()) {
            unit = defaultUnit;
        } else if (end == t.length() - 1) {
            unit = t.charAt(end);
        } else {
            throw new IllegalArgumentException("bad time unit '" + t.substring(end) + "' (use one of s m h d w)");
        }
        long amount;
        try {
            amount = Long.parseLong(t.substring(0, end));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("time value out of range");
        }
        long seconds = switch (unit) {
            case 's' -> 1;
            case 'm' -> 60;
            case 'h' -> 3600;
            case 'd' -> 86400;
            case 'w' -> 7 * 86400;
            default -> throw new IllegalArgumentException("bad time unit '" + unit + "' (use one of s m h d w)");
        };
        try {
            return Duration.ofSeconds(Math.multiplyExact(amount, seconds));
        } catch (ArithmeticException e) {
            throw new IllegalArgumentException("time value out of range");
        }
    }

    /** Formats a duration as Postfix would write it in seconds, e.g. {@code 300s}. */
    public static String format(Duration duration) {
        return duration.getSeconds() + "s";
    }
}
