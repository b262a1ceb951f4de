package io.postilion.engine.agent;

import io.postilion.engine.delivery.DsnAction;
import io.postilion.engine.delivery.DsnStatus;

/**
 * What the outcome rules need to know about the server at hand: its names for diagnostics, the
 * relay= field and the Remote-MTA field, whether it is the final server (SESS-3), the
 * request-wide switches, and for a success what DSN action to record and whether the server took
 * over success notices by announcing DSN (REPLY-15).
 *
 * @param host the server's host name, as a notice's Remote-MTA names it
 */
record ServerContext(String host, String display, String relay, boolean finalServer, boolean softBounce, boolean lmtp,
        DsnAction successAction, int connUse, boolean serverDsn) {

    ServerContext(String host, String display, String relay, boolean finalServer, boolean softBounce, boolean lmtp) {
        this(host, display, relay, finalServer, softBounce, lmtp, DsnAction.RELAYED, 1, false);
    }

    Decision decide(DsnStatus status, boolean softUnlessFinal) {
        return Trouble.decide(status, softUnlessFinal, finalServer, softBounce);
    }

    ServerContext withConnUse(int n) {
        return new ServerContext(host, display, relay, finalServer, softBounce, lmtp, successAction, n, serverDsn);
    }

    ServerContext asFinal(boolean isFinal) {
        return new ServerContext(host, display, relay, isFinal, softBounce, lmtp, successAction, connUse, serverDsn);
    }

    /**
     * DATA-25, REPLY-15: "delivered" only for LMTP with final delivery declared (flag X or
     * lmtp_assume_final) at a server without DSN; "relayed" everywhere else.
     */
    ServerContext forSuccess(boolean finalDelivery, boolean dsnAnnounced) {
        DsnAction action = lmtp && finalDelivery && !dsnAnnounced ? DsnAction.DELIVERED : DsnAction.RELAYED;
        return new ServerContext(host, display, relay, finalServer, softBounce, lmtp, action, connUse, dsnAnnounced);
    }
}
