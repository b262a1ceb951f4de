package io.postilion.engine.delivery;

/** Test fixture: recipient results in the few shapes tests need, with typed statuses. */
public final class Results {

    private Results() {
    }

    /** A result this MTA decided (no server verdict). */
    public static RecipientResult local(Recipient r, Outcome o, String status, String reason, String relay, int connUse) {
        return new RecipientResult(r, o, DsnStatus.parse(status), o.dsnAction(), Verdict.local(VerdictSource.LOCAL, reason),
                reason, relay, connUse, false, "");
    }

    /** A result a server's reply decided; {@code reply} is what it said, {@code reason} the log's words. */
    public static RecipientResult fromServer(Recipient r, Outcome o, String status, DsnAction action, String remoteMta,
            String reply, String reason, String relay, int connUse) {
        return new RecipientResult(r, o, DsnStatus.parse(status), action, Verdict.reply(remoteMta, reply), reason, relay,
                connUse, false, "");
    }
}
