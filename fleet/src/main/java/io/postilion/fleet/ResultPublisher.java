package io.postilion.fleet;

import io.postilion.engine.relay.RecipientEvent;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;

/**
 * Publishes every recipient result the relay records ({@code Relay.results()}) to the result
 * topic, keyed by queue id, so that one message's results stay in order on one partition. The
 * events arrive on a worker thread of their own (the relay's results stream runs each subscriber
 * there), which may block on the producer's buffer without holding up delivery; if it falls far
 * behind, the relay drops events for it and counts them (postilion_results_dropped_total).
 */
public final class ResultPublisher implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(ResultPublisher.class);

    private final Producer<byte[], byte[]> producer;
    private final String topic;
    /** Results handed to the producer; those neither sent nor failed yet are queued in it. */
    private final AtomicLong handed = new AtomicLong();
    private final AtomicLong sent = new AtomicLong();
    private final AtomicLong failed = new AtomicLong();
    private final CountDownLatch ended = new CountDownLatch(1);
    private Disposable subscription;

    public ResultPublisher(Producer<byte[], byte[]> producer, String topic) {
        this.producer = Objects.requireNonNull(producer, "producer");
        this.topic = Objects.requireNonNull(topic, "topic");
    }

    /** Starts publishing {@code results} until they complete (the relay stopped) or {@link #close}. */
    public ResultPublisher start(Flux<RecipientEvent> results) {
        subscription = results.doFinally(s -> ended.countDown()).subscribe(this::publish,
                e -> log.error("the relay's results stream failed: {}", e.toString()));
        return this;
    }

    private void publish(RecipientEvent e) {
        handed.incrementAndGet();
        try {
            producer.send(new ProducerRecord<>(topic, e.queueId().getBytes(StandardCharsets.US_ASCII), ResultJson.encode(e)),
                    (meta, x) -> {
                        if (x == null) {
                            sent.incrementAndGet();
                        } else {
                            failed.incrementAndGet();
                            log.warn("{}: the result for recipient {} was not published: {}", e.queueId(), e.index(), x.toString());
                        }
                    });
        } catch (RuntimeException x) {
            failed.incrementAndGet();
            log.warn("{}: the result for recipient {} was not published: {}", e.queueId(), e.index(), x.toString());
        }
    }

    /** Results acknowledged by the broker. */
    public long published() {
        return sent.get();
    }

    /** Results the producer gave up on (or refused at once). */
    public long failures() {
        return failed.get();
    }

    /** Results handed to the producer and not yet acknowledged by the broker nor given up on. */
    public long queued() {
        // Read the outcomes first: a result that completes between the reads is then counted as queued, never negative.
        long done = sent.get() + failed.get();
        return Math.max(0, handed.get() - done);
    }

    /**
     * Waits (bounded) for the results stream to end, so that the last results of a stopping relay
     * go out, then flushes and closes the producer. Blocks the calling thread.
     */
    @Override
    public void close() {
        try {
            if (!ended.await(5, TimeUnit.SECONDS) && subscription != null) {
                subscription.dispose();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try {
            producer.flush();
            producer.close(Duration.ofSeconds(10));
        } catch (RuntimeException e) {
            log.warn("closing the result producer: {}", e.toString());
        }
        log.info("results published: {}, failed: {}", sent.get(), failed.get());
    }
}
