package io.postilion.engine.delivery;

import java.util.List;

/**
 * A transcript the postmaster is to get (LOG-9): the session with {@code server} raised an error
 * class listed in notify_classes. The relay posts it as mail from the double-bounce sender; a
 * caller without a queue logs it.
 *
 * @param queueId the request it belongs to
 * @param recipient error_notice_recipient
 * @param server HOST[ADDR]:PORT of the session
 * @param lines the conversation, "Out: " before each command and "In: " before each reply line
 */
public record PostmasterTranscript(String queueId, String recipient, String server, List<String> lines) {

    public PostmasterTranscript {
        lines = List.copyOf(lines);
    }

    /** The notice's subject line, as Postfix words it. */
    public String subject(boolean lmtp) {
        return "Postilion " + (lmtp ? "LMTP" : "SMTP") + " client: errors from " + server;
    }
}
