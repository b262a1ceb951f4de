package io.postilion.bench.load;

import io.postilion.engine.agent.AgentConfiguration;
import io.postilion.engine.agent.DeliveryAgent;
import io.postilion.engine.delivery.DeliveryReport;
import io.postilion.engine.delivery.DeliveryRequest;
import io.postilion.engine.delivery.Outcome;
import io.postilion.engine.config.Configuration;
import io.postilion.engine.config.ConfigurationLoader;
import io.postilion.engine.scheduler.DeliveryScheduler;
import io.postilion.engine.scheduler.SchedulerSettings;
import io.postilion.transport.content.ContentSource;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import reactor.core.publisher.Flux;

/**
 * Our side of a load case: N requests through the scheduler and the delivery agent, configured
 * from built-in defaults with the case's concurrency as process limit, destination concurrency
 * limit and initial concurrency (so that at most C sessions run, as with smtp-source -s C).
 */
final class PostilionRun {

    private final LoadCase c;
    private final String nexthop;
    private final DeliveryScheduler scheduler;
    private final ContentSource content;

    PostilionRun(LoadCase c, String nexthop, List<String> overrides) {
        this.c = c;
        this.nexthop = nexthop;
        List<String> all = new ArrayList<>(List.of("default_process_limit=" + c.concurrency(),
                "smtp_destination_concurrency_limit=" + c.concurrency(),
                "smtp_initial_destination_concurrency=" + c.concurrency()));
        all.addAll(overrides);
        Configuration cfg = ConfigurationLoader.fromText("", "(load harness)", all);
        DeliveryAgent agent = AgentConfiguration.agent(cfg, Clock.systemUTC());
        this.scheduler = new DeliveryScheduler(SchedulerSettings.fromConfiguration(cfg), agent);
        this.content = ContentSource.of(message(c.size()));
    }

    /** A message of exactly {@code size} bytes (at least its headers): short headers, 78-character lines. */
    static byte[] message(int size) {
        StringBuilder sb = new StringBuilder(size + 100);
        sb.append("From: <bench@postilion.test>\r\nTo: <rcpt@example.test>\r\nSubject: load test\r\n"
                + "Message-ID: <load@postilion.test>\r\n\r\n");
        String line = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789abcdef\r\n";
        while (sb.length() + line.length() <= size) {
            sb.append(line);
        }
        int rest = size - sb.length();
        if (rest >= 3) {
            sb.append("x".repeat(rest - 2)).append("\r\n");
        }
        return sb.toString().getBytes(StandardCharsets.US_ASCII);
    }

    RunResult run(int messages, Duration timeout) throws InterruptedException {
        return run(messages, timeout, 0);
    }

    /**
     * A timed run of {@code messages}; with {@code curveBlock > 0} it also records each
     * completion's time (in an array allocated before the run) for the rate per block.
     */
    RunResult run(int messages, Duration timeout, int curveBlock) throws InterruptedException {
        double[] latencies = new double[messages];
        long[] stamps = curveBlock > 0 ? new long[messages] : null;
        AtomicInteger done = new AtomicInteger();
        AtomicLong failed = new AtomicLong();
        Flux<DeliveryRequest> requests = Flux.range(0, messages).map(this::request);
        List<MemoryPoolMXBean> heap = ManagementFactory.getMemoryPoolMXBeans().stream()
                .filter(p -> p.getType() == MemoryType.HEAP).toList();
        AllocationMeter meter = AllocationMeter.start();
        System.gc();
        heap.forEach(MemoryPoolMXBean::resetPeakUsage);
        AllocationMeter.Reading alloc0 = meter != null ? meter.read() : null;
        com.sun.management.OperatingSystemMXBean os =
                (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        long cpu0 = os.getProcessCpuTime();
        long t0 = System.nanoTime();
        scheduler.schedule(requests).doOnNext(r -> {
            int i = done.getAndIncrement();
            if (stamps != null && i < stamps.length) {
                stamps[i] = System.nanoTime();
            }
            if (i < latencies.length) {
                DeliveryReport.Timings t = r.timings();
                latencies[i] = t.setup().plus(t.transmission()).toNanos() / 1e6;
            }
            if (r.results().stream().anyMatch(x -> x.outcome() != Outcome.SENT)) {
                failed.incrementAndGet();
            }
        }).take(timeout).blockLast(timeout.plusSeconds(10));
        double seconds = (System.nanoTime() - t0) / 1e9;
        double cpu = (os.getProcessCpuTime() - cpu0) / 1e9;
        long peak = heap.stream().mapToLong(p -> p.getPeakUsage().getUsed()).sum();
        long allocated = -1;
        long threadAllocated = -1;
        if (meter != null) {
            AllocationMeter.Reading alloc1 = meter.read();
            meter.close();
            allocated = AllocationMeter.allocatedBetween(alloc0, alloc1);
            if (alloc0.threadsAllocated() >= 0) {
                threadAllocated = alloc1.threadsAllocated() - alloc0.threadsAllocated();
            }
        }
        int n = Math.min(done.get(), messages);
        double[] measured = java.util.Arrays.copyOf(latencies, n);
        long notDone = messages - n;
        return new RunResult("postilion", n, failed.get() + notDone, seconds, cpu, peak,
                new double[] {Stats.percentile(measured, 50), Stats.percentile(measured, 95), Stats.percentile(measured, 99)},
                allocated, threadAllocated, stamps != null ? StartCurve.of(t0, stamps, n, curveBlock) : null);
    }

    /**
     * Delivers {@code messages} requests and reports the count of finished ones to {@code done}
     * as they come (the soak run samples the heap from its own thread by that count).
     */
    long soak(long messages, AtomicLong done, Duration timeout) {
        AtomicLong failed = new AtomicLong();
        Flux<DeliveryRequest> requests = Flux.range(0, (int) Math.min(Integer.MAX_VALUE, messages)).map(this::request);
        scheduler.schedule(requests).doOnNext(r -> {
            if (r.results().stream().anyMatch(x -> x.outcome() != Outcome.SENT)) {
                failed.incrementAndGet();
            }
            done.incrementAndGet();
        }).take(timeout).blockLast(timeout.plusSeconds(10));
        return failed.get();
    }

    private DeliveryRequest request(int i) {
        DeliveryRequest.Builder b = DeliveryRequest.builder("L" + Integer.toHexString(i).toUpperCase(java.util.Locale.ROOT),
                "bench@postilion.test", nexthop).content(content);
        for (int r = 0; r < c.recipients(); r++) {
            b.recipient("rcpt" + r + "@example.test");
        }
        return b.build();
    }
}
