package io.postilion.transport.session;

/**
 * The stages of a session, each with the words Postfix uses for it in diagnostics: the command a
 * reply answered ("in reply to RCPT TO command") and what the client was doing when a timeout or
 * a lost connection hit ("while sending RCPT TO", TIME-6).
 */
public enum Stage {
    CONNECT("connect", "connecting"),
    GREETING("initial greeting", "receiving the initial server greeting"),
    EHLO("EHLO", "performing the EHLO handshake"),
    HELO("HELO", "performing the HELO handshake"),
    LHLO("LHLO", "performing the LHLO handshake"),
    STARTTLS("STARTTLS", "receiving the STARTTLS response"),
    XFORWARD("XFORWARD", "sending XFORWARD"),
    MAIL("MAIL FROM", "sending MAIL FROM"),
    RCPT("RCPT TO", "sending RCPT TO"),
    DATA("DATA", "sending DATA command"),
    BODY("end of DATA", "sending message body"),
    DOT("end of DATA", "sending end of data -- message may be sent more than once"),
    BDAT("BDAT", "sending message body"),
    RSET("RSET", "sending RSET"),
    QUIT("QUIT", "sending QUIT");

    private final String command;
    private final String doing;

    Stage(String command, String doing) {
        this.command = command;
        this.doing = doing;
    }

    /** The command named in "(in reply to X command)". */
    public String command() {
        return command;
    }

    /** What the client was doing, as in "timed out while X". */
    public String doing() {
        return doing;
    }
}
