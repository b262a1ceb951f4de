package io.postilion.engine.scheduler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.postilion.engine.agent.CacheHint;
import io.postilion.engine.delivery.DeliveryReport;
import io.postilion.engine.delivery.DeliveryRequest;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;
import reactor.test.StepVerifier;
import reactor.test.scheduler.VirtualTimeScheduler;

/**
 * The scheduler with shared destination limits ({@link DestinationLimits}) in place of the local
 * ones: a fake limiter that answers on another thread, grants up to a limit per destination and
 * counts every lease's releases.
 */
class SharedLimitsSchedulerTest {

    /** Grants up to {@code limit} leases per destination, asynchronously; refuses beyond. */
    static final class FakeLimits implements DestinationLimits {
        final int limit;
        Duration retry = Duration.ofMillis(5);
        final Map<String, AtomicInteger> held = new ConcurrentHashMap<>();
        final List<FakeLease> granted = new CopyOnWriteArrayList<>();
        final AtomicInteger asks = new AtomicInteger();
        final AtomicInteger refusals = new AtomicInteger();
        final AtomicBoolean refuseAll = new AtomicBoolean();

        FakeLimits(int limit) {
            this.limit = limit;
        }

        @Override
        public Mono<Lease> acquire(String destination) {
            return Mono.<Lease>defer(() -> {
                asks.incrementAndGet();
                AtomicInteger h = held.computeIfAbsent(destination, d -> new AtomicInteger());
                if (refuseAll.get() || h.incrementAndGet() > limit) {
                    if (!refuseAll.get()) {
                        h.decrementAndGet();
                    }
                    refusals.incrementAndGet();
                    return Mono.empty();
                }
                FakeLease l = new FakeLease(h);
                granted.add(l);
                return Mono.just(l);
            }).subscribeOn(Schedulers.parallel());
        }

        @Override
        public Duration retryDelay() {
            return retry;
        }

        int held(String destination) {
            AtomicInteger h = held.get(destination);
            return h == null ? 0 : h.get();
        }
    }

    static final class FakeLease implements DestinationLimits.Lease {
        final AtomicInteger releases = new AtomicInteger();
        private final AtomicInteger held;

        FakeLease(AtomicInteger held) {
            this.held = held;
        }

        @Override
        public void release() {
            if (releases.incrementAndGet() == 1) {
                held.decrementAndGet();
            }
        }
    }

    private static DeliveryRequest req(String id, String nexthop) {
        return RecipientBatcherTest.request(id, nexthop, 1);
    }

    private static List<DeliveryRequest> requests(int n, String... nexthops) {
        return IntStream.range(0, n).mapToObj(i -> req("Q" + i, nexthops[i % nexthops.length])).toList();
    }

    private static void eachReleasedOnce(FakeLimits limits) {
        for (FakeLease l : limits.granted) {
            assertEquals(1, l.releases.get(), "a lease released " + l.releases.get() + " times");
        }
    }

    @Test
    void noMoreDeliveriesToADestinationThanLeasesGranted() {
        FakeLimits limits = new FakeLimits(3);
        Map<String, AtomicInteger> running = new ConcurrentHashMap<>();
        AtomicInteger worst = new AtomicInteger();
        AtomicInteger overLeases = new AtomicInteger();
        SchedulerSettings s = SchedulerSettings.builder().initialDestinationConcurrency(10).limits(limits).build();
        DeliveryScheduler scheduler = new DeliveryScheduler(s, (r, h) -> Mono.defer(() -> {
            int now = running.computeIfAbsent(r.nexthop(), d -> new AtomicInteger()).incrementAndGet();
            worst.accumulateAndGet(now, Math::max);
            if (now > limits.held(r.nexthop())) {
                overLeases.incrementAndGet();
            }
            // Counted out before the report is emitted: a doFinally here would run after the
            // scheduler's own doFinally has released the lease, and a next delivery could start between.
            return Mono.delay(Duration.ofMillis(2)).map(x -> {
                running.get(r.nexthop()).decrementAndGet();
                return DeliverySchedulerTest.sent(r);
            });
        }), Clock.systemUTC(), Schedulers.parallel());

        StepVerifier.create(scheduler.schedule(Flux.fromIterable(requests(60, "a.test", "b.test"))))
                .expectNextCount(60).expectComplete().verify(Duration.ofSeconds(30));

        assertEquals(0, overLeases.get(), "a delivery ran without a lease of its own");
        assertTrue(worst.get() <= 3, "at most 3 at once to a destination, saw " + worst.get());
        assertTrue(limits.refusals.get() > 0, "the window (10) was wider than the limit, so some asks were refused");
        assertEquals(60, limits.granted.size(), "one lease per delivery");
        eachReleasedOnce(limits);
    }

    @Test
    void aLeaseIsReleasedOnceWhenTheDeliveryFailsErrsOrReturnsNothing() {
        FakeLimits limits = new FakeLimits(2);
        SchedulerSettings s = SchedulerSettings.builder().failedCohortLimit(0).limits(limits).build();
        AtomicInteger n = new AtomicInteger();
        DeliveryScheduler scheduler = new DeliveryScheduler(s, (r, h) -> switch (n.getAndIncrement() % 4) {
            case 0 -> Mono.just(DeliverySchedulerTest.refused(r)); // site trouble
            case 1 -> Mono.error(new IllegalStateException("broken agent"));
            case 2 -> Mono.empty();
            default -> Mono.delay(Duration.ofMillis(1)).map(x -> DeliverySchedulerTest.sent(r));
        }, Clock.systemUTC(), Schedulers.parallel());

        StepVerifier.create(scheduler.schedule(Flux.fromIterable(requests(20, "a.test"))))
                .expectNextCount(20).expectComplete().verify(Duration.ofSeconds(30));

        assertEquals(20, limits.granted.size());
        eachReleasedOnce(limits);
        assertEquals(0, limits.held("a.test"));
    }

    @Test
    void cancellingTheReportsReleasesTheLeasesOfDeliveriesInProgress() throws Exception {
        FakeLimits limits = new FakeLimits(4);
        SchedulerSettings s = SchedulerSettings.builder().limits(limits).build();
        AtomicInteger started = new AtomicInteger();
        DeliveryScheduler scheduler = new DeliveryScheduler(s, (r, h) -> {
            started.incrementAndGet();
            return Mono.never();
        }, Clock.systemUTC(), Schedulers.parallel());

        Disposable d = scheduler.schedule(Flux.fromIterable(requests(10, "a.test", "b.test"))).subscribe();
        long until = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (started.get() < 8 && System.nanoTime() < until) {
            Thread.sleep(5);
        }
        assertEquals(8, started.get(), "4 sessions to each destination hang");
        d.dispose();
        until = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while ((limits.held("a.test") > 0 || limits.held("b.test") > 0) && System.nanoTime() < until) {
            Thread.sleep(5);
        }
        eachReleasedOnce(limits);
        assertEquals(0, limits.held("a.test") + limits.held("b.test"));
    }

    @Test
    void aRefusedDestinationWaitsForItsTimerInsteadOfAskingAgainAtOnce() throws Exception {
        FakeLimits limits = new FakeLimits(1);
        limits.retry = Duration.ofSeconds(10);
        limits.refuseAll.set(true);
        VirtualTimeScheduler timer = VirtualTimeScheduler.create();
        SchedulerSettings s = SchedulerSettings.builder().limits(limits).build();
        DeliveryScheduler scheduler = new DeliveryScheduler(s, (r, h) -> Mono.just(DeliverySchedulerTest.sent(r)),
                Clock.systemUTC(), timer);
        List<DeliveryReport> reports = new CopyOnWriteArrayList<>();
        Disposable d = scheduler.schedule(Flux.fromIterable(requests(3, "a.test"))).subscribe(reports::add);
        try {
            long until = System.nanoTime() + Duration.ofSeconds(20).toNanos();
            while (limits.asks.get() < 1 && System.nanoTime() < until) {
                Thread.sleep(5);
            }
            Thread.sleep(100); // room for a busy loop to show itself
            assertTrue(limits.asks.get() <= 3, "at most one ask per waiting batch until the timer: " + limits.asks.get());
            limits.refuseAll.set(false);
            timer.advanceTimeBy(Duration.ofSeconds(10));
            until = System.nanoTime() + Duration.ofSeconds(20).toNanos();
            while (reports.size() < 3 && System.nanoTime() < until) {
                Thread.sleep(5);
                timer.advanceTimeBy(Duration.ofSeconds(10));
            }
            assertEquals(3, reports.size(), "delivered once the limiter granted");
            eachReleasedOnce(limits);
        } finally {
            d.dispose();
            timer.dispose();
        }
    }

    /**
     * A delivery under a shared lease keeps no connection beyond itself: with a backlog that would
     * otherwise make the scheduler advise reuse and parking, every delivery is told NEVER, and
     * without shared limits the same backlog is told to park (the hint the lease overrides).
     */
    @Test
    void underASharedLeaseNoConnectionIsParkedSoConnectionsNeverOutnumberLeases() {
        List<CacheHint> shared = new CopyOnWriteArrayList<>();
        FakeLimits limits = new FakeLimits(2);
        DeliveryScheduler withLeases = new DeliveryScheduler(SchedulerSettings.builder().initialDestinationConcurrency(2)
                .limits(limits).build(), (r, h) -> {
                    shared.add(h);
                    return Mono.delay(Duration.ofMillis(2)).map(x -> DeliverySchedulerTest.sent(r));
                }, Clock.systemUTC(), Schedulers.parallel());
        StepVerifier.create(withLeases.schedule(Flux.fromIterable(requests(20, "a.test"))))
                .expectNextCount(20).expectComplete().verify(Duration.ofSeconds(30));
        assertEquals(20, shared.size());
        assertTrue(shared.stream().allMatch(h -> h == CacheHint.NEVER), shared.toString());

        List<CacheHint> local = new CopyOnWriteArrayList<>();
        DeliveryScheduler alone = new DeliveryScheduler(SchedulerSettings.builder().initialDestinationConcurrency(2).build(),
                (r, h) -> {
                    local.add(h);
                    return Mono.delay(Duration.ofMillis(2)).map(x -> DeliverySchedulerTest.sent(r));
                }, Clock.systemUTC(), Schedulers.parallel());
        StepVerifier.create(alone.schedule(Flux.fromIterable(requests(20, "a.test"))))
                .expectNextCount(20).expectComplete().verify(Duration.ofSeconds(30));
        assertTrue(local.contains(CacheHint.LOAD_AND_STORE), "a backlog parks connections without shared limits: " + local);
        eachReleasedOnce(limits);
    }
}
