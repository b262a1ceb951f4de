package io.postilion.engine.agent;

import java.time.Duration;
import java.util.List;

/**
 * The result of one delivery request: one result per recipient, in request order, the timings
 * of the log line's delays= field, and whether the destination should be throttled (REPLY-12).
 */
public record DeliveryReport(String queueId, List<RecipientResult> results, boolean throttle, Timings timings) {

    public DeliveryReport {
        results = List.copyOf(results);
    }

    /** delays=A/B/C/X (LOG-3) plus the total delay=. */
    public record Timings(Duration total, Duration queued, Duration handedOver, Duration setup, Duration transmission) {
    }
}
