package io.postilion.fleet.limits;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.postilion.engine.delivery.DeliveryReport;
import io.postilion.engine.delivery.DeliveryRequest;
import io.postilion.engine.delivery.DsnStatus;
import io.postilion.engine.delivery.Outcome;
import io.postilion.engine.delivery.RecipientResult;
import io.postilion.engine.delivery.VerdictSource;
import io.postilion.engine.scheduler.DeliveryScheduler;
import io.postilion.engine.scheduler.DestinationLimits;
import io.postilion.engine.scheduler.SchedulerSettings;
import io.postilion.transport.content.ContentSource;
import java.time.Clock;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The shared limits against a real redis-server (Debian's 7.0.15), two limiter instances standing
 * for two relay nodes. Needs the rig: {@code RIG_DIR=... scripts/fleet/redis.sh start}; skipped
 * when {@code RIG_DIR/redis.url} is absent or nobody answers there. Part of the interop run
 * ({@code mvn verify -Pinterop}, which CI runs after starting the rig); one test stops and restarts
 * the server through the same script, on the same port, so the URL stays valid for what follows.
 */
@Tag("interop")
class RedisLimitsIntegrationTest {

    private static final String DEST = "limited.test";

    private static String url;

    private final List<RedisDestinationLimits> nodes = new ArrayList<>();
    private String prefix;

    @BeforeAll
    static void rig() throws IOException {
        url = RedisRig.urlOrSkip();
    }

    @BeforeEach
    void keys() {
        prefix = "test:" + UUID.randomUUID() + ":"; // each test its own fleet in the shared server
    }

    /**
     * Every node closes within its bound, whatever the test left Redis and the connection in (a
     * close that parked in Lettuce's endpoint lock once hung here after the restart test): a
     * regression fails here instead of hanging the build.
     */
    @AfterEach
    void close() {
        for (RedisDestinationLimits n : nodes) {
            assertTimeoutPreemptively(n.closeBound().plusSeconds(2), n::close, "close() within its bound");
        }
    }

    private RedisDestinationLimits node(String name, Duration expiry, Duration renew) {
        SharedLimitSettings s = new SharedLimitSettings(prefix, 10, 0, 1, expiry, renew, Duration.ofMillis(200),
                Duration.ofSeconds(1), Duration.ofMillis(5), Duration.ofMillis(500));
        RedisDestinationLimits n = new RedisDestinationLimits(url, name, s);
        nodes.add(n);
        return n;
    }

    private static void await(String what, Duration within, BooleanSupplier done) throws InterruptedException {
        long until = System.nanoTime() + within.toNanos();
        while (!done.getAsBoolean()) {
            if (System.nanoTime() > until) {
                throw new AssertionError("not within " + within + ": " + what);
            }
            Thread.sleep(20);
        }
    }

    private static DestinationLimits.Lease take(RedisDestinationLimits n) {
        return n.acquire(DEST).block(Duration.ofSeconds(5));
    }

    @Test
    void twoNodesSharingALimitOf10NeverHoldMoreThan10AtOnce() throws Exception {
        RedisDestinationLimits a = node("a", Duration.ofSeconds(5), Duration.ofSeconds(1));
        RedisDestinationLimits b = node("b", Duration.ofSeconds(5), Duration.ofSeconds(1));
        await("both nodes shared, fleet of 2", Duration.ofSeconds(10), () -> a.shared() && b.shared()
                && a.fleetSize() == 2 && b.fleetSize() == 2);

        AtomicInteger holding = new AtomicInteger();
        AtomicInteger most = new AtomicInteger();
        AtomicInteger grants = new AtomicInteger();
        AtomicInteger[] byNode = {new AtomicInteger(), new AtomicInteger()};
        int target = 600;
        ExecutorService workers = Executors.newFixedThreadPool(24);
        try {
            List<Future<?>> done = new ArrayList<>();
            for (int w = 0; w < 24; w++) {
                int which = w % 2;
                RedisDestinationLimits n = which == 0 ? a : b;
                done.add(workers.submit(() -> {
                    while (grants.get() < target) {
                        DestinationLimits.Lease l = take(n);
                        if (l == null) {
                            Thread.sleep(1);
                            continue;
                        }
                        grants.incrementAndGet();
                        byNode[which].incrementAndGet();
                        most.accumulateAndGet(holding.incrementAndGet(), Math::max);
                        Thread.sleep(ThreadLocalRandom.current().nextInt(5, 16)); // longer than a round trip, so the limit binds
                        holding.decrementAndGet(); // before the release: the count never runs ahead of Redis
                        l.release();
                    }
                    return null;
                }));
            }
            for (Future<?> f : done) {
                f.get(120, TimeUnit.SECONDS);
            }
        } finally {
            workers.shutdownNow();
        }
        System.out.println("shared limit 10, 2 nodes, 24 workers: " + grants.get() + " leases (a " + byNode[0]
                + ", b " + byNode[1] + "), at most " + most.get() + " held at once");
        assertTrue(most.get() <= 10, "at most 10 at once across both nodes, saw " + most.get());
        assertEquals(10, most.get(), "24 workers keep the limit busy: it is reached");
        assertTrue(byNode[0].get() > 0 && byNode[1].get() > 0, "both nodes had leases");
        assertTrue(a.shared() && b.shared(), "no fallback during the run");
        assertEquals(0, a.fallbacks() + b.fallbacks(), "no fallback during the run");
    }

    @Test
    void aLiveNodesLeasesAreRenewedAndADeadNodesExpire() throws Exception {
        Duration expiry = Duration.ofSeconds(2);
        RedisDestinationLimits a = node("a", expiry, Duration.ofMillis(300));
        RedisDestinationLimits b = node("b", expiry, Duration.ofMillis(300));
        await("both shared", Duration.ofSeconds(10), () -> a.shared() && b.shared());
        List<DestinationLimits.Lease> held = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            held.add(assertGranted(take(a)));
        }
        assertNull(take(b), "the fleet's 10 slots are a's");
        Thread.sleep(expiry.multipliedBy(2).toMillis()); // renewed meanwhile
        assertNull(take(b), "a's leases outlive their first expiry while a renews them");
        assertEquals(0, a.lostLeases());

        a.crash(); // no renewal, no release: as kill -9
        long crashed = System.nanoTime();
        await("b gets a slot once a's leases expire", expiry.multipliedBy(4), () -> {
            DestinationLimits.Lease l = take(b);
            if (l != null) {
                held.add(l);
            }
            return l != null;
        });
        long waited = (System.nanoTime() - crashed) / 1_000_000;
        System.out.println("a dead node's slot came free after " + waited + " ms (lease expiry " + expiry.toMillis() + " ms)");
        assertTrue(b.shared());
    }

    /**
     * The whole chain: two schedulers (two nodes) with a window of 20 each deliver 300 messages to
     * one destination whose fleet-wide limit is 10; a delivery counts the sessions open across
     * both. The scheduler asks Redis for each session and releases it when the session ends.
     */
    @Test
    void twoSchedulersSharingALimitOf10OpenAtMost10SessionsTogether() throws Exception {
        RedisDestinationLimits a = node("a", Duration.ofSeconds(5), Duration.ofSeconds(1));
        RedisDestinationLimits b = node("b", Duration.ofSeconds(5), Duration.ofSeconds(1));
        await("both shared", Duration.ofSeconds(10), () -> a.shared() && b.shared());
        AtomicInteger open = new AtomicInteger();
        AtomicInteger most = new AtomicInteger();
        java.util.function.BiFunction<DeliveryRequest, io.postilion.engine.agent.CacheHint, Mono<DeliveryReport>> deliver =
                (r, h) -> Mono.defer(() -> {
                    most.accumulateAndGet(open.incrementAndGet(), Math::max);
                    // Closed before the report goes out: the scheduler releases the lease on the
                    // report, and a count closed after that (a doFinally runs after downstream)
                    // could see the next session, on a lease given back already, open first.
                    return Mono.delay(Duration.ofMillis(10)).map(x -> {
                        open.decrementAndGet();
                        return sent(r);
                    }).doOnCancel(open::decrementAndGet);
                });
        Flux<DeliveryReport> both = Flux.merge(
                scheduler(a, deliver).schedule(Flux.range(0, 150).map(i -> request("A" + i))),
                scheduler(b, deliver).schedule(Flux.range(0, 150).map(i -> request("B" + i))));
        Long reports = both.count().block(Duration.ofSeconds(120));
        System.out.println("two schedulers, fleet limit 10, window 20 each: " + reports + " reports, at most "
                + most.get() + " sessions open at once");
        assertEquals(300L, reports);
        assertTrue(most.get() <= 10, "at most 10 sessions across both nodes, saw " + most.get());
        assertTrue(most.get() >= 8, "the shared limit, not something else, was what bound: " + most.get());
        assertEquals(0, a.fallbacks() + b.fallbacks(), "shared all along: no fallback (which would also hold 5 + 5)");
        await("every lease given back", Duration.ofSeconds(5), () -> a.heldInRedis() == 0 && b.heldInRedis() == 0);
    }

    private static DeliveryScheduler scheduler(DestinationLimits limits,
            java.util.function.BiFunction<DeliveryRequest, io.postilion.engine.agent.CacheHint, Mono<DeliveryReport>> deliver) {
        SchedulerSettings s = SchedulerSettings.builder().initialDestinationConcurrency(20).limits(limits).build();
        return new DeliveryScheduler(s, deliver, Clock.systemUTC(), Schedulers.parallel());
    }

    private static DeliveryRequest request(String id) {
        return DeliveryRequest.builder(id, "sender@origin.test", DEST)
                .content(ContentSource.of("Subject: t\r\n\r\nbody\r\n".getBytes(StandardCharsets.US_ASCII)))
                .recipient("r@" + DEST).build();
    }

    private static DeliveryReport sent(DeliveryRequest r) {
        List<RecipientResult> results = r.recipients().stream()
                .map(x -> RecipientResult.local(x, Outcome.SENT, DsnStatus.of(2, 0, 0), VerdictSource.LOCAL, "250 ok"))
                .toList();
        Duration z = Duration.ZERO;
        return new DeliveryReport(r.queueId(), results, false, new DeliveryReport.Timings(z, z, z, z, z));
    }

    private static DestinationLimits.Lease assertGranted(DestinationLimits.Lease l) {
        assertNotNull(l, "granted");
        return l;
    }

    @Test
    void redisStoppedMidWayFallsBackToTheLocalShareAndComesBack() throws Exception {
        RedisRig.assumeScript();
        RedisDestinationLimits a = node("a", Duration.ofSeconds(5), Duration.ofSeconds(1));
        RedisDestinationLimits b = node("b", Duration.ofSeconds(5), Duration.ofSeconds(1));
        String fleet = prefix;
        prefix = fleet + "elsewhere:"; // d is in a fleet of its own, so a's fleet size stays 2
        RedisDestinationLimits d = node("d", Duration.ofSeconds(5), Duration.ofSeconds(1));
        prefix = fleet;
        await("fleet of 2", Duration.ofSeconds(10), () -> a.shared() && a.fleetSize() == 2 && b.fleetSize() == 2 && d.shared());
        DestinationLimits.Lease before = assertGranted(take(a));
        assertEquals(1, a.heldInRedis());
        DestinationLimits.Lease ofD = assertGranted(take(d));

        RedisRig.redis("stop");
        try {
            // A node closed while Redis is gone and its client reconnecting: bounded all the same.
            ofD.release();
            long t0 = System.nanoTime();
            assertTimeoutPreemptively(d.closeBound().plusSeconds(1), d::close, "close() while Redis is down");
            System.out.println("close() with Redis down took " + (System.nanoTime() - t0) / 1_000_000 + " ms");

            List<DestinationLimits.Lease> local = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                local.add(assertGranted(take(a))); // the first one finds Redis gone and is answered locally
            }
            assertFalse(a.shared(), "falling back");
            assertEquals(5, a.fallbackConcurrencyLimit(), "the fleet's 10 over the last fleet size 2");
            assertNull(take(a), "a's local share of 5 is used up");
            for (int i = 0; i < 20; i++) {
                take(a); // more asks while down: no second "unreachable" line
            }
            assertEquals(1, a.fallbacks(), "logged once");
            local.remove(0).release();
            assertGranted(take(a)); // delivery goes on within the share
            before.release(); // the Redis lease of before the outage: released into the void, expires there
        } finally {
            RedisRig.redis("start");
        }
        assertEquals(url, RedisRig.currentUrl(),
                "redis came back on the same URL (what the nodes reconnect to, and what later tests use)");
        await("a shares again", Duration.ofSeconds(15), a::shared);
        assertEquals(1, a.fallbacks(), "one fallback, one return");
        DestinationLimits.Lease after = assertGranted(take(a));
        assertEquals(1, a.heldInRedis(), "leases are kept in Redis again");
        after.release();
    }
}
