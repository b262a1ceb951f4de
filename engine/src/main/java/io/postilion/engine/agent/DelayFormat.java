package io.postilion.engine.agent;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.Duration;

/**
 * Formats the times of the log line's delay= and delays= fields as Postfix does (LOG-4): at most
 * two significant digits and at most two decimals, rounded half up, trailing zeros dropped;
 * ten seconds or more as whole seconds.
 */
public final class DelayFormat {

    /** delay_logging_resolution_limit (2). */
    public static final int RESOLUTION_LIMIT = 2;

    private DelayFormat() {
    }

    public static String format(Duration d) {
        return format(d.toNanos() / 1e9);
    }

    public static String format(double seconds) {
        if (seconds < 0) {
            seconds = 0;
        }
        if (seconds >= 10) {
            return new BigDecimal(seconds).setScale(0, RoundingMode.HALF_UP).toPlainString();
        }
        BigDecimal v = BigDecimal.valueOf(seconds);
        // two significant digits, but never more than RESOLUTION_LIMIT decimals
        int decimals = seconds >= 1 ? 1 : Math.min(RESOLUTION_LIMIT, 2 - (int) Math.floor(Math.log10(Math.max(seconds, 1e-12))) - 1);
        decimals = Math.max(0, Math.min(RESOLUTION_LIMIT, decimals));
        BigDecimal rounded = v.setScale(decimals, RoundingMode.HALF_UP).stripTrailingZeros();
        if (rounded.signum() == 0) {
            return "0";
        }
        return rounded.scale() < 0 ? rounded.setScale(0).toPlainString() : rounded.toPlainString();
    }
}
