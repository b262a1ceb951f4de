package io.postilion.engine.listener;

import java.time.Duration;
import java.util.Objects;

/**
 * The limits one SMTP session lives under, as smtpd(8) applies them. Postfix has two sets: one
 * for normal times and one for when the server is under stress (its {@code ${stress?...}}
 * defaults), so the listener keeps both and picks one at the start of each request.
 *
 * @param timeout smtpd_timeout: the longest wait for the client (per read and write, or per
 *     request when {@code perRequestDeadline} is on)
 * @param perRequestDeadline smtpd_per_request_deadline: {@code timeout} limits a whole request,
 *     not each read, so a byte now and then no longer keeps a session alive
 * @param minDataRate smtpd_min_data_rate (bytes/s): under a deadline, DATA and BDAT content
 *     earns one more second per this many bytes received
 * @param softErrorLimit smtpd_soft_error_limit: from this many errors on, every 4xx/5xx reply is
 *     delayed by {@code errorSleep}
 * @param hardErrorLimit smtpd_hard_error_limit: at this many errors the session ends with 421
 * @param errorSleep smtpd_error_sleep_time
 * @param junkCommandLimit smtpd_junk_command_limit: NOOP, RSET, VRFY, HELO/EHLO and HELP beyond
 *     this many in a session (without a message delivered) count as errors
 */
public record SessionLimits(Duration timeout, boolean perRequestDeadline, long minDataRate, int softErrorLimit,
        int hardErrorLimit, Duration errorSleep, int junkCommandLimit) {

    public SessionLimits {
        Objects.requireNonNull(timeout, "timeout");
        Objects.requireNonNull(errorSleep, "errorSleep");
        if (timeout.isZero() || timeout.isNegative()) {
            throw new IllegalArgumentException("smtpd_timeout must be positive: " + timeout);
        }
        if (hardErrorLimit < 1) {
            throw new IllegalArgumentException("smtpd_hard_error_limit must be at least 1: " + hardErrorLimit);
        }
    }

    /** Postfix's defaults for normal times. */
    public static SessionLimits normal() {
        return new SessionLimits(Duration.ofSeconds(300), false, 500, 10, 20, Duration.ofSeconds(1), 100);
    }

    /** Postfix's defaults under stress ({@code ${stress?{...}}}). */
    public static SessionLimits stress() {
        return new SessionLimits(Duration.ofSeconds(10), true, 500, 10, 1, Duration.ofSeconds(1), 1);
    }

    public SessionLimits withTimeout(Duration value) {
        return new SessionLimits(value, perRequestDeadline, minDataRate, softErrorLimit, hardErrorLimit, errorSleep,
                junkCommandLimit);
    }

    public SessionLimits withDeadline(boolean deadline, long rate) {
        return new SessionLimits(timeout, deadline, rate, softErrorLimit, hardErrorLimit, errorSleep, junkCommandLimit);
    }

    public SessionLimits withErrors(int soft, int hard, Duration sleep, int junk) {
        return new SessionLimits(timeout, perRequestDeadline, minDataRate, soft, hard, sleep, junk);
    }
}
