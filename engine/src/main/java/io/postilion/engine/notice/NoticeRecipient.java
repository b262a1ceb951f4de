package io.postilion.engine.notice;

import java.util.Objects;

/**
 * One recipient's block in a delivery status notice (RFC 3464 section 2.3).
 *
 * @param finalRecipient the address delivery was tried for
 * @param originalRecipient the ORCPT or original address ({@code type;address}), empty when none
 * @param action failed, delayed, delivered or relayed
 * @param status the DSN status x.y.z
 * @param remoteMta the server's name when a server said it, empty for local failures
 * @param diagnostic the server's reply, or our reason text when the failure was local
 * @param fromServer whether {@code diagnostic} is the server's reply (Diagnostic-Code: smtp;)
 */
public record NoticeRecipient(String finalRecipient, String originalRecipient, String action, String status,
        String remoteMta, String diagnostic, boolean fromServer) {

    public NoticeRecipient {
        Objects.requireNonNull(finalRecipient, "finalRecipient");
        Objects.requireNonNull(originalRecipient, "originalRecipient");
        Objects.requireNonNull(action, "action");
        Objects.requireNonNull(status, "status");
        Objects.requireNonNull(remoteMta, "remoteMta");
        Objects.requireNonNull(diagnostic, "diagnostic");
    }
}
