package io.postilion.engine.scheduler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.postilion.engine.agent.CacheHint;
import io.postilion.engine.config.Configuration;
import io.postilion.engine.config.ConfigurationLoader;
import io.postilion.engine.delivery.DeliveryReport;
import io.postilion.engine.delivery.DeliveryRequest;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiFunction;
import java.util.function.BooleanSupplier;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;
import reactor.test.scheduler.VirtualTimeScheduler;

/**
 * *_destination_rate_delay in the scheduler, on virtual time: the scheduler's timers run on a
 * {@link VirtualTimeScheduler} that only the test moves, and the fake agent notes the virtual time
 * of each start, so the spacing is exact and no assertion depends on the wall clock. (The
 * scheduler's loop is a real thread: the test waits for what it expects to happen, and proves
 * that something did not happen by a probe, a start to a fresh destination, which the loop can
 * only make after it has handled everything before it.)
 */
class DestinationRateDelayTest {

    private final VirtualTimeScheduler time = VirtualTimeScheduler.create();
    private final Clock clock = new Clock() {
        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return Instant.ofEpochMilli(time.now(TimeUnit.MILLISECONDS));
        }
    };
    /** Each start: queue id and the virtual millisecond it started at. */
    private final List<Start> starts = new CopyOnWriteArrayList<>();
    private final List<DeliveryReport> reports = new CopyOnWriteArrayList<>();
    private final Sinks.Many<DeliveryRequest> source = Sinks.many().unicast().onBackpressureBuffer();
    private final AtomicInteger probes = new AtomicInteger();
    private Disposable run;

    private record Start(String id, String nexthop, long at) {
    }

    @AfterEach
    void end() {
        if (run != null) {
            run.dispose();
        }
        time.dispose();
    }

    private void schedule(SchedulerSettings s, BiFunction<DeliveryRequest, CacheHint, Mono<DeliveryReport>> agent) {
        DeliveryScheduler scheduler = new DeliveryScheduler(s, (r, h) -> {
            starts.add(new Start(r.queueId(), r.nexthop(), time.now(TimeUnit.MILLISECONDS)));
            return agent.apply(r, h);
        }, clock, time);
        run = scheduler.schedule(source.asFlux()).subscribe(reports::add);
    }

    private void emit(String id, String nexthop) {
        assertTrue(source.tryEmitNext(RecipientBatcherTest.request(id, nexthop, 1)).isSuccess());
    }

    private static void await(String what, BooleanSupplier done) throws InterruptedException {
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(20); // a bound for a stuck test, not a timing
        while (!done.getAsBoolean()) {
            if (System.nanoTime() - until > 0) {
                throw new AssertionError("never happened: " + what);
            }
            Thread.sleep(2);
        }
    }

    /**
     * Makes sure the loop has handled everything signalled so far: a request for a destination of
     * its own starts at once, and the loop starts it only in a step after the earlier events.
     */
    private void settle() throws InterruptedException {
        String id = "P" + probes.incrementAndGet();
        emit(id, "probe" + id + ".test");
        await("probe " + id + " started", () -> starts.stream().anyMatch(x -> x.id().equals(id)));
    }

    /** Virtual start times per destination, probes left out. */
    private Map<String, List<Long>> startTimes() {
        Map<String, List<Long>> m = new TreeMap<>();
        for (Start x : starts) {
            if (!x.nexthop().startsWith("probe")) {
                m.computeIfAbsent(x.nexthop(), k -> new ArrayList<>()).add(x.at());
            }
        }
        return m;
    }

    private List<String> started(String nexthop) {
        return starts.stream().filter(x -> x.nexthop().equals(nexthop)).map(Start::id).toList();
    }

    private static DeliveryReport sent(DeliveryRequest r) {
        return DeliverySchedulerTest.sent(r);
    }

    @Test
    void deliveriesToOneDestinationStartTheRateDelayApart_andOtherDestinationsAreNotHeldBack() throws Exception {
        schedule(SchedulerSettings.builder().destinationRateDelay(Duration.ofSeconds(10)).build(),
                (r, h) -> Mono.just(sent(r)));
        for (int i = 0; i < 3; i++) {
            emit("A" + i, "a.test");
            emit("B" + i, "b.test");
        }
        await("the first of each destination delivered", () -> reports.size() == 2);
        settle();
        assertEquals(List.of("A0"), started("a.test"), "delivered at once, yet the next waits for the delay");
        assertEquals(List.of("B0"), started("b.test"));

        time.advanceTimeBy(Duration.ofMillis(9_999));
        settle();
        assertEquals(List.of("A0"), started("a.test"), "a millisecond short of the delay: still waiting");

        time.advanceTimeBy(Duration.ofMillis(1));
        await("the second of each started", () -> started("a.test").size() == 2 && started("b.test").size() == 2);
        time.advanceTimeBy(Duration.ofSeconds(10));
        await("the third of each started", () -> started("a.test").size() == 3 && started("b.test").size() == 3);
        source.tryEmitComplete();
        await("all reported", () -> reports.size() == 6 + probes.get());

        assertEquals(Map.of("a.test", List.of(0L, 10_000L, 20_000L), "b.test", List.of(0L, 10_000L, 20_000L)),
                startTimes());
        assertEquals(List.of("A0", "A1", "A2"), started("a.test"), "in queue order");
    }

    @Test
    void aRateDelayedDestinationHasOneDeliveryAtATime_soASlowDeliveryPushesTheNextStartToItsEnd() throws Exception {
        AtomicInteger running = new AtomicInteger();
        AtomicInteger most = new AtomicInteger();
        Map<String, Sinks.One<DeliveryReport>> ends = new java.util.concurrent.ConcurrentHashMap<>();
        // concurrency settings that would allow 20 at once without the delay (qmgr sets the limit to 1);
        // a slow.test delivery ends when the test ends it
        schedule(SchedulerSettings.builder().destinationRateDelay(Duration.ofSeconds(10))
                        .destinationConcurrencyLimit(20).initialDestinationConcurrency(20).build(),
                (r, h) -> {
                    if (!r.nexthop().equals("slow.test")) {
                        return Mono.just(sent(r));
                    }
                    most.accumulateAndGet(running.incrementAndGet(), Math::max);
                    Sinks.One<DeliveryReport> end = Sinks.one();
                    ends.put(r.queueId(), end);
                    return end.asMono().doOnNext(x -> running.decrementAndGet());
                });
        IntStream.range(0, 3).forEach(i -> emit("S" + i, "slow.test"));
        await("the first started", () -> started("slow.test").size() == 1);

        time.advanceTimeBy(Duration.ofSeconds(10)); // the delay is over, the delivery is not
        settle();
        assertEquals(List.of("S0"), started("slow.test"), "one at a time: the delay alone does not start the next");

        time.advanceTimeBy(Duration.ofSeconds(15));
        end(ends, "S0"); // at 25 s
        await("the second started", () -> started("slow.test").size() == 2);
        time.advanceTimeBy(Duration.ofSeconds(25));
        end(ends, "S1"); // at 50 s
        await("the third started", () -> started("slow.test").size() == 3);
        end(ends, "S2");
        source.tryEmitComplete();
        await("all reported", () -> reports.size() == 3 + probes.get());

        assertEquals(List.of(0L, 25_000L, 50_000L), startTimes().get("slow.test"));
        assertEquals(1, most.get(), "never two deliveries to the destination at once");
    }

    private static void end(Map<String, Sinks.One<DeliveryReport>> ends, String id) throws InterruptedException {
        await(id + " running", () -> ends.containsKey(id));
        assertTrue(ends.get(id).tryEmitValue(sent(RecipientBatcherTest.request(id, "slow.test", 1))).isSuccess());
    }

    @Test
    void withARecipientLimitOf1TheDelayIsPerRecipient() throws Exception {
        schedule(SchedulerSettings.builder().destinationRateDelay(Duration.ofSeconds(10)).recipientLimit(1).build(),
                (r, h) -> Mono.just(sent(r)));
        // Postfix: with a recipient limit of 1 the delay separates deliveries to the same recipient
        source.tryEmitNext(RecipientBatcherTest.request("R0", "r.test", 2)); // r0@ and r1@
        source.tryEmitNext(RecipientBatcherTest.request("R1", "r.test", 1)); // r0@ again
        await("two recipients at once", () -> reports.size() >= 2);
        settle();
        assertEquals(2, started("r.test").size(), "r0@ and r1@ of R0 at once; R1's r0@ waits");
        time.advanceTimeBy(Duration.ofSeconds(10));
        await("r0@ again after the delay", () -> started("r.test").size() == 3);
        assertEquals(List.of(0L, 0L, 10_000L), startTimes().get("r.test"));
    }

    @Test
    void aZeroRateDelayChangesNothing() throws Exception {
        Configuration cfg = ConfigurationLoader.fromText("default_destination_rate_delay = 0s\n", "main.cf", List.of());
        SchedulerSettings zero = SchedulerSettings.fromConfiguration(cfg.forSmtp());
        assertEquals(SchedulerSettings.defaults(), zero, "the same settings as without the parameter");
        assertFalse(zero.rateDelayed());
        assertEquals(20, zero.effectiveConcurrencyLimit(), "the concurrency limit stands");

        schedule(zero, (r, h) -> Mono.never());
        IntStream.range(0, 8).forEach(i -> emit("Z" + i, "z.test"));
        await("the initial window started", () -> started("z.test").size() == 5);
        settle();
        assertEquals(List.of("Z0", "Z1", "Z2", "Z3", "Z4"), started("z.test"),
                "the initial window of 5 at once, at virtual time 0, with no timer to wait for");
        assertEquals(List.of(0L, 0L, 0L, 0L, 0L), startTimes().get("z.test"));
    }

    @Test
    void theDelayIsReadPerTransport_fromDefaultDestinationRateDelay() {
        Configuration cfg = ConfigurationLoader.fromText(String.join("\n",
                "default_destination_rate_delay = 2m",
                "lmtp_destination_rate_delay = 0"), "main.cf", List.of());
        SchedulerSettings smtp = SchedulerSettings.fromConfiguration(cfg.forSmtp());
        assertEquals(Duration.ofMinutes(2), smtp.destinationRateDelay());
        assertEquals(20, smtp.destinationConcurrencyLimit(), "the configured value is kept");
        assertEquals(1, smtp.effectiveConcurrencyLimit(), "qmgr: a rate delay means one delivery at a time");
        SchedulerSettings lmtp = SchedulerSettings.fromConfiguration(cfg.forLmtp());
        assertEquals(Duration.ZERO, lmtp.destinationRateDelay());
        assertEquals(20, lmtp.effectiveConcurrencyLimit());

        Configuration own = ConfigurationLoader.fromText("smtp_destination_rate_delay = 5\n", "main.cf", List.of());
        assertEquals(Duration.ofSeconds(5), SchedulerSettings.fromConfiguration(own.forSmtp()).destinationRateDelay(),
                "seconds by default");
    }
}
