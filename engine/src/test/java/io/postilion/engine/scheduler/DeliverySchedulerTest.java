package io.postilion.engine.scheduler;

import io.postilion.engine.delivery.Results;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.postilion.engine.agent.CacheHint;
import io.postilion.engine.delivery.DeliveryReport;
import io.postilion.engine.delivery.DeliveryRequest;
import io.postilion.engine.delivery.Outcome;
import io.postilion.engine.delivery.RecipientResult;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BiFunction;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;
import reactor.core.scheduler.Schedulers;
import reactor.test.StepVerifier;

/**
 * The scheduler's rules with a scripted delivery function in place of the agent: what it starts,
 * in which order, with which advice, and what it reports without a delivery.
 */
class DeliverySchedulerTest {

    private final List<String> started = Collections.synchronizedList(new ArrayList<>());
    private final List<CacheHint> hints = Collections.synchronizedList(new ArrayList<>());

    static DeliveryReport report(DeliveryRequest r, Outcome outcome, String dsn, String reason, boolean throttle) {
        List<RecipientResult> results = r.recipients().stream()
                .map(x -> Results.local(x, outcome, dsn, reason, "mx[127.0.0.1]:25", 1))
                .toList();
        Duration z = Duration.ZERO;
        return new DeliveryReport(r.queueId(), results, throttle, new DeliveryReport.Timings(z, z, z, z, z));
    }

    static DeliveryReport sent(DeliveryRequest r) {
        return report(r, Outcome.SENT, "2.0.0", "250 ok", false);
    }

    static DeliveryReport refused(DeliveryRequest r) {
        return report(r, Outcome.DEFERRED, "4.4.1", "connect to mx[127.0.0.1]:25: Connection refused", true);
    }

    private DeliveryScheduler scheduler(SchedulerSettings s, BiFunction<DeliveryRequest, CacheHint, Mono<DeliveryReport>> f,
            Clock clock) {
        return new DeliveryScheduler(s, (r, h) -> {
            started.add(r.nexthop() + "/" + r.queueId());
            hints.add(h);
            return f.apply(r, h);
        }, clock, Schedulers.parallel());
    }

    private DeliveryScheduler scheduler(SchedulerSettings s, BiFunction<DeliveryRequest, CacheHint, Mono<DeliveryReport>> f) {
        return scheduler(s, f, Clock.systemUTC());
    }

    private static DeliveryRequest req(String id, String nexthop) {
        return RecipientBatcherTest.request(id, nexthop, 1);
    }

    @Test
    void destinationsTakeTurnsForTheSessions_QMGR() {
        List<DeliveryRequest> in = new ArrayList<>();
        IntStream.range(0, 4).forEach(i -> in.add(req("A" + i, "a.test")));
        IntStream.range(0, 4).forEach(i -> in.add(req("B" + i, "b.test")));
        SchedulerSettings one = SchedulerSettings.builder().processLimit(1).build();
        StepVerifier.create(scheduler(one, (r, h) -> Mono.just(sent(r))).schedule(Flux.fromIterable(in)))
                .expectNextCount(8).verifyComplete();
        assertEquals(List.of("a.test/A0", "b.test/B0", "a.test/A1", "b.test/B1", "a.test/A2", "b.test/B2",
                "a.test/A3", "b.test/B3"), started);
    }

    @Test
    void aSlowDestinationHoldsNoMoreThanItsWindowAndTheOthersFlow_QMGR() {
        List<DeliveryRequest> in = new ArrayList<>();
        IntStream.range(0, 30).forEach(i -> in.add(req("S" + i, "slow.test")));
        IntStream.range(0, 30).forEach(i -> in.add(req("F" + i, "fast.test")));
        SchedulerSettings s = SchedulerSettings.builder().processLimit(10).build();
        // slow.test never answers within the test; fast.test answers at once
        List<DeliveryReport> reports = scheduler(s, (r, h) -> r.nexthop().equals("slow.test") ? Mono.never()
                : Mono.just(sent(r))).schedule(Flux.fromIterable(in)).take(30, false).collectList().block(Duration.ofSeconds(10));
        assertEquals(30, reports.size());
        assertTrue(reports.stream().allMatch(r -> r.queueId().startsWith("F")));
        assertEquals(5, started.stream().filter(x -> x.startsWith("slow.test")).count(), "its initial window, no more");
    }

    @Test
    void noMoreThanTheProcessLimitOfDeliveriesRunAtOnce_QMGR() {
        AtomicInteger running = new AtomicInteger();
        AtomicInteger peak = new AtomicInteger();
        List<DeliveryRequest> in = new ArrayList<>();
        for (int d = 0; d < 6; d++) {
            for (int i = 0; i < 10; i++) {
                in.add(req("M" + d + "x" + i, "d" + d + ".test"));
            }
        }
        SchedulerSettings s = SchedulerSettings.builder().processLimit(7).build();
        StepVerifier.create(scheduler(s, (r, h) -> Mono.delay(Duration.ofMillis(20))
                        .doOnSubscribe(x -> peak.accumulateAndGet(running.incrementAndGet(), Math::max))
                        .map(x -> {
                            running.decrementAndGet(); // before the report leaves, as an agent's session ends
                            return sent(r);
                        }))
                .schedule(Flux.fromIterable(in)))
                .expectNextCount(60).expectComplete().verify(Duration.ofSeconds(20));
        assertEquals(7, peak.get());
    }

    @Test
    void aDeadDestinationsMailIsDeferredAtOnceWithTheAgentsStatus_REPLY12() {
        SchedulerSettings s = SchedulerSettings.builder().initialDestinationConcurrency(1).processLimit(1).build();
        List<DeliveryRequest> in = IntStream.range(0, 5).mapToObj(i -> req("D" + i, "dead.test")).toList();
        List<DeliveryReport> reports = scheduler(s, (r, h) -> Mono.just(refused(r))).schedule(Flux.fromIterable(in))
                .collectList().block(Duration.ofSeconds(10));
        assertEquals(List.of("dead.test/D0"), started, "window 1: one failure is a whole cohort");
        assertEquals(5, reports.size());
        for (DeliveryReport r : reports.subList(1, 5)) {
            RecipientResult x = r.results().get(0);
            assertEquals(Outcome.DEFERRED, x.outcome());
            assertEquals("4.4.1", x.status().text());
            assertEquals("delivery temporarily suspended: connect to mx[127.0.0.1]:25: Connection refused", x.reason());
            assertEquals("none", x.relay());
        }
    }

    @Test
    void aDeadDestinationIsTriedAgainAfterTheDeadDelay_REPLY12() {
        SchedulerSettings s = SchedulerSettings.builder().initialDestinationConcurrency(1)
                .deadDestinationDelay(Duration.ofMillis(300)).build();
        Sinks.Many<DeliveryRequest> source = Sinks.many().unicast().onBackpressureBuffer();
        AtomicInteger calls = new AtomicInteger();
        StepVerifier.create(scheduler(s, (r, h) -> Mono.just(calls.incrementAndGet() == 1 ? refused(r) : sent(r)))
                        .schedule(source.asFlux()))
                .then(() -> source.tryEmitNext(req("X1", "flaky.test")))
                .assertNext(r -> assertEquals(Outcome.DEFERRED, r.results().get(0).outcome()))
                .then(() -> source.tryEmitNext(req("X2", "flaky.test")))
                .assertNext(r -> assertTrue(r.results().get(0).reason().startsWith("delivery temporarily suspended")))
                .thenAwait(Duration.ofMillis(500))
                .then(() -> source.tryEmitNext(req("X3", "flaky.test")))
                .assertNext(r -> assertEquals(Outcome.SENT, r.results().get(0).outcome()))
                .then(source::tryEmitComplete)
                .expectComplete().verify(Duration.ofSeconds(10));
        assertEquals(List.of("flaky.test/X1", "flaky.test/X3"), started);
    }

    @Test
    void aRequestOverTheRecipientLimitIsReportedPerBatch_QMGR() {
        SchedulerSettings s = SchedulerSettings.builder().recipientLimit(50).build();
        List<DeliveryReport> reports = scheduler(s, (r, h) -> Mono.just(sent(r)))
                .schedule(Flux.just(RecipientBatcherTest.request("BIG", "dest.test", 120)))
                .collectList().block(Duration.ofSeconds(10));
        assertEquals(List.of(20, 50, 50), reports.stream().map(r -> r.results().size()).sorted().toList());
        assertTrue(reports.stream().allMatch(r -> r.queueId().equals("BIG")));
    }

    @Test
    void cachingAdviceFollowsBackToBackDeliveries_CACHE1() {
        AtomicLong now = new AtomicLong(1_000_000);
        Clock clock = new Clock() {
            @Override
            public java.time.ZoneId getZone() {
                return ZoneOffset.UTC;
            }

            @Override
            public Clock withZone(java.time.ZoneId zone) {
                return this;
            }

            @Override
            public Instant instant() {
                return Instant.ofEpochMilli(now.get());
            }
        };
        SchedulerSettings one = SchedulerSettings.builder().processLimit(1).build();
        List<DeliveryRequest> in = IntStream.range(0, 3).mapToObj(i -> req("C" + i, "dest.test")).toList();
        // each delivery takes 300 ms of the test clock: the next one starts back-to-back
        scheduler(one, (r, h) -> Mono.fromSupplier(() -> {
            now.addAndGet(300);
            return sent(r);
        }), clock).schedule(Flux.fromIterable(in)).blockLast(Duration.ofSeconds(10));
        assertEquals(List.of(CacheHint.OFF, CacheHint.LOAD_AND_STORE, CacheHint.LOAD_AND_STORE), hints);
    }

    @Test
    void theSourceIsNotDrainedAheadOfDelivery_QMGR() {
        AtomicLong requested = new AtomicLong();
        Flux<DeliveryRequest> source = Flux.range(0, 10_000).map(i -> req("P" + i, "d" + (i % 3) + ".test"))
                .doOnRequest(requested::addAndGet);
        SchedulerSettings s = SchedulerSettings.builder().activeLimit(100).sourcePrefetch(32).build();
        StepVerifier.create(scheduler(s, (r, h) -> Mono.just(sent(r))).schedule(source), 10)
                .expectNextCount(10)
                .thenAwait(Duration.ofMillis(200))
                .then(() -> {
                    assertEquals(10, started.size(), "no delivery without demand for its report");
                    assertTrue(requested.get() <= 10 + 100, "reported + activeLimit at most: " + requested.get());
                })
                .thenCancel().verify(Duration.ofSeconds(10));
    }

    @Test
    void aRequestForAFullDestinationQueuePausesTheSource_QMGR() {
        AtomicLong requested = new AtomicLong();
        Flux<DeliveryRequest> source = Flux.range(0, 1000).map(i -> req("P" + i, "one.test"))
                .doOnRequest(requested::addAndGet);
        SchedulerSettings s = SchedulerSettings.builder().destinationQueueLimit(20).sourcePrefetch(8).build();
        StepVerifier.create(scheduler(s, (r, h) -> Mono.never()).schedule(source))
                .thenAwait(Duration.ofMillis(200))
                .then(() -> {
                    assertEquals(5, started.size());
                    // 5 running + 20 waiting + what was asked for before the queue filled
                    assertTrue(requested.get() <= 5 + 20 + 8, "requested " + requested.get());
                })
                .thenCancel().verify(Duration.ofSeconds(10));
    }

    @Test
    void anErrorFromTheSourceComesAfterTheReportsOfWhatWasTaken_QMGR() {
        Flux<DeliveryRequest> source = Flux.concat(Flux.just(req("E1", "d.test"), req("E2", "d.test")),
                Flux.error(new IllegalStateException("spool broke")));
        StepVerifier.create(scheduler(SchedulerSettings.defaults(),
                        (r, h) -> Mono.delay(Duration.ofMillis(50)).map(x -> sent(r))).schedule(source))
                .expectNextCount(2)
                .expectErrorMessage("spool broke")
                .verify(Duration.ofSeconds(10));
    }
}
