package io.postilion.fleet;

import io.postilion.engine.listener.ReceivedMessage;
import io.postilion.engine.relay.RelayIngress;
import io.postilion.transport.protocol.BodyType;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.Disposable;
import reactor.core.Disposables;
import reactor.core.publisher.Mono;
import reactor.util.retry.Retry;

/**
 * The fleet's way in: a Kafka consumer, on a thread of its own (never an event loop: the client
 * blocks), that reads delivery requests and hands each to the relay's {@link RelayIngress}, the
 * path SMTP mail takes into the spool. The Reactor side (the store, its group commit) runs where
 * the spool runs; all that comes back to this thread is "offset N of partition P is durable",
 * through a queue, so the consumer, which is not thread-safe, is only ever touched here.
 *
 * <p>At least once: a partition's offset is committed only up to its oldest request that is not
 * yet durable (or passed over as bad: {@link PartitionProgress}), so a node killed at any moment
 * loses nothing; what it had stored past the committed offset is read again by the next owner and
 * delivered twice. A request the spool cannot store is tried again (1 s, doubling to 30 s) and
 * holds its partition's commits back meanwhile; it is never skipped.
 *
 * <p>Back-pressure: every assigned partition is paused while too many requests are on their way
 * to the spool, while the queue manager holds more messages than its high-water mark, while the
 * spool has no room (queue_minfree), or while the re-delivery window (requests read whose offsets
 * no acknowledged commit covers yet) has reached its bound, and resumed once all four have fallen
 * back under half their marks (the spool: has room again). The last mark is what keeps the
 * window bounded: a store retried for long holds its partition's commits back, and without it the
 * node would go on reading past it. The window is reported ({@link IngressStats#uncommitted},
 * postilion_kafka_uncommitted_requests).
 */
public final class KafkaIngress implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(KafkaIngress.class);
    private static final Duration POLL = Duration.ofMillis(100);
    private static final DateTimeFormatter RFC5322 = DateTimeFormatter.ofPattern("EEE, d MMM yyyy HH:mm:ss Z", java.util.Locale.ROOT);

    /**
     * Settings of one ingress.
     *
     * @param maxUncommitted the bound of the re-delivery window: requests read and not yet covered
     *     by an acknowledged commit, at most (the partitions are paused at it)
     */
    public record Limits(String topic, String hostname, long messageSizeLimit, int maxPendingStores, int inFlightHighWater,
            int maxUncommitted) {
        public Limits {
            Objects.requireNonNull(topic, "topic");
            Objects.requireNonNull(hostname, "hostname");
            if (maxPendingStores < 2 || inFlightHighWater < 2 || maxUncommitted < 2) {
                throw new IllegalArgumentException("the back-pressure marks are at least 2");
            }
        }

        /** With a re-delivery window of twice the pending stores: room for one batch being committed while the next is stored. */
        public Limits(String topic, String hostname, long messageSizeLimit, int maxPendingStores, int inFlightHighWater) {
            this(topic, hostname, messageSizeLimit, maxPendingStores, inFlightHighWater, 2 * maxPendingStores);
        }
    }

    /** One request made durable (or passed over), reported from the spool's side to the consumer's thread. */
    private record Done(TopicPartition tp, PartitionProgress progress, long offset) {
    }

    private final Consumer<byte[], byte[]> consumer;
    private final RelayIngress relay;
    private final Limits limits;
    private final Clock clock;
    private final Thread thread;
    private final Map<TopicPartition, PartitionProgress> progress = new HashMap<>();
    private final LinkedBlockingQueue<Done> done = new LinkedBlockingQueue<>();
    private final AtomicInteger storing = new AtomicInteger();
    private final Disposable.Composite stores = Disposables.composite();
    private volatile boolean running = true;
    private boolean paused;
    private final AtomicLong read = new AtomicLong();
    private final AtomicLong stored = new AtomicLong();
    private final AtomicLong rejected = new AtomicLong();
    private final AtomicLong retries = new AtomicLong();
    private final AtomicLong commits = new AtomicLong();
    private final AtomicLong pauses = new AtomicLong();
    /** Published by the consumer's thread for the metrics: partitions paused, and the re-delivery window. */
    private volatile int pausedPartitions;
    private volatile long uncommitted;
    private final java.util.concurrent.CountDownLatch finished = new java.util.concurrent.CountDownLatch(1);

    public KafkaIngress(Consumer<byte[], byte[]> consumer, RelayIngress relay, Limits limits, Clock clock) {
        this.consumer = Objects.requireNonNull(consumer, "consumer");
        this.relay = Objects.requireNonNull(relay, "relay");
        this.limits = Objects.requireNonNull(limits, "limits");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.thread = new Thread(this::run, "postilion-kafka-consumer");
        thread.setDaemon(true);
    }

    /** Subscribes and starts consuming on the ingress's own thread. */
    public KafkaIngress start() {
        thread.start();
        return this;
    }

    public IngressStats stats() {
        return new IngressStats(read.get(), stored.get(), rejected.get(), retries.get(), commits.get(), pauses.get(),
                pausedPartitions, uncommitted);
    }

    /**
     * Stops reading, waits up to {@code grace} for the requests on their way to the spool, commits
     * what is durable and leaves the group. Blocks the calling thread (not an event loop: the
     * relay's stop or a test).
     */
    public void stop(Duration grace) {
        if (!running && finished.getCount() == 0) {
            return;
        }
        graceOnStop = grace;
        running = false;
        consumer.wakeup();
        try {
            if (!finished.await(grace.toMillis() + 15_000, java.util.concurrent.TimeUnit.MILLISECONDS)) {
                log.warn("the Kafka consumer did not stop in time; its uncommitted requests will be read again");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private volatile Duration graceOnStop = Duration.ofSeconds(10);

    @Override
    public void close() {
        stop(Duration.ofSeconds(10));
    }

    private void run() {
        try {
            consumer.subscribe(List.of(limits.topic()), new Rebalance());
            while (running) {
                settle();
                ConsumerRecords<byte[], byte[]> records;
                try {
                    records = consumer.poll(POLL);
                } catch (WakeupException e) {
                    continue; // stop() woke the poll; the loop sees running = false
                }
                Map<TopicPartition, Long> putBack = new HashMap<>();
                for (ConsumerRecord<byte[], byte[]> r : records) {
                    TopicPartition tp = new TopicPartition(r.topic(), r.partition());
                    if (!paused && full()) {
                        pause();
                    }
                    if (paused) { // over a mark mid-batch: the rest is read again after the resume
                        putBack.putIfAbsent(tp, r.offset());
                    } else {
                        take(r);
                    }
                }
                putBack.forEach(consumer::seek);
            }
            // Stopping: give the stores on their way their time, then commit what they made durable.
            long until = System.nanoTime() + graceOnStop.toNanos();
            while (storing.get() > 0 && System.nanoTime() < until) {
                awaitDone(Math.min(TimeUnit.MILLISECONDS.toNanos(10), until - System.nanoTime()));
            }
            drainDone();
            commit(true);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            log.error("the Kafka consumer stopped: {}; requests not committed will be read again by another node or the next start",
                    e.toString(), e);
        } finally {
            stores.dispose();
            try {
                consumer.close(Duration.ofSeconds(5));
            } catch (RuntimeException e) {
                log.warn("closing the Kafka consumer: {}", e.toString());
            }
            IngressStats s = stats();
            log.info("Kafka ingress stopped: {} read, {} stored, {} rejected, {} commits, {} left uncommitted", s.read(),
                    s.stored(), s.rejected(), s.commits(), s.uncommitted());
            finished.countDown();
        }
    }

    /** Between polls: what the spool made durable, the commits it allows, pausing or resuming. */
    private void settle() {
        drainDone();
        commit(false);
        long window = window();
        boolean drained = storing.get() <= limits.maxPendingStores() / 2 && relay.inFlight() <= limits.inFlightHighWater() / 2
                && relay.hasRoomFor(0) && window <= limits.maxUncommitted() / 2;
        if (!paused && full()) {
            pause();
        } else if (paused && drained) {
            consumer.resume(consumer.assignment());
            paused = false;
            pausedPartitions = consumer.paused().size();
        }
    }

    /**
     * Over a back-pressure mark: too many stores under way, too much in the queue manager, no room
     * in the spool, or the re-delivery window at its bound.
     */
    private boolean full() {
        return storing.get() >= limits.maxPendingStores() || relay.inFlight() >= limits.inFlightHighWater()
                || !relay.hasRoomFor(0) || window() >= limits.maxUncommitted();
    }

    /** The re-delivery window now, published for the metrics on the way. */
    private long window() {
        long w = 0;
        for (PartitionProgress p : progress.values()) {
            w += p.uncommitted();
        }
        uncommitted = w;
        return w;
    }

    /** Pauses every assigned partition. */
    private void pause() {
        consumer.pause(consumer.assignment());
        paused = true;
        pausedPartitions = consumer.paused().size();
        pauses.incrementAndGet();
        log.debug("paused: {} store(s) pending, {} message(s) in the queue manager, {} request(s) uncommitted", storing.get(),
                relay.inFlight(), uncommitted);
    }

    /** Waits at most {@code nanos} for a store to report back (not a blind sleep), then takes every report there is. */
    private void awaitDone(long nanos) throws InterruptedException {
        Done first = done.poll(Math.max(0, nanos), TimeUnit.NANOSECONDS);
        if (first != null) {
            apply(first);
        }
        drainDone();
    }

    private void drainDone() {
        Done d;
        while ((d = done.poll()) != null) {
            apply(d);
        }
    }

    private void apply(Done d) {
        if (progress.get(d.tp()) == d.progress()) { // else the partition went elsewhere meanwhile
            d.progress().finished(d.offset());
        }
    }

    /** Commits every partition whose committable offset moved; synchronously when leaving or rebalancing. */
    private void commit(boolean sync) {
        Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
        progress.forEach((tp, p) -> {
            // The final commit sends every position again: an earlier asynchronous one may have failed.
            long c = sync ? p.position() : p.committable();
            if (c >= 0) {
                offsets.put(tp, new OffsetAndMetadata(c));
            }
        });
        if (offsets.isEmpty()) {
            return;
        }
        if (sync) {
            try {
                consumer.commitSync(offsets, Duration.ofSeconds(10));
                committed(offsets);
            } catch (RuntimeException e) {
                log.warn("cannot commit offsets {}: {}; those requests will be read again", offsets, e.toString());
            }
        } else {
            offsets.forEach((tp, o) -> progress.get(tp).committed(o.offset())); // not asked again until it moves
            // The callback runs on this thread (inside a later poll or commit), like everything touching progress.
            consumer.commitAsync(offsets, (ok, e) -> {
                if (e != null) {
                    // Asked for again in the next round; until a commit goes through, they may be read again.
                    log.warn("an offset commit failed: {}", e.toString());
                    offsets.forEach((tp, o) -> {
                        PartitionProgress p = progress.get(tp);
                        if (p != null) {
                            p.commitFailed(o.offset());
                        }
                    });
                } else {
                    committed(offsets);
                }
            });
        }
    }

    /** A commit went through: nothing before these offsets will be read again. */
    private void committed(Map<TopicPartition, OffsetAndMetadata> offsets) {
        commits.incrementAndGet();
        offsets.forEach((tp, o) -> {
            PartitionProgress p = progress.get(tp);
            if (p != null) {
                p.committed(o.offset());
                p.acknowledged(o.offset());
            }
        });
        window();
    }

    /** One record: parsed, then on its way to the spool; a bad one is logged and passed over. */
    private void take(ConsumerRecord<byte[], byte[]> r) {
        read.incrementAndGet();
        TopicPartition tp = new TopicPartition(r.topic(), r.partition());
        PartitionProgress p = progress.computeIfAbsent(tp, k -> new PartitionProgress());
        p.started(r.offset());
        String where = r.topic() + "-" + r.partition() + "@" + r.offset();
        DeliveryRequestRecord req;
        try {
            req = RequestCodec.parse(r.value());
            if (limits.messageSizeLimit() > 0 && req.content().length > limits.messageSizeLimit()) {
                throw new BadRequestException("the content (" + req.content().length + " bytes) exceeds message_size_limit ("
                        + limits.messageSizeLimit() + ")");
            }
        } catch (BadRequestException e) {
            rejected.incrementAndGet();
            log.warn("{}: request rejected and skipped: {}", where, e.getMessage());
            p.finished(r.offset());
            return;
        }
        storing.incrementAndGet();
        Disposable.Swap slot = Disposables.swap();
        stores.add(slot);
        slot.update(Mono.defer(() -> {
                    ReceivedMessage m = received(req, r, relay.newQueueId());
                    return relay.accept(m).doOnSuccess(v -> log.debug("{}: stored as {}", where, m.queueId()));
                })
                .retryWhen(Retry.backoff(Long.MAX_VALUE, Duration.ofSeconds(1)).maxBackoff(Duration.ofSeconds(30))
                        .doBeforeRetry(s -> {
                            retries.incrementAndGet();
                            log.warn("{}: cannot store the request ({}); trying again", where, s.failure().toString());
                        }))
                .doFinally(s -> {
                    storing.decrementAndGet();
                    stores.remove(slot);
                })
                .subscribe(null, e -> log.error("{}: {}", where, e.toString()), () -> {
                    stored.incrementAndGet();
                    done.add(new Done(tp, p, r.offset()));
                }));
    }

    /** The request as the relay stores it, with a Received: header naming where it came from. */
    private ReceivedMessage received(DeliveryRequestRecord req, ConsumerRecord<byte[], byte[]> r, String queueId) {
        String trace = "Received: from kafka (topic " + r.topic() + " partition " + r.partition() + " offset " + r.offset()
                + ")\r\n\tby " + limits.hostname() + " (Postilion) with KAFKA id " + queueId + ";\r\n\t"
                + RFC5322.format(clock.instant().atZone(ZoneOffset.UTC)) + "\r\n";
        byte[] head = trace.getBytes(StandardCharsets.US_ASCII);
        byte[] content = new byte[head.length + req.content().length];
        System.arraycopy(head, 0, content, 0, head.length);
        System.arraycopy(req.content(), 0, content, head.length, req.content().length);
        return new ReceivedMessage(queueId, req.sender(), req.recipients(), req.eightBitMime() ? BodyType.EIGHT_BIT : BodyType.SEVEN_BIT,
                req.smtputf8(), req.envId(), req.ret(), content, new ReceivedMessage.Client("", "kafka", false, ""),
                clock.instant());
    }

    /** Commits a partition's durable progress before it goes to another node; forgets a lost one. */
    private final class Rebalance implements ConsumerRebalanceListener {

        @Override
        public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
            // A short wait for stores under way lets the next owner start past them (fewer duplicates).
            long until = System.nanoTime() + Duration.ofSeconds(5).toNanos();
            while (partitions.stream().anyMatch(tp -> progress.containsKey(tp) && progress.get(tp).pending() > 0)
                    && System.nanoTime() < until) {
                try {
                    awaitDone(TimeUnit.MILLISECONDS.toNanos(10));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    break;
                }
            }
            drainDone();
            Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
            for (TopicPartition tp : partitions) {
                PartitionProgress p = progress.remove(tp); // its window goes with it, to the next owner
                if (p != null && p.committable() >= 0) {
                    offsets.put(tp, new OffsetAndMetadata(p.committable()));
                }
            }
            if (!offsets.isEmpty()) {
                try {
                    consumer.commitSync(offsets, Duration.ofSeconds(10));
                    commits.incrementAndGet();
                } catch (RuntimeException e) {
                    log.warn("cannot commit {} on revocation: {}; those requests will be read again", offsets, e.toString());
                }
            }
            window();
        }

        @Override
        public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
            for (TopicPartition tp : partitions) {
                progress.put(tp, new PartitionProgress());
            }
            if (paused && !partitions.isEmpty()) {
                consumer.pause(partitions);
            }
            pausedPartitions = consumer.paused().size();
            window();
            log.info("consuming {}", partitions);
        }

        @Override
        public void onPartitionsLost(Collection<TopicPartition> partitions) {
            partitions.forEach(progress::remove); // another node owns them already: nothing may be committed
            window();
            log.warn("partitions lost: {}; their uncommitted requests will be read again by their new owner", partitions);
        }
    }
}
