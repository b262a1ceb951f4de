package io.postilion.engine.config;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Why it exists: each parameter has a type that decides which values are valid and what a
 * typed accessor returns; checking values against it at load is what turns a bad value into an
 * exit-78 error at start-up instead of a surprise during delivery.
 */
public final class ParameterType {

    /** The kinds of value Postfix parameters take. */
    public enum Kind {
        /** {@code yes} or {@code no} (any case); a {@link Boolean}. */
        BOOLEAN,
        /** A whole number within a range; an {@link Integer}. */
        INTEGER,
        /** A whole number of bytes within a range; a {@link Long}. */
        SIZE,
        /** A Postfix time value; a {@link Duration}. */
        TIME,
        /** Free text; a {@link String}. */
        STRING,
        /** Comma/whitespace separated; a {@code List<String>}. */
        LIST,
        /** One of a fixed set of words (any case); the {@link String} in lower case. */
        ENUM,
        /** A list whose elements each come from a fixed set of words; a {@code List<String>}. */
        ENUM_LIST,
        /** A list of lookup tables ({@code type:name}); opened at load as one {@link LookupTable}. */
        TABLE
    }

    private final Kind kind;
    private final long min;
    private final long max;
    private final char defaultUnit;
    private final Set<String> choices;

    private ParameterType(Kind kind, long min, long max, char defaultUnit, Set<String> choices) {
        this.kind = kind;
        this.min = min;
        this.max = max;
        this.defaultUnit = defaultUnit;
        this.choices = choices;
    }

    public static ParameterType bool() {
        return new ParameterType(Kind.BOOLEAN, 0, 0, 's', Set.of());
    }

    public static ParameterType integer(long min, long max) {
        return new ParameterType(Kind.INTEGER, min, Math.min(max, Integer.MAX_VALUE), 's', Set.of());
    }

    public static ParameterType size(long min) {
        return new ParameterType(Kind.SIZE, min, Long.MAX_VALUE, 's', Set.of());
    }

    /** A time with the unit of a bare number and the least value allowed, in seconds. */
    public static ParameterType time(char defaultUnit, long minSeconds) {
        return new ParameterType(Kind.TIME, minSeconds, Long.MAX_VALUE, defaultUnit, Set.of());
    }

    public static ParameterType string() {
        return new ParameterType(Kind.STRING, 0, 0, 's', Set.of());
    }

    public static ParameterType list() {
        return new ParameterType(Kind.LIST, 0, 0, 's', Set.of());
    }

    public static ParameterType oneOf(String... choices) {
        return new ParameterType(Kind.ENUM, 0, 0, 's', Set.of(choices));
    }

    public static ParameterType listOf(String... choices) {
        return new ParameterType(Kind.ENUM_LIST, 0, 0, 's', Set.of(choices));
    }

    public static ParameterType table() {
        return new ParameterType(Kind.TABLE, 0, 0, 's', Set.of());
    }

    public Kind kind() {
        return kind;
    }

    /** The unit of a bare number, for {@link Kind#TIME}. */
    public char defaultUnit() {
        return defaultUnit;
    }

    /** The allowed words, for {@link Kind#ENUM} and {@link Kind#ENUM_LIST}. */
    public Set<String> choices() {
        return choices;
    }

    /**
     * Checks an expanded value and converts it to the kind's Java type.
     *
     * @throws IllegalArgumentException with a short reason when the value is not valid
     */
    public Object parse(String value) {
        String v = value.strip();
        switch (kind) {
            case BOOLEAN:
                if (v.equalsIgnoreCase("yes")) {
                    return Boolean.TRUE;
                }
                if (v.equalsIgnoreCase("no")) {
                    return Boolean.FALSE;
                }
                throw new IllegalArgumentException("expected yes or no");
            case INTEGER:
                return (int) number(v);
            case SIZE:
                return number(v);
            case TIME: {
                Duration d = PostfixTime.parse(v, defaultUnit);
                if (d.getSeconds() < min) {
                    throw new IllegalArgumentException("must be at least " + min + "s");
                }
                return d;
            }
            case STRING:
                return v;
            case LIST:
                return List.copyOf(PostfixList.splitUngrouped(v));
            case ENUM: {
                String lower = v.toLowerCase(Locale.ROOT);
                if (!choices.contains(lower)) {
                    throw new IllegalArgumentException("expected one of " + describeChoices());
                }
                return lower;
            }
            case ENUM_LIST: {
                List<String> out = new ArrayList<>();
                for (String element : PostfixList.split(v)) {
                    String lower = element.toLowerCase(Locale.ROOT);
                    if (!choices.contains(lower)) {
                        throw new IllegalArgumentException("unknown element '" + element + "', expected any of "
                                + describeChoices());
                    }
                    out.add(lower);
                }
                return List.copyOf(out);
            }
            case TABLE:
                return List.copyOf(PostfixList.split(v));
            default:
                throw new IllegalStateException(kind.toString());
        }
    }

    private long number(String v) {
        long n;
        try {
            n = Long.parseLong(v);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("expected a whole number");
        }
        if (n < min) {
            throw new IllegalArgumentException("must be at least " + min);
        }
        if (n > max) {
            throw new IllegalArgumentException("must be at most " + max);
        }
        return n;
    }

    private String describeChoices() {
        List<String> sorted = new ArrayList<>(choices);
        sorted.replaceAll(c -> c.isEmpty() ? "(empty)" : c);
        sorted.sort(null);
        return String.join(", ", sorted);
    }

    @Override
    public String toString() {
        return kind.name().toLowerCase(Locale.ROOT);
    }
}
