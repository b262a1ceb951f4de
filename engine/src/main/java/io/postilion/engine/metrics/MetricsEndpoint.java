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
import java.util.function.Consumer;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;
import reactor.netty.DisposableServer;
import reactor.netty.http.server.HttpServer;
import reactor.netty.http.server.HttpServerRoutes;

/**
 * Serves the Prometheus text format at {@code /metrics} (metrics_listen, 127.0.0.1:9464 by
 * default) from one registry that every part of the relay records into, with the JVM's own
 * meters bound to it. Other parts may add routes (the queue admin API does), so there is one
 * small HTTP server on loopback, not several.
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
        new JvmMemoryMetrics().bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ClassLoaderMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        new UptimeMetrics().bindTo(registry);
        return registry;
    }

    /**
     * Binds the endpoint. {@code moreRoutes} may add routes beside {@code GET /metrics}; the
     * Mono completes once the port is bound.
     */
    public static Mono<MetricsEndpoint> start(InetSocketAddress bind, PrometheusMeterRegistry registry,
            Consumer<HttpServerRoutes> moreRoutes) {
        Objects.requireNonNull(registry, "registry");
        JvmGcMetrics gc = new JvmGcMetrics();
        gc.bindTo(registry);
        return HttpServer.create()
                .bindAddress(() -> bind)
                .route(routes -> {
                    // Scraping walks every meter and asks the JVM for its figures: off the event loop.
                    routes.get("/metrics", (req, res) -> res.header("Content-Type", CONTENT_TYPE)
                            .sendString(Mono.fromCallable(registry::scrape).subscribeOn(Schedulers.boundedElastic())));
                    moreRoutes.accept(routes);
                })
                .bind()
                .map(server -> new MetricsEndpoint(registry, server, gc));
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
