package io.postilion.transport.session;

import io.postilion.transport.reply.SmtpReply;

/**
 * Why a stage did not succeed, as a value the delivery agent can classify (site, message or
 * recipient failure; soft or hard) without parsing text.
 *
 * @param stage where it happened
 * @param kind what happened
 * @param reply the server's reply for {@link Kind#REPLY}, else null
 * @param status the DSN status: the reply's enhanced status, or the local one (4.4.2 for a lost
 *     connection or a timeout, TIME-6)
 * @param text the diagnostic as Postfix words it, e.g. "host mx[192.0.2.1] said: 550 5.1.1 no
 *     (in reply to RCPT TO command)"
 */
public record StageFailure(Stage stage, Kind kind, SmtpReply reply, String status, String text) {

    /** The kinds of failure a stage can end in. */
    public enum Kind {
        /** The server answered with a reply the stage does not accept. */
        REPLY,
        /** The stage's time limit ran out (TIME-6). */
        TIMEOUT,
        /** The connection broke: EOF or an I/O error (TIME-6). */
        LOST,
        /** Refused by the client itself before anything reached the wire. */
        LOCAL,
        /**
         * The client could not read the content it was sending (DATA-31): a local data error. The
         * connection was dropped without the end-of-data line.
         */
        DATA
    }

    /** The greeting or a hello refused: "host HOST[ADDR] refused to talk to me: REPLY" (SESS-7, SESS-11). */
    static StageFailure refused(Stage stage, SmtpReply reply, String server) {
        return new StageFailure(stage, Kind.REPLY, reply, reply.status(),
                "host " + server + " refused to talk to me: " + reply.text());
    }

    static StageFailure timeout(Stage stage, String server) {
        return new StageFailure(stage, Kind.TIMEOUT, null, "4.4.2",
                "conversation with " + server + " timed out while " + stage.doing());
    }

    /** DATA-31, Postfix's SMTP_ERR_DATA: "local data error while talking to HOST[ADDR]", 4.3.0. */
    static StageFailure localData(String server) {
        return new StageFailure(Stage.BODY, Kind.DATA, null, "4.3.0", "local data error while talking to " + server);
    }

    static StageFailure lost(Stage stage, String server) {
        return new StageFailure(stage, Kind.LOST, null, "4.4.2",
                "lost connection with " + server + " while " + stage.doing());
    }

    /** Whether the connection can still carry a QUIT (it cannot after a timeout or a loss). */
    public boolean connectionUsable() {
        return kind == Kind.REPLY || kind == Kind.LOCAL;
    }
}
