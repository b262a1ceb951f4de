package io.postilion.engine.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.net.InetSocketAddress;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import reactor.netty.http.client.HttpClient;

/** The metrics listener: GET /metrics in the Prometheus text format, and nothing else. */
class MetricsEndpointTest {

    private static final Duration WAIT = Duration.ofSeconds(10);

    @Test
    void metricsAreServedInThePrometheusTextFormatAndMove() {
        PrometheusMeterRegistry registry = MetricsEndpoint.newRegistry();
        try (MetricsEndpoint endpoint = MetricsEndpoint.start(new InetSocketAddress("127.0.0.1", 0), registry)
                .block(WAIT)) {
            HttpClient http = HttpClient.create().baseUrl("http://127.0.0.1:" + endpoint.port());
            registry.counter("postilion_test_events").increment(3);

            var response = http.get().uri("/metrics").responseSingle((res, body) -> body.asString()
                    .map(text -> new String[] {res.responseHeaders().get("Content-Type"), text}))
                    .block(WAIT);
            assertTrue(response[0].startsWith("text/plain; version=0.0.4"), response[0]);
            assertTrue(response[1].contains("postilion_test_events_total 3.0"), response[1]);
            assertTrue(response[1].contains("jvm_memory_used_bytes"), "JVM meters are bound");

            registry.counter("postilion_test_events").increment();
            String again = http.get().uri("/metrics").responseContent().aggregate().asString().block(WAIT);
            assertTrue(again.contains("postilion_test_events_total 4.0"), "the figures move");
            assertEquals(404, http.get().uri("/nothing").response().block(WAIT).status().code());
        }
    }

    @Test
    void theMetricsListenerServesNoQueueAdministration() {
        try (MetricsEndpoint endpoint = MetricsEndpoint.start(new InetSocketAddress("127.0.0.1", 0),
                MetricsEndpoint.newRegistry()).block(WAIT)) {
            HttpClient http = HttpClient.create().baseUrl("http://127.0.0.1:" + endpoint.port());
            assertEquals(404, http.get().uri("/queue").response().block(WAIT).status().code());
            assertEquals(404, http.delete().uri("/queue").response().block(WAIT).status().code());
            assertEquals(404, http.delete().uri("/queue/0123456789ABCD").response().block(WAIT).status().code());
            assertEquals(404, http.post().uri("/queue/flush").response().block(WAIT).status().code());
            assertEquals(405, http.delete().uri("/metrics").response().block(WAIT).status().code());
            assertEquals(405, http.post().uri("/metrics").response().block(WAIT).status().code());
            assertEquals(200, http.get().uri("/metrics").response().block(WAIT).status().code());
        }
    }
}
