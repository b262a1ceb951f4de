package io.postilion.fleet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.postilion.engine.delivery.DeliveryReport;
import io.postilion.engine.delivery.DeliveryRequest;
import io.postilion.engine.delivery.DsnStatus;
import io.postilion.engine.delivery.Outcome;
import io.postilion.engine.delivery.RecipientResult;
import io.postilion.engine.delivery.VerdictSource;
import io.postilion.engine.listener.ReceivedMessage;
import io.postilion.engine.metrics.MetricsEndpoint;
import io.postilion.engine.relay.RecipientEvent;
import io.postilion.engine.relay.RelayIngress;
import io.postilion.transport.content.ContentSource;
import io.postilion.transport.protocol.Ret;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.MockConsumer;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;

/**
 * The fleet's meters as /metrics renders them (the engine's Prometheus registry, scraped as
 * text), after driving a real {@link KafkaIngress} over Kafka's MockConsumer and a
 * {@link ResultPublisher} over its MockProducer: what was consumed, stored, rejected and
 * committed, the partitions paused, and the re-delivery window growing behind a store that does
 * not finish, stopping at its bound, and closing once the store is durable.
 */
class FleetMetersTest {

    private static final String TOPIC = "requests";
    private static final TopicPartition P0 = new TopicPartition(TOPIC, 0);
    private static final TopicPartition P1 = new TopicPartition(TOPIC, 1);

    private final PrometheusMeterRegistry registry = MetricsEndpoint.newRegistry();
    private final MockConsumer<byte[], byte[]> consumer = new MockConsumer<>("earliest");
    private final FakeRelay relay = new FakeRelay();
    private KafkaIngress ingress;

    @AfterEach
    void stop() {
        if (ingress != null) {
            ingress.stop(Duration.ZERO);
        }
    }

    /** A relay whose stores finish at once, except those whose subject is held until released. */
    private static final class FakeRelay implements RelayIngress {
        final AtomicInteger ids = new AtomicInteger();
        final Map<String, Sinks.Empty<Void>> held = new ConcurrentHashMap<>();
        volatile int inFlight;

        @Override
        public String newQueueId() {
            return "Q" + ids.incrementAndGet();
        }

        @Override
        public int inFlight() {
            return inFlight;
        }

        @Override
        public Mono<Void> accept(ReceivedMessage m) {
            String content = new String(m.content(), StandardCharsets.US_ASCII);
            for (Map.Entry<String, Sinks.Empty<Void>> e : held.entrySet()) {
                if (content.contains("Subject: " + e.getKey() + "\r\n")) {
                    return e.getValue().asMono();
                }
            }
            return Mono.empty();
        }

        void hold(String subject) {
            held.put(subject, Sinks.empty());
        }

        void release(String subject) {
            held.remove(subject).tryEmitEmpty();
        }
    }

    private KafkaIngress start(KafkaIngress.Limits limits) {
        consumer.schedulePollTask(() -> {
            consumer.rebalance(List.of(P0, P1));
            consumer.updateBeginningOffsets(Map.of(P0, 0L, P1, 0L));
        });
        ingress = new KafkaIngress(consumer, relay, limits, Clock.systemUTC()).start();
        FleetMeters.register(registry, ingress);
        return ingress;
    }

    /** Adds records on the consumer's own thread (MockConsumer is not for two threads at once). */
    private void add(TopicPartition tp, long firstOffset, String... subjects) {
        consumer.schedulePollTask(() -> {
            long o = firstOffset;
            for (String s : subjects) {
                consumer.addRecord(new ConsumerRecord<>(tp.topic(), tp.partition(), o++, null, record(s)));
            }
        });
    }

    private static byte[] record(String subject) {
        if (subject.startsWith("bad")) {
            return "not a request".getBytes(StandardCharsets.US_ASCII);
        }
        return RequestCodec.encode(new DeliveryRequestRecord("app@client.test",
                List.of(new ReceivedMessage.Recipient("u@d.test", Set.of(), "")), false, false, subject, Ret.NONE,
                ("Subject: " + subject + "\r\n\r\nbody\r\n").getBytes(StandardCharsets.US_ASCII)));
    }

    /** One sample of the scraped text, as a Prometheus server would read it. */
    private double scraped(String name) {
        Matcher m = Pattern.compile("(?m)^" + name + "(?:\\{[^}]*\\})? (\\S+)$").matcher(registry.scrape());
        assertTrue(m.find(), name + " on /metrics:\n" + registry.scrape());
        return Double.parseDouble(m.group(1));
    }

    private void await(String what, BooleanSupplier done) throws InterruptedException {
        long until = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (!done.getAsBoolean()) {
            if (System.nanoTime() > until) {
                throw new AssertionError("not within 20 s: " + what + "\n" + registry.scrape());
            }
            Thread.sleep(20);
        }
    }

    @Test
    void consumedStoredRejectedCommittedAndTheWindowBehindAStoreThatHasNotFinished() throws Exception {
        start(new KafkaIngress.Limits(TOPIC, "relay.test", 0, 64, 64));
        relay.hold("p1-a"); // the first request of partition 1 is not durable until released
        add(P0, 0, "p0-a", "bad-1", "p0-b", "p0-c");
        add(P1, 0, "p1-a", "p1-b", "p1-c");

        await("7 consumed", () -> scraped("postilion_kafka_requests_consumed_total") == 7);
        await("5 stored", () -> scraped("postilion_kafka_requests_stored_total") == 5);
        assertEquals(1, scraped("postilion_kafka_requests_rejected_total"), "the bad record");
        // Partition 0 is committed to its end; partition 1 only up to p1-a, which is not durable:
        // p1-a, p1-b and p1-c would be read again if this node died now.
        await("partition 0 committed, 1 held back", () -> scraped("postilion_kafka_uncommitted_requests") == 3);
        assertTrue(scraped("postilion_kafka_offset_commits_total") >= 1);
        assertEquals(4L, consumer.committed(Set.of(P0)).get(P0).offset(), "partition 0 committed past the bad record");

        relay.release("p1-a");
        await("6 stored", () -> scraped("postilion_kafka_requests_stored_total") == 6);
        await("the window closes", () -> scraped("postilion_kafka_uncommitted_requests") == 0);
        assertEquals(3L, consumer.committed(Set.of(P1)).get(P1).offset());
        assertEquals(0, scraped("postilion_kafka_partitions_paused"));
        assertEquals(0, scraped("postilion_kafka_store_retries_total"));
    }

    @Test
    void theWindowStopsAtItsBoundWithEveryPartitionPausedAndResumesOnceCommitted() throws Exception {
        start(new KafkaIngress.Limits(TOPIC, "relay.test", 0, 64, 64, 4)); // a window of 4 at most
        relay.hold("p1-0");
        // One record a poll: MockConsumer forgets the rest of a batch the ingress puts back (a broker
        // serves it again), but keeps what it holds for a paused partition until the resume. Seven
        // records: the three left after the pause come in one batch that stays under the bound.
        for (int i = 0; i < 7; i++) {
            add(P1, i, "p1-" + i);
        }

        await("paused at the bound", () -> scraped("postilion_kafka_partitions_paused") == 2);
        assertEquals(4, scraped("postilion_kafka_uncommitted_requests"), "the bound, not more");
        Thread.sleep(500); // five polls: paused partitions deliver nothing more
        assertEquals(4, scraped("postilion_kafka_requests_consumed_total"));
        assertEquals(1, scraped("postilion_kafka_pauses_total"));

        relay.release("p1-0");
        await("all 7 stored", () -> scraped("postilion_kafka_requests_stored_total") == 7);
        await("committed to the end", () -> scraped("postilion_kafka_uncommitted_requests") == 0);
        assertEquals(0, scraped("postilion_kafka_partitions_paused"));
        assertEquals(7L, consumer.committed(Set.of(P1)).get(P1).offset());
        assertEquals(1, scraped("postilion_kafka_pauses_total"));
    }

    @Test
    void pausedForTheQueueManagerAndResumed() throws Exception {
        relay.inFlight = 100; // over the high-water mark of 64 from the start
        start(new KafkaIngress.Limits(TOPIC, "relay.test", 0, 64, 64));
        add(P0, 0, "p0-a");
        await("both partitions paused", () -> scraped("postilion_kafka_partitions_paused") == 2);
        assertEquals(0, scraped("postilion_kafka_requests_consumed_total"), "nothing read while paused");
        relay.inFlight = 0;
        await("resumed and read", () -> scraped("postilion_kafka_requests_stored_total") == 1);
        assertEquals(0, scraped("postilion_kafka_partitions_paused"));
    }

    @Test
    void theResultPublishersPublishedFailedAndQueuedResults() {
        MockProducer<byte[], byte[]> producer = new MockProducer<>(false, null, new ByteArraySerializer(),
                new ByteArraySerializer());
        ResultPublisher publisher = new ResultPublisher(producer, "results");
        FleetMeters.register(registry, publisher);
        publisher.start(Flux.range(0, 5).map(FleetMetersTest::event));
        assertEquals(5, scraped("postilion_kafka_results_queued"), "handed to the producer, none acknowledged");
        assertTrue(producer.completeNext());
        assertTrue(producer.completeNext());
        assertTrue(producer.errorNext(new RuntimeException("the broker said no")));
        assertEquals(2, scraped("postilion_kafka_results_published_total"));
        assertEquals(1, scraped("postilion_kafka_results_failed_total"));
        assertEquals(2, scraped("postilion_kafka_results_queued"));
    }

    private static RecipientEvent event(int i) {
        DeliveryRequest r = DeliveryRequest.builder("Q" + i, "sender@origin.test", "d.test")
                .content(ContentSource.of("Subject: t\r\n\r\nbody\r\n".getBytes(StandardCharsets.US_ASCII)))
                .recipient("r" + i + "@d.test").build();
        RecipientResult result = RecipientResult.local(r.recipients().get(0), Outcome.SENT, DsnStatus.of(2, 0, 0),
                VerdictSource.LOCAL, "250 ok");
        Duration z = Duration.ZERO;
        return new RecipientEvent("Q" + i, "", result, new DeliveryReport.Timings(z, z, z, z, z), Instant.now());
    }
}
