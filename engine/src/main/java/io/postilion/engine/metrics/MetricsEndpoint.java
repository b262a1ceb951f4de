package io.postilion.engine.metrics;

import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.net.InetSocketAddress;
import java.util.Objects;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;
import reactor.netty.DisposableServer;
import reactor.netty.http.server.HttpServer;

/**
 * Serves the Prometheus text format at {@code /metrics} (metrics_listen, 127.0.0.1:9464 by
 * default) from one registry that every part of the relay records into, with the JVM's own
 * meters bound to it. It serves nothing else: {@code GET /metrics} is read-only, so the port can
 * be opened to a Prometheus server without opening anything that changes the relay (queue
 * administration has an endpoint of its own, see the admin package). Other methods on
 * {@code /metrics} get 405, other paths 404.
 */
public final class MetricsEndpoint implements AutoCloseable {

    /** The Prometheus exposition format, version 0.0.4. */
    static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

    private final PrometheusMeterRegistry registry;
    private final DisposableServer server;
    private final JvmGcMetrics gc;

    private MetricsEndpoint(PrometheusMeterRegistry registry, DisposableServer server, JvmGcMetrics gc) {
        this.registry = registry;
        this.server = server;
        this.gc = gc;
    }

    /** A registry with the JVM meters bound, for {@link #start}. */
    public static PrometheusMeterRegistry newRegistry() {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        // Prometheus's own names and units: CPU time in seconds as process_cpu_seconds_total (what
        // the Prometheus client libraries export and dashboards expect), not Micrometer's nanoseconds.
        registry.config().meterFilter(io.micrometer.core.instrument.config.MeterFilter.denyNameStartsWith("process.cpu.time"));
        new JvmMemoryMetrics().bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ClassLoaderMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        new UptimeMetrics().bindTo(registry);
        java.lang.management.OperatingSystemMXBean os = java.lang.management.ManagementFactory.getOperatingSystemMXBean();
        if (os instanceof com.sun.management.OperatingSystemMXBean sun) {
            io.micrometer.core.instrument.FunctionCounter.builder("process.cpu", sun, b -> b.getProcessCpuTime() / 1e9)
                    .baseUnit("seconds").description("CPU time used by the process").register(registry);
        }
        return registry;
    }

    /** Binds the endpoint with the default limits; the Mono completes once the port is bound. */
    public static Mono<MetricsEndpoint> start(InetSocketAddress bind, PrometheusMeterRegistry registry) {
        return start(bind, registry, HttpListenerLimits.defaults());
    }

    /**
     * Binds the endpoint with the limits given (http_idle_timeout, http_connection_limit); the
     * Mono completes once the port is bound, or fails if it cannot be.
     */
    public static Mono<MetricsEndpoint> start(InetSocketAddress bind, PrometheusMeterRegistry registry,
            HttpListenerLimits limits) {
        return start(bind, registry, limits, io.postilion.transport.netty.NettyTransport.EPOLL);
    }

    /**
     * As {@link #start(InetSocketAddress, PrometheusMeterRegistry, HttpListenerLimits)}, serving on
     * the event loops of {@code transport} (netty_transport), the ones the SMTP listener uses.
     */
    public static Mono<MetricsEndpoint> start(InetSocketAddress bind, PrometheusMeterRegistry registry,
            HttpListenerLimits limits, io.postilion.transport.netty.NettyTransport transport) {
        Objects.requireNonNull(registry, "registry");
        return Mono.defer(() -> {
            JvmGcMetrics gc = new JvmGcMetrics();
            gc.bindTo(registry);
            return limits.applyTo(HttpServer.create())
                    .runOn(transport.loops())
                    .bindAddress(() -> bind)
                    .route(routes -> routes
                            // Scraping walks every meter and asks the JVM for its figures: off the event loop.
                            .get("/metrics", (req, res) -> res.header("Content-Type", CONTENT_TYPE)
                                    .sendString(Mono.fromCallable(registry::scrape).subscribeOn(Schedulers.boundedElastic())))
                            .route(req -> req.uri().equals("/metrics") || req.uri().startsWith("/metrics?"),
                                    (req, res) -> res.status(405).header("Allow", "GET, HEAD").send()))
                    .bind()
                    .doOnError(e -> gc.close())
                    .map(server -> new MetricsEndpoint(registry, server, gc));
        });
    }

    public PrometheusMeterRegistry registry() {
        return registry;
    }

    public int port() {
        return ((InetSocketAddress) server.address()).getPort();
    }

    @Override
    public void close() {
        server.disposeNow();
        gc.close();
    }
}
