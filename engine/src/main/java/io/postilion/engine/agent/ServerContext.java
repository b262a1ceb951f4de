package io.postilion.engine.agent;

/**
 * What the outcome rules need to know about the server at hand: its names for diagnostics and
 * the relay= field, whether it is the final server (SESS-3), the request-wide switches, and for a
 * success what DSN action to record and whether the server took over success notices by
 * announcing DSN (REPLY-15).
 */
record ServerContext(String display, String relay, boolean finalServer, boolean softBounce, boolean lmtp,
        String successAction, int connUse, boolean serverDsn) {

    ServerContext(String display, String relay, boolean finalServer, boolean softBounce, boolean lmtp,
            String successAction, int connUse) {
        this(display, relay, finalServer, softBounce, lmtp, successAction, connUse, false);
    }

    Decision decide(String status, boolean softUnlessFinal) {
        return Trouble.decide(status, softUnlessFinal, finalServer, softBounce);
    }

    ServerContext withConnUse(int n) {
        return new ServerContext(display, relay, finalServer, softBounce, lmtp, successAction, n, serverDsn);
    }

    ServerContext asFinal(boolean isFinal) {
        return new ServerContext(display, relay, isFinal, softBounce, lmtp, successAction, connUse, serverDsn);
    }

    /**
     * DATA-25, REPLY-15: "delivered" only for LMTP with final delivery declared (flag X or
     * lmtp_assume_final) at a server without DSN; "relayed" everywhere else.
     */
    ServerContext forSuccess(boolean finalDelivery, boolean dsnAnnounced) {
        String action = lmtp && finalDelivery && !dsnAnnounced ? "delivered" : "relayed";
        return new ServerContext(display, relay, finalServer, softBounce, lmtp, action, connUse, dsnAnnounced);
    }
}
