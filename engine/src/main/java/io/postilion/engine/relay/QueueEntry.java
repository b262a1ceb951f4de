package io.postilion.engine.relay;

import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * One message of the queue listing (postilion queue, like mailq): where it is, who sent it, and
 * the recipients still to be delivered with the reason of each one's last deferral.
 * {@link QueueListing} lays a list of them out.
 *
 * @param queueId the message's id
 * @param state active, deferred or corrupt
 * @param arrival when it was accepted (null for a corrupt file)
 * @param sender the envelope sender, empty for a notice
 * @param size the content size in bytes
 * @param pending recipients not yet sent or returned, in queue order
 */
public record QueueEntry(String queueId, String state, Instant arrival, String sender, long size, List<Pending> pending) {

    public QueueEntry {
        Objects.requireNonNull(queueId, "queueId");
        Objects.requireNonNull(state, "state");
        Objects.requireNonNull(sender, "sender");
        pending = List.copyOf(pending);
    }

    /**
     * A recipient still to be delivered.
     *
     * @param address the recipient
     * @param reason why its last attempt was deferred, empty when it has not been tried
     */
    public record Pending(String address, String reason) {
        public Pending {
            Objects.requireNonNull(address, "address");
            Objects.requireNonNull(reason, "reason");
        }
    }
}
