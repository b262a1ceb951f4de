package io.postilion.engine.agent;

/**
 * What the outcome rules need to know about the server at hand: its names for diagnostics and
 * the relay= field, whether it is the final server (SESS-3), and the request-wide switches.
 */
record ServerContext(String display, String relay, boolean finalServer, boolean softBounce, boolean lmtp,
        String successAction, int connUse) {

    Decision decide(String status, boolean softUnlessFinal) {
        return Trouble.decide(status, softUnlessFinal, finalServer, softBounce);
    }

    ServerContext withConnUse(int n) {
        return new ServerContext(display, relay, finalServer, softBounce, lmtp, successAction, n);
    }

    ServerContext asFinal(boolean isFinal) {
        return new ServerContext(display, relay, isFinal, softBounce, lmtp, successAction, connUse);
    }
}
