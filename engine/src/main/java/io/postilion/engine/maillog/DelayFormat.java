package io.postilion.engine.maillog;

import java.time.Duration;

/**
 * Formats the times of the log line's delay= and delays= fields as Postfix's format_tv does
 * (LOG-4): two significant digits, at most {@code delay_logging_resolution_limit} digits after the
 * point, rounded half up, trailing zeros and an empty fraction dropped; from one second on one
 * decimal at most, from ten seconds on whole seconds. Times are taken to the microsecond, as
 * Postfix's timeval holds them.
 */
public final class DelayFormat {

    /** delay_logging_resolution_limit's default. */
    public static final int DEFAULT_RESOLUTION_LIMIT = 2;

    private static final int SIGNIFICANT_DIGITS = 2;
    private static final long MILLION = 1_000_000;

    private DelayFormat() {
    }

    /** @param resolutionLimit digits after the point at most, 0 to 6 */
    public static String format(Duration d, int resolutionLimit) {
        long micros = d.isNegative() ? 0 : d.getSeconds() * MILLION + d.getNano() / 1000;
        return format(micros / MILLION, micros % MILLION, resolutionLimit);
    }

    /** Seconds as a double, for tests and callers that hold no Duration. */
    public static String format(double seconds, int resolutionLimit) {
        long micros = seconds <= 0 ? 0 : Math.round(seconds * MILLION);
        return format(micros / MILLION, micros % MILLION, resolutionLimit);
    }

    private static String format(long sec, long usec, int resolutionLimit) {
        if (resolutionLimit < 0 || resolutionLimit > 6) {
            throw new IllegalArgumentException("delay_logging_resolution_limit must be 0..6: " + resolutionLimit);
        }
        long unit = MILLION / pow10(resolutionLimit); // the smallest step shown, in microseconds
        long width = pow10(SIGNIFICANT_DIGITS);
        if (unit < MILLION) {
            if (sec > 0) {
                // 1..9 s keep one decimal, 10 s and more none: the integer part uses the digits
                long n = 1;
                while (sec >= n && n <= width / 10) {
                    n *= 10;
                }
                unit = MILLION / width * n;
            } else {
                // below a second, leading zeros are not significant: coarsen until two digits remain
                while (usec >= width * unit) {
                    unit *= 10;
                }
            }
        }
        if (unit > 1) {
            usec += unit / 2; // half up; what lies below the step is cut when printing
            if (usec >= MILLION) {
                sec++;
                usec -= MILLION;
            }
        }
        StringBuilder sb = new StringBuilder(12).append(sec);
        if (usec >= unit) {
            sb.append('.');
            long rest = usec;
            for (long place = MILLION / 10; rest >= unit && place > 0; place /= 10) {
                sb.append((char) ('0' + rest / place));
                rest %= place;
            }
        }
        return sb.toString();
    }

    private static long pow10(int n) {
        long p = 1;
        for (int i = 0; i < n; i++) {
            p *= 10;
        }
        return p;
    }
}
