package io.postilion.engine.relay;

import java.time.Instant;
import java.util.List;

/**
 * One line of the queue listing (postilion queue, like mailq): a message, where it is, and the
 * recipients still to be delivered.
 *
 * @param queueId the message's id
 * @param state active, deferred or corrupt
 * @param arrival when it was accepted (null for a corrupt file)
 * @param sender the envelope sender, empty for a notice
 * @param size the content size in bytes
 * @param pending recipients not yet sent or returned
 */
public record QueueEntry(String queueId, String state, Instant arrival, String sender, long size, List<String> pending) {

    /** The listing in mailq's spirit: a line per message, then its pending recipients indented. */
    public String format() {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format("%-16s %9d %-8s %s  %s%n", queueId, size, state, arrival == null ? "-" : arrival.toString(),
                sender.isEmpty() ? "MAILER-DAEMON" : sender));
        for (String p : pending) {
            sb.append("                 ").append(p).append(System.lineSeparator());
        }
        return sb.toString();
    }
}
