package io.postilion.engine.agent;

import io.postilion.engine.delivery.DsnStatus;
import io.postilion.engine.delivery.Verdict;
import io.postilion.transport.reply.SmtpReply;
import io.postilion.transport.session.Stage;
import io.postilion.transport.session.StageFailure;
import io.postilion.transport.session.TransactionResult;
import java.util.List;

/**
 * Turns the replies of one transaction into decisions for its recipients (XFER-25, XFER-31,
 * XFER-32, REPLY-9..11, REPLY-15): RCPT replies decide single recipients, the MAIL, DATA and SMTP
 * end-of-data replies decide every recipient still open, LMTP's end-of-data replies one each, and
 * a broken connection fails whoever is left at the site level.
 */
final class TransactionOutcomes {

    private TransactionOutcomes() {
    }

    /**
     * @param indexes the request indexes of the transaction's recipients, in RCPT order
     * @return whether the transaction completed normally (for REPLY-12)
     */
    static boolean apply(Attempt attempt, List<Integer> indexes, TransactionResult r, ServerContext server) {
        return apply(attempt, indexes, r, server, java.util.function.UnaryOperator.identity());
    }

    /**
     * As {@link #apply(Attempt, List, TransactionResult, ServerContext)}; when the connection broke
     * (EOF or a timeout), whoever is still open is failed at the server {@code onBreak} makes of
     * {@code server}: TLS-12's plaintext retry makes it non-final, so they are kept for the retry.
     * It is asked only then, after the replies have decided whom they decide.
     */
    static boolean apply(Attempt attempt, List<Integer> indexes, TransactionResult r, ServerContext server,
            java.util.function.UnaryOperator<ServerContext> onBreak) {
        if (r.mail() != null && !r.mail().isPositive()) {
            messageFailure(attempt, indexes, r.mail(), Stage.MAIL, server);
            return r.failure() == null;
        }
        for (int k = 0; k < indexes.size(); k++) {
            SmtpReply reply = k < r.rcpt().size() ? r.rcpt().get(k) : null;
            if (reply != null && !reply.isPositive()) {
                Trouble.Failure f = Trouble.fromReply(reply, said(server, reply, Stage.RCPT), server.host());
                attempt.apply(indexes.get(k), server.decide(f.status(), false), f.reason(), f.verdict(), server.relay(),
                        server.connUse());
            }
        }
        if (attempt.request.probe()) {
            return probe(attempt, indexes, r, server, onBreak);
        }
        List<Integer> accepted = r.accepted().stream().map(indexes::get).toList();
        if (!r.usedBdat() && r.data() != null && !r.data().isIntermediate() && !accepted.isEmpty()) {
            messageFailure(attempt, accepted, r.data(), Stage.DATA, server);
        } else if (r.usedBdat() && r.data() != null && !accepted.isEmpty()) {
            messageFailure(attempt, accepted, r.data(), Stage.BDAT, server);
        } else if (!accepted.isEmpty() && !r.finals().isEmpty()) {
            finals(attempt, accepted, r, server);
        }
        if (r.failure() != null) {
            StageFailure f = r.failure();
            if (f.kind() == StageFailure.Kind.DATA) {
                localDataError(attempt, f, server);
            } else if (f.kind() == StageFailure.Kind.LOCAL) {
                // DATA-13: a content error fails the message, not the site.
                DsnStatus status = DsnStatus.parse(f.status());
                for (int i : accepted) {
                    if (attempt.isUndecided(i)) {
                        attempt.apply(i, server.decide(status, false), f.text(), Trouble.verdictOf(f, server.host()),
                                server.relay(), server.connUse());
                    }
                }
            } else {
                siteFailure(attempt, indexes, f, broken(f, server, onBreak));
            }
            return false;
        }
        return true;
    }

    /** The server a site failure is charged to: {@code onBreak}'s view of it when the connection broke. */
    private static ServerContext broken(StageFailure f, ServerContext server,
            java.util.function.UnaryOperator<ServerContext> onBreak) {
        boolean broke = f.kind() == StageFailure.Kind.LOST || f.kind() == StageFailure.Kind.TIMEOUT;
        return broke ? onBreak.apply(server) : server;
    }

    /**
     * DATA-31: the content could not be read. Postfix's delivery agent dies on a queue file read
     * error and the queue manager defers the request; here every recipient still open is deferred
     * (soft_bounce changes nothing: the status is 4.3.0), no other server is tried with content
     * that cannot be read, and the destination is not throttled (no site trouble).
     */
    private static void localDataError(Attempt attempt, StageFailure f, ServerContext server) {
        DsnStatus status = DsnStatus.parse(f.status());
        for (int i : attempt.undecided()) {
            attempt.apply(i, Trouble.decide(status, false, true, server.softBounce()), f.text(),
                    Trouble.verdictOf(f, server.host()), server.relay(), server.connUse());
        }
        attempt.stopped = true;
    }

    /**
     * MISC-1: a probe's verdicts. With target rcpt each RCPT 2xx is the recipient's "deliverable",
     * with its reply; with target data a 354 makes every accepted recipient deliverable with
     * 2.0.0, and a refused DATA fails them as a delivery would. Refusals were decided above.
     */
    private static boolean probe(Attempt attempt, List<Integer> indexes, TransactionResult r, ServerContext server,
            java.util.function.UnaryOperator<ServerContext> onBreak) {
        List<Integer> accepted = r.accepted().stream().map(indexes::get).toList();
        if (r.data() == null && r.failure() != null && r.failure().stage() != Stage.RSET) {
            siteFailure(attempt, indexes, r.failure(), broken(r.failure(), server, onBreak));
            return false;
        }
        if (r.data() == null) {
            for (int k : r.accepted()) {
                SmtpReply reply = r.rcpt().get(k);
                attempt.sent(indexes.get(k), DsnStatus.parse(reply.status()), reply.text(), said(server, reply),
                        server.relay(), server.successAction(), server.connUse(), false);
            }
        } else if (r.data().isIntermediate()) {
            for (int i : accepted) {
                attempt.sent(i, PROBE_ACCEPTED, r.data().text(), said(server, r.data()), server.relay(),
                        server.successAction(), server.connUse(), false);
            }
        } else if (!accepted.isEmpty()) {
            messageFailure(attempt, accepted, r.data(), Stage.DATA, server);
        }
        if (r.failure() != null) { // e.g. the RSET after a rcpt probe was lost: the verdicts stand
            siteFailure(attempt, indexes, r.failure(), server);
            return false;
        }
        return true;
    }

    private static void finals(Attempt attempt, List<Integer> accepted, TransactionResult r, ServerContext server) {
        Stage stage = r.usedBdat() ? Stage.BDAT : Stage.DOT;
        if (!server.lmtp()) {
            SmtpReply dot = r.finals().get(0);
            if (dot.isPositive()) {
                DsnStatus status = DsnStatus.parse(dot.status());
                for (int i : accepted) {
                    attempt.sent(i, status, dot.text(), said(server, dot), server.relay(), server.successAction(),
                            server.connUse(), server.serverDsn());
                }
            } else {
                messageFailure(attempt, accepted, dot, stage, server);
            }
            return;
        }
        for (int k = 0; k < accepted.size() && k < r.finals().size(); k++) {
            SmtpReply reply = r.finals().get(k);
            int i = accepted.get(k);
            if (reply.isPositive()) {
                attempt.sent(i, DsnStatus.parse(reply.status()), reply.text(), said(server, reply), server.relay(),
                        server.successAction(), server.connUse(), server.serverDsn());
            } else {
                Trouble.Failure f = Trouble.fromReply(reply, said(server, reply, stage), server.host());
                attempt.apply(i, server.decide(f.status(), false), f.reason(), f.verdict(), server.relay(),
                        server.connUse());
            }
        }
    }

    /** REPLY-10: every recipient of {@code indexes} still open gets the reply's verdict. */
    static void messageFailure(Attempt attempt, List<Integer> indexes, SmtpReply reply, Stage stage, ServerContext server) {
        Trouble.Failure f = Trouble.fromReply(reply, said(server, reply, stage), server.host());
        for (int i : indexes) {
            if (attempt.isUndecided(i)) {
                attempt.apply(i, server.decide(f.status(), false), f.reason(), f.verdict(), server.relay(),
                        server.connUse());
            }
        }
    }

    /** REPLY-9: the same for a failure of the site (greeting, hello, TLS, timeouts, lost connections). */
    static void siteFailure(Attempt attempt, List<Integer> indexes, StageFailure f, ServerContext server) {
        siteFailure(attempt, indexes, DsnStatus.parse(f.status()), f.text(), Trouble.verdictOf(f, server.host()), false,
                server);
    }

    static void siteFailure(Attempt attempt, List<Integer> indexes, DsnStatus status, String reason, Verdict verdict,
            boolean softUnlessFinal, ServerContext server) {
        siteFailure(attempt, indexes, status, reason, verdict, softUnlessFinal, server, true);
    }

    /**
     * As above; with {@code throttle} false the failure never throttles the destination (TLS-10: a
     * failed handshake at level may, Postfix's SMTP_MISC_FAIL_SOFT_NON_FINAL).
     */
    static void siteFailure(Attempt attempt, List<Integer> indexes, DsnStatus status, String reason, Verdict verdict,
            boolean softUnlessFinal, ServerContext server, boolean throttle) {
        for (int i : indexes) {
            if (attempt.isUndecided(i)) {
                attempt.apply(i, server.decide(status, softUnlessFinal), reason, verdict, server.relay(), server.connUse());
                if (throttle) {
                    attempt.siteFailureDecided(i); // REPLY-12
                }
            }
        }
    }

    /** A server's positive reply, as the verdict of a success. */
    private static Verdict said(ServerContext server, SmtpReply reply) {
        return Verdict.reply(server.host(), reply.text());
    }

    /** MISC-1: a data probe's 354 makes its recipients deliverable with 2.0.0. */
    private static final DsnStatus PROBE_ACCEPTED = DsnStatus.of(2, 0, 0);

    private static String said(ServerContext server, SmtpReply reply, Stage stage) {
        return "host " + server.display() + " said: " + reply.text() + " (in reply to " + stage.command() + " command)";
    }
}
