package io.postilion.engine.scheduler;

import java.util.Locale;
import java.util.Objects;

/**
 * One concurrency feedback setting ({@code *_destination_concurrency_positive_feedback} and
 * {@code _negative_feedback}): how much a delivery moves a destination's window, either a fixed
 * amount or an amount divided by the window (or its square root), so that a whole pseudo-cohort
 * of deliveries moves it by one.
 *
 * @param base the numerator, between 0 and 1
 * @param scale what the base is divided by
 */
public record Feedback(double base, Scale scale) {

    /** What the base is divided by. */
    public enum Scale {
        /** Nothing: the base itself ("0.25", "1/4"). */
        FIXED,
        /** The window ("1/concurrency"). */
        WINDOW,
        /** The square root of the window ("1/sqrt_concurrency"). */
        SQRT_WINDOW
    }

    /** Postfix's default for both directions: one step per pseudo-cohort. */
    public static final Feedback PER_COHORT = new Feedback(1, Scale.WINDOW);

    public Feedback {
        Objects.requireNonNull(scale, "scale");
        if (!(base >= 0 && base <= 1)) {
            throw new IllegalArgumentException("feedback must be between 0 and 1: " + base);
        }
    }

    /** The amount one delivery contributes at this window. */
    public double at(int window) {
        int w = Math.max(1, window);
        return switch (scale) {
            case FIXED -> base;
            case WINDOW -> base / w;
            case SQRT_WINDOW -> base / Math.sqrt(w);
        };
    }

    /**
     * Reads a setting as Postfix writes it: a number ("0.5"), a fraction ("1/4"), or a number over
     * {@code concurrency} or {@code sqrt_concurrency}.
     *
     * @throws IllegalArgumentException for anything else, or a value outside 0..1
     */
    public static Feedback parse(String text) {
        String t = text.trim().toLowerCase(Locale.ROOT);
        int slash = t.indexOf('/');
        try {
            if (slash < 0) {
                return new Feedback(Double.parseDouble(t), Scale.FIXED);
            }
            double numerator = Double.parseDouble(t.substring(0, slash).trim());
            String denominator = t.substring(slash + 1).trim();
            return switch (denominator) {
                case "concurrency" -> new Feedback(numerator, Scale.WINDOW);
                case "sqrt_concurrency" -> new Feedback(numerator, Scale.SQRT_WINDOW);
                default -> {
                    double d = Double.parseDouble(denominator);
                    if (!(d > 0)) {
                        throw new IllegalArgumentException("bad feedback denominator: " + text);
                    }
                    yield new Feedback(numerator / d, Scale.FIXED);
                }
            };
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("malformed feedback: " + text, e);
        }
    }

    @Override
    public String toString() {
        return switch (scale) {
            case FIXED -> Double.toString(base);
            case WINDOW -> base + "/concurrency";
            case SQRT_WINDOW -> base + "/sqrt_concurrency";
        };
    }
}
