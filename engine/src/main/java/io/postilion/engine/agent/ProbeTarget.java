package io.postilion.engine.agent;

import io.postilion.transport.session.Transaction;

/**
 * smtp_address_verify_target: how far an address verification probe goes (MISC-1). RCPT stops
 * after the RCPT replies with RSET; DATA also asks DATA, for servers that refuse recipients only
 * there, and drops the connection on 354.
 */
public enum ProbeTarget {
    RCPT(Transaction.Purpose.VERIFY_RCPT),
    DATA(Transaction.Purpose.VERIFY_DATA);

    private final Transaction.Purpose purpose;

    ProbeTarget(Transaction.Purpose purpose) {
        this.purpose = purpose;
    }

    /** The kind of transaction the session runs for such a probe. */
    public Transaction.Purpose purpose() {
        return purpose;
    }
}
