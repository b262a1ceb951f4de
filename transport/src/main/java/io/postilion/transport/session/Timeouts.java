package io.postilion.transport.session;

import java.time.Duration;
import java.util.Objects;

/**
 * The per-stage time limits (TIME-1) with Postfix's defaults, and the deadline mode (TIME-3,
 * TIME-4). LMTP uses the same values except {@code lmtp_connect_timeout} (0 = the system's).
 *
 * @param connect smtp_connect_timeout (30s); zero leaves it to the operating system
 * @param helo smtp_helo_timeout (300s): greeting and EHLO/HELO/LHLO
 * @param starttls smtp_starttls_timeout (300s)
 * @param mail smtp_mail_timeout (300s)
 * @param rcpt smtp_rcpt_timeout (300s)
 * @param dataInit smtp_data_init_timeout (120s): DATA to 354
 * @param dataXfer smtp_data_xfer_timeout (180s): writing the content
 * @param dataDone smtp_data_done_timeout (600s): the dot to its reply or replies
 * @param rset smtp_rset_timeout (20s)
 * @param quit smtp_quit_timeout (300s)
 * @param perRequestDeadline smtp_per_request_deadline (no): a limit is a budget for the whole
 *     request and reply instead of for each read or write
 * @param minDataRate smtp_min_data_rate (500 bytes/s): the credit earned by content writes when
 *     the deadline is on
 * @param xforward smtp_xforward_timeout (300s): an XFORWARD command to its reply (XFER-2)
 */
public record Timeouts(Duration connect, Duration helo, Duration starttls, Duration mail, Duration rcpt,
        Duration dataInit, Duration dataXfer, Duration dataDone, Duration rset, Duration quit,
        boolean perRequestDeadline, long minDataRate, Duration xforward) {

    private static final Duration XFORWARD_DEFAULT = Duration.ofSeconds(300);

    /** The limits without an XFORWARD one of their own: it gets Postfix's default. */
    public Timeouts(Duration connect, Duration helo, Duration starttls, Duration mail, Duration rcpt,
            Duration dataInit, Duration dataXfer, Duration dataDone, Duration rset, Duration quit,
            boolean perRequestDeadline, long minDataRate) {
        this(connect, helo, starttls, mail, rcpt, dataInit, dataXfer, dataDone, rset, quit, perRequestDeadline,
                minDataRate, XFORWARD_DEFAULT);
    }

    public Timeouts {
        for (Duration d : new Duration[] {connect, helo, starttls, mail, rcpt, dataInit, dataXfer, dataDone, rset, quit,
                xforward}) {
            Objects.requireNonNull(d, "timeout");
            if (d.isNegative()) {
                throw new IllegalArgumentException("negative timeout " + d);
            }
        }
        if (minDataRate < 0) {
            throw new IllegalArgumentException("negative smtp_min_data_rate " + minDataRate);
        }
    }

    /** Postfix's defaults for the SMTP client. */
    public static Timeouts smtpDefaults() {
        return new Timeouts(Duration.ofSeconds(30), Duration.ofSeconds(300), Duration.ofSeconds(300),
                Duration.ofSeconds(300), Duration.ofSeconds(300), Duration.ofSeconds(120), Duration.ofSeconds(180),
                Duration.ofSeconds(600), Duration.ofSeconds(20), Duration.ofSeconds(300), false, 500);
    }

    /** Postfix's defaults for the LMTP client: as SMTP, but the connect limit is the system's. */
    public static Timeouts lmtpDefaults() {
        return smtpDefaults().withConnect(Duration.ZERO);
    }

    /** Every limit set to {@code d}: for tests that exercise the timers. */
    public static Timeouts all(Duration d) {
        return new Timeouts(d, d, d, d, d, d, d, d, d, d, false, 500, d);
    }

    public Timeouts withConnect(Duration d) {
        return new Timeouts(d, helo, starttls, mail, rcpt, dataInit, dataXfer, dataDone, rset, quit, perRequestDeadline,
                minDataRate, xforward);
    }

    public Timeouts withXforward(Duration d) {
        return new Timeouts(connect, helo, starttls, mail, rcpt, dataInit, dataXfer, dataDone, rset, quit, perRequestDeadline,
                minDataRate, d);
    }

    public Timeouts withDeadline(boolean on, long rate) {
        return new Timeouts(connect, helo, starttls, mail, rcpt, dataInit, dataXfer, dataDone, rset, quit, on, rate, xforward);
    }

    /** The limit for waiting on the reply of a stage. */
    public Duration forStage(Stage stage) {
        return switch (stage) {
            case CONNECT -> connect;
            case GREETING, EHLO, HELO, LHLO -> helo;
            case STARTTLS -> starttls;
            case XFORWARD -> xforward;
            case MAIL -> mail;
            case RCPT -> rcpt;
            case DATA -> dataInit;
            case BODY -> dataXfer;
            case DOT, BDAT -> dataDone;
            case RSET -> rset;
            case QUIT -> quit;
        };
    }
}
