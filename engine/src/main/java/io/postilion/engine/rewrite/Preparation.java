package io.postilion.engine.rewrite;

import io.postilion.transport.content.ContentSource;
import java.util.List;

/** What {@link MessagePreparation} decided for one delivery request. */
public sealed interface Preparation {

    /**
     * Ready to send.
     *
     * @param content the content to send: the stored one untouched when nothing rewrites it
     * @param sender the envelope sender for MAIL FROM (generic-mapped)
     * @param recipients the envelope recipients for RCPT TO (generic-mapped), in request order
     */
    record Ready(ContentSource content, String sender, List<String> recipients) implements Preparation {
        public Ready {
            recipients = List.copyOf(recipients);
        }
    }

    /**
     * The request fails before any connection, every recipient alike.
     *
     * @param status the DSN status (4.x.x defers, 5.x.x bounces)
     * @param reason the text for the log and the DSN
     */
    record Refused(String status, String reason) implements Preparation {
    }
}
