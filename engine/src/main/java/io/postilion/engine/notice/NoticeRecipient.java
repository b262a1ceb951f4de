package io.postilion.engine.notice;

import io.postilion.engine.delivery.DsnAction;
import io.postilion.engine.delivery.DsnStatus;
import io.postilion.engine.delivery.RecipientResult;
import io.postilion.engine.delivery.Verdict;
import java.util.Objects;

/**
 * One recipient's block in a delivery status notice (RFC 3464 section 2.3), taken from the typed
 * result: the Action and Status fields, Remote-MTA only when a server gave the verdict, and the
 * Diagnostic-Code as that server replied (or this MTA's own words, marked as such).
 *
 * @param finalRecipient the address delivery was tried for
 * @param originalRecipient the ORCPT ({@code type;address}), empty when none
 * @param action the DSN action
 * @param status the DSN status
 * @param reason the reason in Postfix's words, for the human-readable part
 * @param verdict who decided, and what they said, for the machine-readable part
 */
public record NoticeRecipient(String finalRecipient, String originalRecipient, DsnAction action, DsnStatus status,
        String reason, Verdict verdict) {

    public NoticeRecipient {
        Objects.requireNonNull(finalRecipient, "finalRecipient");
        Objects.requireNonNull(originalRecipient, "originalRecipient");
        Objects.requireNonNull(action, "action");
        Objects.requireNonNull(status, "status");
        Objects.requireNonNull(reason, "reason");
        Objects.requireNonNull(verdict, "verdict");
    }

    /** The block for a recorded result. */
    public static NoticeRecipient of(RecipientResult r) {
        return new NoticeRecipient(r.recipient().address(), r.recipient().orcpt(), r.action(), r.status(), r.reason(),
                r.verdict());
    }
}
