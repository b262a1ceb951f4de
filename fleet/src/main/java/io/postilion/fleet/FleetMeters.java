package io.postilion.fleet;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.Objects;
import java.util.function.ToDoubleFunction;

/**
 * The fleet's meters in the relay's registry, so that /metrics shows each node's Kafka ingress and
 * result publisher next to the relay's own meters: what was consumed, stored, passed over and
 * committed, what is paused, the re-delivery window (what this node would have read again by
 * another if it died now), and what the results did. The meters read the ingress's and the
 * publisher's own counters when scraped; nothing here is counted twice. Names follow the
 * engine's (postilion_..., counters ending in _total).
 */
public final class FleetMeters {

    private FleetMeters() {
    }

    /** Registers the ingress's meters. */
    public static void register(MeterRegistry registry, KafkaIngress ingress) {
        Objects.requireNonNull(ingress, "ingress");
        counter(registry, "postilion_kafka_requests_consumed_total", "delivery requests read from the request topic",
                ingress, i -> i.stats().read());
        counter(registry, "postilion_kafka_requests_stored_total", "delivery requests from Kafka made durable in the spool",
                ingress, i -> i.stats().stored());
        counter(registry, "postilion_kafka_requests_rejected_total",
                "request records passed over as bad (logged, their offsets committed)", ingress, i -> i.stats().rejected());
        counter(registry, "postilion_kafka_store_retries_total", "stores of a request that failed and were tried again",
                ingress, i -> i.stats().retries());
        counter(registry, "postilion_kafka_offset_commits_total", "offset commits acknowledged by the broker", ingress,
                i -> i.stats().commits());
        counter(registry, "postilion_kafka_pauses_total", "times the consumer paused its partitions for back-pressure", ingress,
                i -> i.stats().pauses());
        gauge(registry, "postilion_kafka_partitions_paused", "assigned partitions paused now for back-pressure", ingress,
                i -> i.stats().pausedPartitions());
        gauge(registry, "postilion_kafka_uncommitted_requests",
                "the re-delivery window: requests read whose offsets no acknowledged commit covers yet", ingress,
                i -> i.stats().uncommitted());
    }

    /** Registers the result publisher's meters. */
    public static void register(MeterRegistry registry, ResultPublisher publisher) {
        Objects.requireNonNull(publisher, "publisher");
        counter(registry, "postilion_kafka_results_published_total", "recipient results acknowledged by the result topic",
                publisher, ResultPublisher::published);
        counter(registry, "postilion_kafka_results_failed_total", "recipient results the producer could not publish",
                publisher, ResultPublisher::failures);
        gauge(registry, "postilion_kafka_results_queued", "recipient results handed to the producer and not yet acknowledged",
                publisher, ResultPublisher::queued);
    }

    private static <T> void counter(MeterRegistry registry, String name, String description, T source, ToDoubleFunction<T> f) {
        // A function counter holds its source weakly; the relay's running extension holds the ingress and publisher.
        FunctionCounter.builder(name, source, f).description(description).register(registry);
    }

    private static <T> void gauge(MeterRegistry registry, String name, String description, T source, ToDoubleFunction<T> f) {
        Gauge.builder(name, source, f).description(description).register(registry);
    }
}
