package io.postilion.engine.scheduler;

import io.postilion.engine.delivery.DeliveryRequest;
import io.postilion.engine.delivery.Recipient;
import java.util.ArrayList;
import java.util.List;

/**
 * Splits one message's recipients for one destination into deliveries of at most
 * {@code *_destination_recipient_limit} recipients each, in queue order, and names the queue each
 * batch waits in. With a limit of 1 the queue is per recipient, not per destination, as in
 * Postfix, so that the concurrency limit then means "per recipient".
 */
final class RecipientBatcher {

    private final int limit;

    /** @param limit recipients per delivery, 0 for no limit */
    RecipientBatcher(int limit) {
        if (limit < 0) {
            throw new IllegalArgumentException("recipient limit must not be negative: " + limit);
        }
        this.limit = limit;
    }

    /** The request itself when it fits, else one copy per batch with its share of the recipients. */
    List<DeliveryRequest> split(DeliveryRequest request) {
        List<Recipient> all = request.recipients();
        if (limit == 0 || all.size() <= limit) {
            return List.of(request);
        }
        List<DeliveryRequest> out = new ArrayList<>((all.size() + limit - 1) / limit);
        for (int from = 0; from < all.size(); from += limit) {
            out.add(request.withRecipients(all.subList(from, Math.min(all.size(), from + limit))));
        }
        return out;
    }

    /** The name of the queue a batch waits in: its next-hop, or with a limit of 1 also its recipient. */
    String queueName(DeliveryRequest batch) {
        if (limit == 1) {
            return batch.nexthop() + " " + batch.recipients().get(0).address();
        }
        return batch.nexthop();
    }
}
