package io.postilion.fleet.limits;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.postilion.engine.agent.CacheHint;
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
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.BiFunction;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/**
 * *_destination_rate_delay across a fleet, against a real redis-server (Debian's 7.0.15): two
 * schedulers, each with its own limiter instance, stand for two relay nodes delivering to one
 * destination. Needs the rig ({@code RIG_DIR=... scripts/fleet/redis.sh start}); skipped when
 * {@code RIG_DIR/redis.url} is absent or nobody answers there.
 *
 * <p>The assertions are lower bounds on how long the starts took to spread out: a slow or loaded
 * machine can only make the spread larger, so they do not flake on a busy host; the limit's
 * absence makes the spread several delays shorter, so they fail without it.
 */
@Tag("interop")
class RedisRateLimitIntegrationTest {

    private static final String DEST = "paced.test";
    private static final Duration DELAY = Duration.ofMillis(300);

    private static String url;

    private final List<RedisDestinationLimits> nodes = new ArrayList<>();
    /** Each delivery start: which node, and System.nanoTime() at the start. */
    private final List<long[]> starts = new CopyOnWriteArrayList<>();
    private String prefix;

    @BeforeAll
    static void rig() throws IOException {
        url = RedisRig.urlOrSkip();
    }

    @BeforeEach
    void keys() {
        prefix = "test:" + UUID.randomUUID() + ":"; // each test its own fleet in the shared server
    }

    @AfterEach
    void close() {
        nodes.forEach(RedisDestinationLimits::close);
    }

    /** A node as the provider makes it for a rate delay (concurrency 1, one start per delay, burst 1). */
    private RedisDestinationLimits node(String name) {
        SharedLimitSettings s = SharedLimitSettings.paced(1, DELAY).withKeyPrefix(prefix)
                .withTimings(Duration.ofSeconds(5), Duration.ofSeconds(1), Duration.ofMillis(200), Duration.ofSeconds(2))
                .withRetryDelay(Duration.ofMillis(20));
        RedisDestinationLimits n = new RedisDestinationLimits(url, name, s);
        nodes.add(n);
        return n;
    }

    /** A node's scheduler, paced by the same delay locally, delivering through a fake agent that notes each start. */
    private DeliveryScheduler scheduler(int node, DestinationLimits limits) {
        SchedulerSettings s = SchedulerSettings.builder().destinationRateDelay(DELAY).limits(limits).build();
        BiFunction<DeliveryRequest, CacheHint, Mono<DeliveryReport>> agent = (r, h) -> Mono.defer(() -> {
            starts.add(new long[] {node, System.nanoTime()});
            return Mono.delay(Duration.ofMillis(5)).map(x -> sent(r));
        });
        return new DeliveryScheduler(s, agent, Clock.systemUTC(), Schedulers.parallel());
    }

    private long deliverFromBoth(DestinationLimits a, DestinationLimits b, int each) {
        Flux<DeliveryReport> both = Flux.merge(
                scheduler(0, a).schedule(Flux.range(0, each).map(i -> request("A" + i))),
                scheduler(1, b).schedule(Flux.range(0, each).map(i -> request("B" + i))));
        return both.count().block(Duration.ofSeconds(120));
    }

    /** Milliseconds from the first to the last start of {@code node} (-1 for both nodes). */
    private long spreadMillis(int node) {
        long first = Long.MAX_VALUE;
        long last = Long.MIN_VALUE;
        for (long[] x : starts) {
            if (node < 0 || x[0] == node) {
                first = Math.min(first, x[1]);
                last = Math.max(last, x[1]);
            }
        }
        return TimeUnit.NANOSECONDS.toMillis(last - first);
    }

    private long startsBy(int node) {
        return starts.stream().filter(x -> x[0] == node).count();
    }

    @Test
    void twoNodesKeepTheFleetWideRateDelayBetweenStartsToOneDestination() throws Exception {
        RedisDestinationLimits a = node("a");
        RedisDestinationLimits b = node("b");
        await("both shared, fleet of 2", () -> a.shared() && b.shared() && a.fleetSize() == 2 && b.fleetSize() == 2);

        assertEquals(12L, deliverFromBoth(a, b, 6));
        long spread = spreadMillis(-1);
        System.out.println("rate delay " + DELAY.toMillis() + " ms, 2 nodes, 12 starts: spread over " + spread
                + " ms (a " + startsBy(0) + ", b " + startsBy(1) + "); each node alone would need "
                + 5 * DELAY.toMillis() + " ms");
        // 12 starts one delay apart fleet-wide span 11 delays; one delay of slack for the lag between
        // Redis granting a start and the node noting it. Pacing per node only would span 5 delays.
        assertTrue(spread >= 10 * DELAY.toMillis(), "the fleet keeps one start per delay: 12 starts over " + spread + " ms");
        assertTrue(startsBy(0) > 0 && startsBy(1) > 0, "both nodes delivered");
        assertEquals(0, a.fallbacks() + b.fallbacks(), "shared all along");
        assertTrue(a.shared() && b.shared(), "shared all along");
        await("every lease given back", () -> a.heldInRedis() == 0 && b.heldInRedis() == 0);
    }

    @Test
    void withRedisDownEachNodeKeepsTheDelayTimesTheFleetSize() throws Exception {
        RedisRig.assumeScript();
        RedisDestinationLimits a = node("a");
        RedisDestinationLimits b = node("b");
        await("fleet of 2", () -> a.shared() && b.shared() && a.fleetSize() == 2 && b.fleetSize() == 2);
        RedisRig.redis("stop");
        try {
            assertEquals(8L, deliverFromBoth(a, b, 4));
            assertFalse(a.shared() || b.shared(), "both fell back");
        } finally {
            RedisRig.redis("start");
        }
        long spreadA = spreadMillis(0);
        long spreadB = spreadMillis(1);
        System.out.println("rate delay " + DELAY.toMillis() + " ms, Redis down, fleet of 2: node a's 4 starts over "
                + spreadA + " ms, b's over " + spreadB + " ms");
        // Each node's share: one start per 2 delays, so 4 starts span 6 delays; local pacing alone
        // (the delay itself) would span 3. One delay of slack, as above.
        assertTrue(spreadA >= 5 * DELAY.toMillis(), "node a kept delay x fleet size: " + spreadA + " ms");
        assertTrue(spreadB >= 5 * DELAY.toMillis(), "node b kept delay x fleet size: " + spreadB + " ms");
        await("a shares again", a::shared);
    }

    private static void await(String what, BooleanSupplier done) throws InterruptedException {
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!done.getAsBoolean()) {
            if (System.nanoTime() - until > 0) {
                throw new AssertionError("not within 20 s: " + what);
            }
            Thread.sleep(20);
        }
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
}
