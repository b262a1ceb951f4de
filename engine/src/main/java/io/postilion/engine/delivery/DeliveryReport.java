package io.postilion.engine.delivery;

import java.time.Duration;
import java.util.List;

/**
 * The result of one delivery request: one result per recipient, in request order, the timings
 * of the log line's delays= field, whether the destination should be throttled (REPLY-12), and
 * the transcripts due to the postmaster (LOG-9).
 */
public record DeliveryReport(String queueId, List<RecipientResult> results, boolean throttle, Timings timings,
        List<PostmasterTranscript> transcripts) {

    public DeliveryReport {
        results = List.copyOf(results);
        transcripts = List.copyOf(transcripts);
    }

    /** A report without postmaster transcripts. */
    public DeliveryReport(String queueId, List<RecipientResult> results, boolean throttle, Timings timings) {
        this(queueId, results, throttle, timings, List.of());
    }

    /** delays=A/B/C/X (LOG-3) plus the total delay=. */
    public record Timings(Duration total, Duration queued, Duration handedOver, Duration setup, Duration transmission) {
    }
}
