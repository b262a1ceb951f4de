package io.postilion.engine.agent;

import io.postilion.engine.delivery.RecipientResult;
import io.postilion.engine.delivery.DeliveryReport;
import io.postilion.engine.delivery.Outcome;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.EnumMap;
import java.util.Map;

/**
 * The agent's Micrometer meters, with Prometheus-style names and bounded labels only (an outcome,
 * a transport, a result word; never an address or a queue id):
 * {@code postilion_deliveries_total{status,transport}}, {@code postilion_delivery_seconds{transport}},
 * {@code postilion_delivery_stage_seconds{stage,transport}} (the log line's connection set-up and
 * transmission delays: setup = connect, greeting, hello, TLS; transmission = the transaction) and
 * {@code postilion_connection_attempts_total{result,transport}}.
 */
public final class DeliveryMetrics {

    private final Map<Outcome, Counter> deliveries = new EnumMap<>(Outcome.class);
    // The timers are registered at their first use: a transport that never delivers (the LMTP agent
    // of a relay with no LMTP route) adds no histogram to the scrape.
    private final MeterRegistry registry;
    private final String transport;
    private volatile Timer attempts;
    private Timer setup;
    private Timer transmission;
    private final Counter connected;
    private final Counter connectFailed;

    /** Histogram bucket bounds of the delivery timers: 10 ms to 10 minutes, 10 buckets. */
    static final Duration[] BUCKETS = {Duration.ofMillis(10), Duration.ofMillis(25), Duration.ofMillis(50),
        Duration.ofMillis(100), Duration.ofMillis(250), Duration.ofMillis(500), Duration.ofSeconds(1), Duration.ofSeconds(5),
        Duration.ofSeconds(30), Duration.ofMinutes(10)};

    public DeliveryMetrics(MeterRegistry registry, String transport) {
        for (Outcome o : Outcome.values()) {
            deliveries.put(o, Counter.builder("postilion_deliveries_total")
                    .description("recipients by delivery outcome")
                    .tag("status", o.logWord().toLowerCase(java.util.Locale.ROOT)).tag("transport", transport)
                    .register(registry));
        }
        // Buckets, so dashboards can compute percentiles across instances (docs/grafana); a fixed,
        // short set, so a scrape stays small (Micrometer's percentile histogram has ~70 per timer).
        this.registry = registry;
        this.transport = transport;
        connected = connectionCounter(registry, transport, "connected");
        connectFailed = connectionCounter(registry, transport, "failed");
    }

    /** Meters that count into a registry nobody reads: for agents built without one. */
    public static DeliveryMetrics none(String transport) {
        return new DeliveryMetrics(new SimpleMeterRegistry(), transport);
    }

    private static Timer stageTimer(MeterRegistry registry, String transport, String stage) {
        return Timer.builder("postilion_delivery_stage_seconds").description("time per delivery stage (delays= c and d)")
                .tag("stage", stage).tag("transport", transport).serviceLevelObjectives(BUCKETS).register(registry);
    }

    private static Counter connectionCounter(MeterRegistry registry, String transport, String result) {
        return Counter.builder("postilion_connection_attempts_total").description("connection attempts by result")
                .tag("result", result).tag("transport", transport).register(registry);
    }

    void recorded(DeliveryReport report, Duration took) {
        for (RecipientResult r : report.results()) {
            deliveries.get(r.outcome()).increment();
        }
        if (attempts == null) {
            // Racing threads register the same meters (Micrometer returns the existing one); the
            // volatile write of attempts, last, publishes the other two.
            setup = stageTimer(registry, transport, "setup");
            transmission = stageTimer(registry, transport, "transmission");
            attempts = Timer.builder("postilion_delivery_seconds").description("time per delivery request")
                    .tag("transport", transport).serviceLevelObjectives(BUCKETS).register(registry);
        }
        attempts.record(took);
        DeliveryReport.Timings t = report.timings();
        if (!t.setup().isZero() || !t.transmission().isZero()) {
            setup.record(t.setup());
            transmission.record(t.transmission());
        }
    }

    void connection(boolean ok) {
        (ok ? connected : connectFailed).increment();
    }
}
